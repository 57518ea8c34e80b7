"""Search keys: the integers a person's index entry carries and a query looks for.

Candidate generation must be cheap on a million people and still find a record under a changed
spelling, so every key pairs something about the family name with something about the given name
(one pair is selective even where each half is common), and each pair tolerates one kind of change:

* ``c``  family x given identity: Double Metaphone codes and equivalence groups on both sides, so
  spellings that sound alike, nicknames and transliterations meet;
* ``df`` one letter of the family name dropped x the given name's primary code, and ``dg`` the
  reverse: a missing, extra, changed or transposed letter on one side (``normalise.deletions``);
* ``fi`` family name x given initial ("J Smith"); ``d`` a date of birth; ``i`` an identifier.

Single-field keys (``sf``, ``sg``, ``sfd``) serve one-word queries and the fallback when the paired
keys find too little; a query asks for them separately, with a limit. A key is the first 8 bytes of
the BLAKE2b hash of its text, as a signed 64-bit integer (PostgreSQL ``bigint``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from iops.people.matching import phonetic
from iops.people.matching.equivalents import groups_of
from iops.people.matching.normalise import NameForm, deletions, family_forms

# Deletion keys are paired with the other name's code, so even two-letter words ("Ho", "Ng")
# stay selective; on their own (``sfd``) only longer words are.
MIN_DELETION_LENGTH = 2
MIN_SINGLE_DELETION_LENGTH = 5


@lru_cache(maxsize=400_000)
def key(text: str) -> int:
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def identifier_text(value: str) -> str:
    """An identifier as compared: upper-case letters and digits only (PNC IDs, VRMs, phone numbers)."""
    return "".join(char for char in value.upper() if char.isalnum())


def _codes(word: str) -> list[str]:
    primary, alternate = phonetic.known(word)
    found = [code for code in (primary, alternate) if code]
    # Some words have no consonant code (e.g. "ai"); fall back to the word itself.
    return list(dict.fromkeys(found)) or [f"={word}"]


def _identity(word: str, *, groups: bool = True) -> list[str]:
    parts = [f"p{code}" for code in _codes(word)]
    if groups:
        parts.extend(f"q{group.key}" for group in groups_of(word))
    return parts


def words_of(names: Iterable[NameForm]) -> set[str]:
    words: set[str] = set()
    for name in names:
        words.update(name.given)
        words.update(name.given_forms())
        words.update(name.family_forms())
    return words


def name_key_texts(name: NameForm) -> set[str]:
    """The key texts of one recorded name (phonetic codes must be known: ``phonetic.ensure``)."""
    texts: set[str] = set()
    families = family_forms(name.family)
    givens = name.given_forms()
    forename = name.forename
    for family in families:
        family_ids = _identity(family)
        family_codes = [f"p{code}" for code in _codes(family)]
        texts.add(f"sf|n|{family}")
        texts.update(f"sf|{code}" for code in family_codes)
        for index, given in enumerate(givens):
            # Middle names pair by sound only: enough to find "Paul Smith" as John Paul Smith.
            given_ids = _identity(given, groups=index == 0)
            given_codes = [f"p{code}" for code in _codes(given)]
            texts.update(f"c|{f}|{g}" for f in family_codes for g in given_ids)
            texts.update(f"c|{f}|{g}" for f in family_ids for g in given_codes)
        if forename:
            # "fi": for a query by initial ("J Smith"), which wants every Smith with a J forename.
            # "fo": only a name recorded with an initial, for a query with the full forename
            # ("John Smith" finds "J Smith" without bringing every Jack and Jane Smith along).
            prefix = "fo" if len(forename) == 1 else "fi"
            texts.add(f"{prefix}|{family}|{forename[0]}")
            texts.add(f"{prefix}|{family_codes[0]}|{forename[0]}")
            if prefix == "fo":
                texts.add(f"fi|{family}|{forename[0]}")
                texts.add(f"fi|{family_codes[0]}|{forename[0]}")
    joined = name.family_joined
    if joined and forename:
        forename_code = _identity(forename, groups=False)[0]
        joined_code = _identity(joined, groups=False)[0]
        if len(joined) >= MIN_DELETION_LENGTH:
            texts.update(f"df|{variant}|{forename_code}" for variant in deletions(joined) | {joined})
        if len(forename) >= MIN_DELETION_LENGTH:
            texts.update(f"dg|{variant}|{joined_code}" for variant in deletions(forename) | {forename})
    if joined and len(joined) >= MIN_SINGLE_DELETION_LENGTH:
        texts.update(f"sfd|{variant}" for variant in deletions(joined) | {joined})
    for given in givens:
        texts.add(f"sg|n|{given}")
        texts.update(f"sg|{code}" for code in _identity(given))
    return texts


def date_key_text(value: date) -> str:
    return f"d|{value:%Y%m%d}"


def document_keys(
    names: Sequence[NameForm], dates_of_birth: Sequence[date], identifiers: Sequence[str]
) -> list[int]:
    """Every key of one person's index entry, sorted and without repeats."""
    phonetic.ensure(words_of(names))
    keys: set[int] = set()
    for name in names:
        keys |= _name_keys(name)
    keys.update(key(date_key_text(value)) for value in dates_of_birth)
    keys.update(key(f"i|{identifier_text(value)}") for value in identifiers if identifier_text(value))
    return sorted(keys)


@lru_cache(maxsize=200_000)
def _name_keys(name: NameForm) -> frozenset[int]:
    # Many people share a name; a bulk load computes each name's keys once. Only called after
    # ``phonetic.ensure``, so the codes these keys are made from are the real ones.
    return frozenset(key(text) for text in name_key_texts(name))


@dataclass
class QueryKeys:
    """What a query looks for, in the order a search asks: paired keys by identity (sound, group),
    date and identifier; paired keys allowing a typing slip; single-field keys, exact then loose."""

    paired: set[int] = field(default_factory=set)
    slips: set[int] = field(default_factory=set)
    exact_single: set[int] = field(default_factory=set)
    loose_single: set[int] = field(default_factory=set)


def _single_texts(word: str) -> tuple[set[str], set[str]]:
    exact = {f"sf|n|{word}", f"sg|n|{word}"}
    loose = {f"sf|{code}" for code in _identity(word, groups=False)}
    loose |= {f"sg|{code}" for code in _identity(word)}
    if len(word) >= MIN_SINGLE_DELETION_LENGTH:
        loose |= {f"sfd|{variant}" for variant in deletions(word) | {word}}
    return exact, loose


def query_keys(
    names: Sequence[NameForm],
    *,
    dates_of_birth: Sequence[date] = (),
    identifiers: Sequence[str] = (),
) -> QueryKeys:
    """Keys for a query. ``names`` are the readings of what was typed (as parsed, and swapped)."""
    phonetic.ensure(words_of(names))
    result = QueryKeys()
    paired: set[str] = set()
    slips: set[str] = set()
    exact: set[str] = set()
    loose: set[str] = set()
    for name in names:
        if not name.given or not name.family:
            for word in (*name.given_forms(), *name.family_forms()):
                more_exact, more_loose = _single_texts(word)
                exact |= more_exact
                loose |= more_loose
            continue
        texts = name_key_texts(name)
        paired |= {text for text in texts if text.startswith("c|")}
        slips |= {text for text in texts if text[:2] in ("df", "dg")}
        # A query by initial wants everyone with that initial; a full forename only those recorded
        # by their initial (see name_key_texts).
        if len(name.forename) == 1:
            paired |= {text for text in texts if text.startswith("fi|")}
        else:
            paired |= {"fo|" + text[3:] for text in texts if text.startswith("fi|")}
        exact |= {f"sf|n|{family}" for family in name.family_forms()}
        if len(name.forename) > 1:
            exact.add(f"sg|n|{name.forename}")
        loose |= {text for text in texts if text.startswith(("sf|", "sfd|"))}
        loose |= {f"sg|{code}" for code in _identity(name.forename)} if name.forename else set()
    paired |= {date_key_text(value) for value in dates_of_birth}
    paired |= {f"i|{identifier_text(value)}" for value in identifiers if identifier_text(value)}
    result.paired = {key(text) for text in paired}
    result.slips = {key(text) for text in slips}
    result.exact_single = {key(text) for text in exact}
    result.loose_single = {key(text) for text in loose}
    return result


def block_keys(
    names: Sequence[NameForm], dates_of_birth: Sequence[date], identifiers: Sequence[str]
) -> list[int]:
    """Keys that put likely duplicates of one person in the same small block, for the batch scan:
    family sound x date of birth, forename sound x date of birth (a changed family name), the exact
    normalised name, and each identifier. Codes must be known (``phonetic.ensure``)."""
    texts: set[str] = set()
    for name in names:
        joined = name.family_joined
        if joined and name.forename:
            texts.add(f"b|n|{joined}|{name.forename}")
        for value in dates_of_birth:
            stamp = f"{value:%Y%m%d}"
            if joined:
                texts.add(f"b|f|{_codes(joined)[0]}|{stamp}")
            if name.forename:
                texts.add(f"b|g|{_codes(name.forename)[0]}|{stamp}")
    texts.update(f"i|{identifier_text(value)}" for value in identifiers if identifier_text(value))
    return sorted({key(text) for text in texts})
