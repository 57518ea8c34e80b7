"""Ranking: how well a recorded person fits a search, as a score from 0 to 1 with the reasons.

Words are compared first (``compare_words``): the same word, one name in another spelling or a
nickname (equivalence groups), alike in sound (Double Metaphone), one typing slip apart
(Damerau-Levenshtein 1: a letter missing, extra, doubled, changed or two swapped), an initial, a
shortened form, or merely similar (Jaro-Winkler). Given names compare forename to forename, then
middle names; family names compare joined and part by part (double-barrelled, particles). A name
scores 0.4 for the given name and 0.6 for the family name, which tells people apart better; the
reading with given and family names swapped is tried too, at a small cost. The person's score is
the weighted mean of the parts the search gave: name 0.6, date of birth 0.4, identifier 0.6.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import jellyfish

from iops.people.matching import dates as dob
from iops.people.matching import phonetic
from iops.people.matching.equivalents import shared_group
from iops.people.matching.keys import identifier_text
from iops.people.matching.normalise import REGROUPED_PENALTY, NameForm, NameQuery, family_forms

GROUP_SCORES = {"spelling": 0.95, "diminutive": 0.93, "nickname": 0.92, "translation": 0.85}
SOUNDS_ALIKE_BASE = 0.85
ONE_SLIP = 0.88
TWO_SLIPS = 0.74
INITIAL = 0.8
SHORTENED = 0.8
SWAPPED_FACTOR = 0.95
MIDDLE_FACTOR = 0.9
PART_FACTOR = 0.92
SINGLE_AS_GIVEN_FACTOR = 0.9
GIVEN_WEIGHT, FAMILY_WEIGHT = 0.4, 0.6
NAME_WEIGHT, DATE_WEIGHT, IDENTIFIER_WEIGHT = 0.6, 0.4, 0.6
# One word is weak evidence: many people share a forename or a family name, while an exact date of
# birth is shared by few, so with one word the date counts for more than the name.
SINGLE_WORD_NAME_WEIGHT = 0.35
# A recorded person with no date of birth neither confirms nor contradicts one asked for.
UNKNOWN_DATE = 0.35
# Below this a word comparison is noise: it earns its score but no reason.
REASON_THRESHOLD = 0.5


def display(word: str) -> str:
    return word[:1].upper() + word[1:]


# What the caches below remember are plain tuples of numbers and strings, not objects: the
# collector stops tracking such tuples, so hundreds of thousands of remembered comparisons cost a
# garbage collection nothing (as dataclass instances they made its pauses last hundreds of ms).

# How one asked word compares with one recorded word: (score, relation, exact); the relation
# reads "<asked> <relation>".
WordMatch = tuple[float, str, bool]
NO_MATCH: WordMatch = (0.0, "", False)
EXACT: WordMatch = (1.0, "", True)


def _slip(asked: str, recorded: str) -> str:
    """Words one Damerau-Levenshtein step apart: which slip it was, in words."""
    if len(asked) == len(recorded):
        different = [i for i in range(len(asked)) if asked[i] != recorded[i]]
        if len(different) == 2:
            return f"two letters transposed ({display(recorded)})"
        return f"one letter different ({display(recorded)})"
    shorter, longer = (asked, recorded) if len(asked) < len(recorded) else (recorded, asked)
    index = next((i for i in range(len(shorter)) if shorter[i] != longer[i]), len(shorter))
    extra = longer[index]
    doubled = (index > 0 and longer[index - 1] == extra) or (
        index + 1 < len(longer) and longer[index + 1] == extra
    )
    if len(asked) > len(recorded):
        return (
            f"letter doubled ({display(recorded)})" if doubled else f"one letter extra ({display(recorded)})"
        )
    return (
        f"double letter written once ({display(recorded)})"
        if doubled
        else f"one letter missing ({display(recorded)})"
    )


@lru_cache(maxsize=500_000)
def compare_words(asked: str, recorded: str) -> WordMatch:
    """Compare two folded words (their phonetic codes must be known: ``phonetic.ensure``)."""
    if not asked or not recorded:
        return NO_MATCH
    if asked == recorded:
        return EXACT
    if not (phonetic.has(asked) and phonetic.has(recorded)):
        # This comparison is remembered, so it must not be made without both words' codes.
        phonetic.ensure([asked, recorded])
    if len(asked) == 1 or len(recorded) == 1:
        if asked[0] == recorded[0]:
            return (
                INITIAL,
                f"initial of {display(recorded)}" if len(asked) == 1 else "matches the initial",
                False,
            )
        return NO_MATCH
    group = shared_group(asked, recorded)
    score, relation = 0.0, ""
    similarity = jellyfish.jaro_winkler_similarity(asked, recorded)
    if group is not None:
        # A nickname may belong to several full names (Bill: William, Robert); the one it
        # resembles in writing ranks first among them.
        score, relation = GROUP_SCORES.get(group.kind, 0.85) * (0.97 + 0.03 * similarity), group.describe()
    sound = SOUNDS_ALIKE_BASE + 0.08 * similarity if phonetic.sounds_alike(asked, recorded) else 0.0
    distance = (
        jellyfish.damerau_levenshtein_distance(asked, recorded) if min(len(asked), len(recorded)) >= 3 else 99
    )
    if distance == 1 and max(sound, ONE_SLIP) > score:
        # One slip says more than "sounds like" about how the spellings differ, so it is the reason.
        score, relation = max(sound, ONE_SLIP), _slip(asked, recorded)
    elif sound > score:
        score, relation = sound, f"sounds like {display(recorded)}"
    if score < TWO_SLIPS and distance == 2 and min(len(asked), len(recorded)) >= 6:
        score, relation = TWO_SLIPS, f"two letters different ({display(recorded)})"
    shorter, longer = sorted((len(asked), len(recorded)))
    if (
        score < SHORTENED
        and shorter >= 3
        and shorter / longer >= 0.4
        and (recorded.startswith(asked) or asked.startswith(recorded))
    ):
        score, relation = SHORTENED, f"shortened form of {display(recorded)}"
    if score < 0.7 and similarity > 0.6:
        scaled = 0.75 * (similarity - 0.6) / 0.4
        if scaled > score:
            score = scaled
            relation = f"similar spelling to {display(recorded)}" if scaled >= REASON_THRESHOLD else ""
    return (score, relation, False)


# How one part of a name (given names, family name) fits: (score, reason for a result).
PartMatch = tuple[float, str]


@lru_cache(maxsize=200_000)
def _given(asked: tuple[str, ...], recorded: tuple[str, ...], label: str = "given name") -> PartMatch:
    if not recorded:
        return (0.3, "")
    if len(asked) == 1 and len(recorded) == 1:
        # The usual case, one forename against one: no middle names or joined forms to try.
        score, relation, exact = compare_words(asked[0], recorded[0])
        if exact:
            return (1.0, f"{label} matches")
        if score >= REASON_THRESHOLD and relation:
            return (score, f"{label} {display(asked[0])}: {relation}")
        return (score, "")
    best_score, best_reason = 0.0, ""

    def consider(a: str, r: str, factor: float, note: str) -> None:
        nonlocal best_score, best_reason
        score, relation, exact = compare_words(a, r)
        if score * factor <= best_score:
            return
        if exact:
            reason = f"{label} matches{note}"
        elif score >= REASON_THRESHOLD and relation:
            reason = f"{label} {display(a)}: {relation}{note}"
        else:
            reason = ""
        best_score, best_reason = score * factor, reason

    consider(asked[0], recorded[0], 1.0, "")
    if best_score < 1.0:
        for other in recorded[1:]:
            consider(asked[0], other, MIDDLE_FACTOR, " (a middle name)")
        for other in asked[1:]:
            consider(other, recorded[0], MIDDLE_FACTOR, " (as a middle name)")
        if len(asked) > 1 or len(recorded) > 1:
            consider("".join(asked), "".join(recorded), 1.0, "")
    return (best_score, best_reason)


@lru_cache(maxsize=200_000)
def _family(asked: tuple[str, ...], recorded: tuple[str, ...], label: str = "family name") -> PartMatch:
    if not recorded:
        return (0.3, "")
    asked_joined, recorded_joined = "".join(asked), "".join(recorded)
    best_score, relation, exact = compare_words(asked_joined, recorded_joined)
    if exact:
        return (1.0, f"{label} matches")
    best_reason = (
        f"{label} {display(asked_joined)}: {relation}" if best_score >= REASON_THRESHOLD and relation else ""
    )
    asked_forms, recorded_forms = family_forms(asked), family_forms(recorded)
    if len(asked_forms) > 2 and len(recorded_forms) > 2 and set(asked_forms[1:]) == set(recorded_forms[1:]):
        return (0.97, f"{label} parts in another order ({'-'.join(map(display, recorded))})")
    for a in asked_forms:
        for r in recorded_forms:
            if a == asked_joined and r == recorded_joined:
                continue
            part_score, part_relation, part_exact = compare_words(a, r)
            score = part_score * PART_FACTOR
            if score <= best_score:
                continue
            whole = "-".join(display(word) for word in recorded)
            if part_exact:
                reason = f"{label} {display(a)}: part of {whole}"
            elif part_score >= REASON_THRESHOLD and part_relation:
                reason = f"{label} {display(a)}: {part_relation}, part of {whole}"
            else:
                reason = ""
            best_score, best_reason = score, reason
    return (best_score, best_reason)


@dataclass(frozen=True, slots=True)
class NameMatch:
    score: float
    reasons: tuple[str, ...]


def compare_names(query: NameQuery, recorded: NameForm) -> NameMatch:
    """How well a recorded name fits the typed one, over its readings (alternatives cost a little)."""
    best = _compare_reading(query, recorded)
    if best.score >= 1.0 - REGROUPED_PENALTY:
        return best  # no other reading of the words can do better
    for alternative in query.alternatives:
        match = _compare_reading(alternative, recorded)
        score = match.score * (1.0 - alternative.penalty)
        if score > best.score:
            best = NameMatch(score, match.reasons)
    return best


@lru_cache(maxsize=200_000)
def _related(first: str, second: str) -> bool:
    return (
        first[:1] == second[:1]
        or phonetic.sounds_alike(first, second)
        or shared_group(first, second) is not None
    )


def _swap_possible(asked: NameForm, recorded: NameForm) -> bool:
    """Whether the swapped reading could score at all: most candidates share neither a first
    letter, a sound nor a group across the swap, and comparing them in full would be wasted."""
    return _related(asked.forename, recorded.family_joined) or _related(
        asked.family_joined, recorded.forename
    )


def _compare_reading(query: NameQuery, recorded: NameForm) -> NameMatch:
    """One reading against a recorded name: as typed, swapped, or (one word) either part."""
    asked = query.form
    if query.single:
        word = (asked.family or asked.given)[:1]
        family_score, family_reason = _family(word, recorded.family)
        given_score, given_reason = _given(word, recorded.given) if recorded.given else (0.0, "")
        if family_score >= given_score * SINGLE_AS_GIVEN_FACTOR:
            return NameMatch(family_score, (family_reason,) if family_reason else ())
        return NameMatch(given_score * SINGLE_AS_GIVEN_FACTOR, (given_reason,) if given_reason else ())
    if not asked.given:
        family_score, family_reason = _family(asked.family, recorded.family)
        return NameMatch(family_score, (family_reason,) if family_reason else ())
    given_score, given_reason = _given(asked.given, recorded.given)
    family_score, family_reason = _family(asked.family, recorded.family)
    direct = GIVEN_WEIGHT * given_score + FAMILY_WEIGHT * family_score
    result = NameMatch(direct, tuple(reason for reason in (given_reason, family_reason) if reason))
    if direct < 0.95 and recorded.given and recorded.family and _swap_possible(asked, recorded):
        given_swapped, given_swapped_reason = _given(asked.given, recorded.family, "given name")
        family_swapped, family_swapped_reason = _family(asked.family, recorded.given, "family name")
        swapped = (GIVEN_WEIGHT * given_swapped + FAMILY_WEIGHT * family_swapped) * SWAPPED_FACTOR
        if swapped > direct:
            reasons = ["given and family names swapped"]
            reasons += [
                reason
                for reason in (given_swapped_reason, family_swapped_reason)
                if reason and not reason.endswith(" matches")
            ]
            result = NameMatch(swapped, tuple(reasons))
    return result


@dataclass
class Candidate:
    """What the ranking needs of one indexed person: names with their kind, dates, identifiers."""

    nominal_id: int
    names: Sequence[tuple[str, NameForm]]
    dates_of_birth: Sequence[date]
    identifiers: Sequence[str] = ()


@dataclass
class SearchQuery:
    """What someone searched for. Any part may be missing, but not all of them."""

    name: NameQuery | None = None
    date_of_birth: dob.DateOfBirthQuery | None = None
    identifiers: Sequence[str] = ()

    def readings(self) -> list[NameForm]:
        """Every reading of the name to generate keys for: as typed, alternatives, and swapped."""
        if self.name is None or self.name.form.is_empty():
            return []
        forms: list[NameForm] = []
        for reading in self.name.readings():
            form = reading.form
            forms.append(form)
            if not reading.single and form.given and form.family:
                forms.append(NameForm(given=form.family, family=form.given))
        return list(dict.fromkeys(forms))

    @property
    def single(self) -> bool:
        return self.name is not None and self.name.single


@dataclass
class Ranked:
    nominal_id: int
    score: float
    reasons: list[str] = field(default_factory=list)
    name_score: float = 0.0


PRIMARY_KINDS = {"birth", "current", ""}


def _closest(
    asked: dob.DateOfBirthQuery, recorded: Sequence[date], memo: dict[date, dob.DateCloseness] | None
) -> dob.DateCloseness:
    found = dob.NO_DATE
    for value in recorded:
        closeness = memo.get(value) if memo is not None else None
        if closeness is None:
            closeness = dob.compare(asked, value)
            if memo is not None:
                memo[value] = closeness
        if closeness.score > found.score:
            found = closeness
    return found


def rank_one(
    query: SearchQuery,
    candidate: Candidate,
    memo: dict[NameForm, NameMatch] | None = None,
    dates: dict[date, dob.DateCloseness] | None = None,
) -> Ranked:
    weights = 0.0
    total = 0.0
    reasons: list[str] = []
    name_score = 0.0
    if query.name is not None and not query.name.form.is_empty():
        best = NameMatch(0.0, ())
        best_kind = ""
        for kind, form in candidate.names:
            match = memo.get(form) if memo is not None else None
            if match is None:
                match = compare_names(query.name, form)
                if memo is not None:
                    memo[form] = match
            if match.score > best.score or (match.score == best.score and kind in PRIMARY_KINDS):
                best, best_kind = match, kind
        name_score = best.score
        weight = SINGLE_WORD_NAME_WEIGHT if query.name.single else NAME_WEIGHT
        weights += weight
        total += weight * best.score
        reasons.extend(best.reasons)
        if best_kind not in PRIMARY_KINDS and best.score >= REASON_THRESHOLD:
            reasons.append(f"matched on {best_kind} name")
    if query.date_of_birth is not None:
        weights += DATE_WEIGHT
        if candidate.dates_of_birth:
            closeness = _closest(query.date_of_birth, candidate.dates_of_birth, dates)
            total += DATE_WEIGHT * closeness.score
            if closeness.reason:
                reasons.append(closeness.reason)
        else:
            total += DATE_WEIGHT * UNKNOWN_DATE
    if query.identifiers:
        weights += IDENTIFIER_WEIGHT
        recorded = {identifier_text(value) for value in candidate.identifiers}
        asked = [identifier_text(value) for value in query.identifiers]
        if any(value and value in recorded for value in asked):
            total += IDENTIFIER_WEIGHT
            reasons.append("identifier matches")
    score = round(total / weights, 3) if weights else 0.0
    return Ranked(candidate.nominal_id, score, reasons, name_score)


def _order(item: Ranked) -> tuple[float, int]:
    return (-item.score, item.nominal_id)


class Ranking:
    """The candidates of one search, scored as they arrive (a search gathers them in tiers): each
    distinct name is compared once, each person scored once."""

    def __init__(self, query: SearchQuery) -> None:
        self.query = query
        self.memo: dict[NameForm, NameMatch] = {}
        self.dates: dict[date, dob.DateCloseness] = {}
        self.scored: dict[int, Ranked] = {}
        words: set[str] = set()
        for reading in query.readings():
            words.update(reading.given)
            words.update(reading.given_forms())
            words.update(family_forms(reading.family))
            words.update(reading.family)
        phonetic.ensure(words)

    def add(self, candidates: Sequence[Candidate]) -> None:
        fresh = [candidate for candidate in candidates if candidate.nominal_id not in self.scored]
        words: set[str] = set()
        memo = self.memo
        for candidate in fresh:
            for _, form in candidate.names:
                if form not in memo:
                    words.update(form.given)
                    words.update(family_forms(form.family))
                    if len(form.given) > 1:
                        words.add("".join(form.given))
        # One query for the codes of every new word, rather than one for each comparison.
        phonetic.ensure(words)
        for candidate in fresh:
            self.scored[candidate.nominal_id] = rank_one(self.query, candidate, self.memo, self.dates)

    def best(self, limit: int | None = None) -> list[Ranked]:
        if limit is not None and limit <= 1:
            # Asked after every tier: the leader alone needs no sort.
            leader = min(self.scored.values(), key=_order, default=None)
            return [] if leader is None or limit < 1 else [leader]
        ordered = sorted(self.scored.values(), key=_order)
        return ordered if limit is None else ordered[:limit]

    def __len__(self) -> int:
        return len(self.scored)


def rank(query: SearchQuery, candidates: Sequence[Candidate]) -> list[Ranked]:
    """Every candidate scored and sorted, best first (ties by reference, oldest first)."""
    ranking = Ranking(query)
    ranking.add(candidates)
    return ranking.best()
