"""Normalised forms of names: the spelling-independent text every key and comparison starts from.

Folding turns a name as written into lower-case ASCII words: other scripts are transliterated
(``data/transliteration.csv``), accents removed, apostrophes dropped (O'Brien -> obrien), other
punctuation and hyphens split words. Family names then merge joining particles (O Brien, Mac
Donald -> obrien, macdonald), spell Mc as Mac, and keep double-barrelled parts both separately and
joined, so Smith-Jones, Jones-Smith, Smith Jones and Smithjones meet. Query text is parsed into
given and family names from "Given Middle Family", "Family, Given", "FAMILY Given" or one word.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import NamedTuple

from iops.people.data import rows

STRAY_PIECE_LENGTH = 3
REGROUPED_PENALTY = 0.03
# Apostrophe look-alikes people and keyboards produce: ' U+2019 U+2018 ` U+00B4 U+02BC U+02B9 U+2032.
_APOSTROPHES = "'\u2019\u2018`\u00b4\u02bc\u02b9\u2032"
_ASCII_SPLIT = re.compile(r"[^a-z]+")


@cache
def _letter_table() -> dict[str, str]:
    return {row["letter"]: row["latin"] for row in rows("transliteration.csv")}


@cache
def _particles() -> dict[str, bool]:
    """Particle -> whether it is usually written joined to the name that follows."""
    return {row["particle"]: row["joins"] == "yes" for row in rows("name_particles.csv")}


def is_particle(token: str) -> bool:
    return token in _particles()


def _fold_char(char: str) -> str:
    table = _letter_table()
    if char in table:
        return table[char]
    decomposed = unicodedata.normalize("NFKD", char)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    if kept != char and kept:
        return "".join(table.get(c, c) for c in kept)
    return kept


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """Lower-case ASCII words separated by single spaces; everything else removed or split.

    >>> fold("Ó Súilleabháin-O'Brien")
    'o suilleabhain obrien'
    """
    text = text.strip()
    if not text:
        return ""
    lowered = text.lower()
    for mark in _APOSTROPHES:
        lowered = lowered.replace(mark, "")
    if not lowered.isascii():
        lowered = "".join(_fold_char(char) for char in unicodedata.normalize("NFC", lowered)).lower()
    return " ".join(part for part in _ASCII_SPLIT.split(lowered) if part)


def _mac(token: str) -> str:
    """Mc and Mac are one prefix written two ways; Mac is kept (McDonald -> macdonald)."""
    if token.startswith("mc") and len(token) > 3:
        return "mac" + token[2:]
    return token


@lru_cache(maxsize=200_000)
def family_tokens(text: str) -> tuple[str, ...]:
    """A family name's words, joining particles merged into the word after them."""
    words = fold(text).split()
    particles = _particles()
    merged: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if particles.get(word) and index + 1 < len(words):
            word = word + words[index + 1]
            index += 1
        merged.append(_mac(word))
        index += 1
    return tuple(merged)


@lru_cache(maxsize=200_000)
def given_tokens(text: str) -> tuple[str, ...]:
    return tuple(fold(text).split())


class NameForm(NamedTuple):
    """A name reduced to normalised words: given names (forename first) and family name words.

    A named tuple rather than a dataclass: the ranking looks names up by value thousands of times
    a search, and a tuple hashes in C."""

    given: tuple[str, ...]
    family: tuple[str, ...]

    @classmethod
    def from_parts(cls, given_names: str, family_name: str) -> NameForm:
        return cls(given=given_tokens(given_names), family=family_tokens(family_name))

    @property
    def forename(self) -> str:
        return self.given[0] if self.given else ""

    @property
    def family_joined(self) -> str:
        return "".join(self.family)

    def family_forms(self) -> tuple[str, ...]:
        """Every form the family name may be written in: joined, and each part that is not a particle."""
        return family_forms(self.family)

    def given_forms(self) -> tuple[str, ...]:
        forms = list(self.given)
        if len(self.given) > 1:
            forms.append("".join(self.given))
        return tuple(dict.fromkeys(forms))

    def is_empty(self) -> bool:
        return not self.given and not self.family

    def encode(self) -> str:
        """The compact form stored in the search index: ``given words|family words``."""
        return " ".join(self.given) + "|" + " ".join(self.family)

    @classmethod
    def decode(cls, text: str) -> NameForm:
        return cls(*_decode(text))


@lru_cache(maxsize=100_000)
def family_forms(family: tuple[str, ...]) -> tuple[str, ...]:
    if not family:
        return ()
    joined = "".join(family)
    parts = [token for token in family if not is_particle(token)]
    return tuple(dict.fromkeys([joined, *parts]))


@dataclass(frozen=True, slots=True)
class NameQuery:
    """A name as someone searching typed it. ``single`` means one word whose role is unknown.

    ``alternatives`` are other readings of the same words, tried at a small cost: a word split by
    a stray space ("Cla rke", "Ja ck") joined again, or the last two words as one double-barrelled
    family name written without its hyphen.
    """

    text: str
    form: NameForm
    single: bool = False
    alternatives: tuple[NameQuery, ...] = ()
    # What a match on this reading gives up against the reading as typed: nothing when only the
    # roles of the same words change, a little when words were joined or regrouped.
    penalty: float = 0.0

    @property
    def tokens(self) -> tuple[str, ...]:
        return self.form.given + self.form.family

    def readings(self) -> tuple[NameQuery, ...]:
        return (self, *self.alternatives)


def _is_capitalised_surname(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) > 1 and all(c.isupper() for c in letters)


def parse_query_name(text: str) -> NameQuery:
    """Split free text into given and family names, with the alternative readings of its words."""
    query = _parse(text)
    words = " ".join(text.split()).split()
    if "," in text or len(words) < 2 or query.form.is_empty():
        return query
    alternatives: list[NameQuery] = []
    if not query.form.given:
        # "Mac Burton", "Di Hammond", "Al Johnson": a particle may be a given name after all.
        alternatives.append(NameQuery(text, NameForm.from_parts(" ".join(words[:-1]), words[-1])))
    for index in range(len(words) - 1):
        # A stray space leaves a short piece ("Cla rke", "Crou ch", "Luc y"); two real names
        # side by side are rarely that short, and joining them would invent a word.
        if min(len(fold(words[index])), len(fold(words[index + 1]))) <= STRAY_PIECE_LENGTH:
            joined = _parse(" ".join([*words[:index], words[index] + words[index + 1], *words[index + 2 :]]))
            alternatives.append(NameQuery(joined.text, joined.form, joined.single, penalty=REGROUPED_PENALTY))
    if len(words) >= 3:
        given = " ".join(words[:-2])
        form = NameForm.from_parts(given, " ".join(words[-2:]))
        alternatives.append(NameQuery(text, form, penalty=REGROUPED_PENALTY))
    seen = {query.form}
    unique = []
    for alternative in alternatives:
        if alternative.form not in seen and not alternative.form.is_empty():
            seen.add(alternative.form)
            unique.append(alternative)
    return NameQuery(query.text, query.form, query.single, tuple(unique), query.penalty)


def _parse(text: str) -> NameQuery:
    """Split free text into given and family names.

    "Family, Given Middle" (comma), "FAMILY Given" (the police convention of a capitalised
    surname first), "Given Middle Family" (family last, with any particles before it: "Ahmed al
    Hassan", "Sean O Brien") and one word (role unknown: matched against both).
    """
    text = " ".join(text.split())
    if "," in text:
        family_text, _, given_text = text.partition(",")
        form = NameForm.from_parts(given_text, family_text)
        if not form.family and form.given:
            return NameQuery(text, NameForm(given=(), family=family_tokens(given_text)), single=True)
        return NameQuery(text, form, single=not form.given)
    words = text.split()
    if not words:
        return NameQuery(text, NameForm((), ()), single=False)
    if len(words) == 1:
        form = NameForm(given=(), family=family_tokens(words[0]))
        # A hyphenated single word ("Smith-Jones") is a family name; a plain word could be either.
        return NameQuery(text, form, single=len(form.family) <= 1)
    if _is_capitalised_surname(words[0]) and not all(_is_capitalised_surname(w) for w in words):
        cut = 1
        while cut < len(words) and _is_capitalised_surname(words[cut]):
            cut += 1
        form = NameForm.from_parts(" ".join(words[cut:]), " ".join(words[:cut]))
        return NameQuery(text, form)
    cut = len(words) - 1
    while cut > 1 and is_particle(fold(words[cut - 1])):
        cut -= 1
    if all(is_particle(fold(word)) for word in words[:cut]):
        # "O Brien", "Al Hassan": the whole text is one family name.
        return NameQuery(text, NameForm(given=(), family=family_tokens(text)))
    form = NameForm.from_parts(" ".join(words[:cut]), " ".join(words[cut:]))
    if not form.family:
        return NameQuery(text, NameForm(given=(), family=form.given), single=len(form.given) == 1)
    return NameQuery(text, form)


def deletions(token: str) -> set[str]:
    """The word with each one letter left out: two words one typing slip apart share one of these
    (or one is the other's), which is how a missing, extra, changed or swapped letter is found."""
    return {token[:i] + token[i + 1 :] for i in range(len(token))}


def trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams of a folded string: each word padded with two spaces before, one after."""
    grams: set[str] = set()
    for word in text.split():
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def trigram_similarity(a: str, b: str) -> float:
    """pg_trgm ``similarity``: shared trigrams over all distinct trigrams of the two strings."""
    first, second = trigrams(a), trigrams(b)
    if not first or not second:
        return 0.0
    return len(first & second) / len(first | second)


@lru_cache(maxsize=200_000)
def _decode(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    # Search results decode the same few thousand names again and again. A plain tuple of strings
    # is what is remembered: the garbage collector stops tracking those (a NameForm it would not).
    given, _, family = text.partition("|")
    return (tuple(given.split()), tuple(family.split()))
