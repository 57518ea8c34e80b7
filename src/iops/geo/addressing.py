"""How addresses are written out and how they are matched as a call handler types them.

One line for display (``full_address``) is built from the parts of a gazetteer row. For search, the
same parts are folded to a *search text*: lower case, accents and punctuation gone, street words
shortened to one form ("street" and "st" both become "st"), and the words that only say what kind
of sub-building it is ("flat", "apartment") dropped, so "Flat 3, 12 High Street" and "3 12 high st"
fold to the same words. A query is folded by the same function, so whatever rule applies to the
stored text applies to what is typed. Postcodes are kept both as written and as a key without the
space, so "AB1 2CD" and "ab12cd" find the same addresses.
"""

from __future__ import annotations

import re
import unicodedata

# Folded to one form each, whichever the gazetteer or the caller used. Short forms are the target
# because "st" is also "saint": both sides fold the same way, so either reading matches. Only the
# words that are commonly written both ways are here; "park" or "green" are nearly always in full.
ABBREVIATIONS = {
    "street": "st",
    "saint": "st",
    "road": "rd",
    "avenue": "ave",
    "av": "ave",
    "lane": "ln",
    "drive": "dr",
    "close": "cl",
    "crescent": "cres",
    "court": "ct",
    "place": "pl",
    "terrace": "ter",
    "terr": "ter",
    "gardens": "gdns",
    "grove": "gr",
    "square": "sq",
    "parade": "pde",
}

# Words that say what a sub-building is, not which one: "flat 3" and "3" are the same flat.
SUB_BUILDING_WORDS = frozenset({"flat", "flats", "apartment", "apartments", "apt", "unit", "no", "number"})

# UK postcode: outward code (area letters, district digits, optional letter) and inward code.
POSTCODE_RE = re.compile(r"^([A-Z]{1,2}[0-9][0-9A-Z]?)\s*([0-9][A-Z]{2})$")
# A postcode being typed: an outward code, then perhaps part of the inward code.
POSTCODE_PREFIX_RE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?(?:[0-9][A-Z]{0,2})?$")

_APOSTROPHES = "'\u2019\u2018`"
_NON_WORD = re.compile(r"[^a-z0-9]+")
_NUMBER_WITH_SUFFIX = re.compile(r"^([0-9]+)([a-z])$")
_NOT_POSTCODE_CHARACTER = re.compile(r"[^A-Z0-9]")
_SPELT_OUT = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "\u0131": "i"}
)


def fold(text: str) -> str:
    """Lower case, accents removed, apostrophes dropped, other punctuation a space."""
    if not text.isascii():
        # casefold turns "ß" into "ss"; letters that do not decompose are spelt out, the rest of
        # the accents come off in NFKD.
        decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_SPELT_OUT))
        text = "".join(char for char in decomposed if not unicodedata.combining(char))
    lowered = text.lower().replace("&", " and ")
    for mark in _APOSTROPHES:
        lowered = lowered.replace(mark, "")
    return _NON_WORD.sub(" ", lowered).strip()


def search_words(text: str) -> list[str]:
    """The words search compares: folded, abbreviated, sub-building words dropped.

    A house number with a letter ("12a") becomes two words ("12", "a") so that "12 a" and "12a"
    are the same; postcodes are handled separately and never pass through here.
    """
    words: list[str] = []
    for word in fold(text).split():
        if word in SUB_BUILDING_WORDS:
            continue
        if word[0].isdigit():
            match = _NUMBER_WITH_SUFFIX.match(word)
            if match:
                words.extend(match.groups())
                continue
        words.append(ABBREVIATIONS.get(word, word))
    return words


def postcode_key(postcode: str) -> str:
    """Upper case without spaces: the form the postcode index holds."""
    key = postcode.upper().replace(" ", "")
    return key if key.isalnum() and key.isascii() else _NOT_POSTCODE_CHARACTER.sub("", key)


def normalise_postcode(postcode: str) -> str | None:
    """``"ab12cd"`` -> ``"AB1 2CD"``; None if it is not a whole UK postcode."""
    match = POSTCODE_RE.match(postcode_key(postcode))
    if not match:
        return None
    return f"{match.group(1)} {match.group(2)}"


def is_postcode_prefix(text: str) -> bool:
    """Whether what was typed is a postcode or the start of one (at least the outward code)."""
    stripped = text.strip()
    if not re.fullmatch(r"[A-Za-z0-9]+(?: [A-Za-z0-9]*)?", stripped):
        return False
    return bool(POSTCODE_PREFIX_RE.match(postcode_key(stripped)))


def full_address(
    *,
    sub_building: str = "",
    building_name: str = "",
    building_number: str = "",
    street: str = "",
    locality: str = "",
    town: str = "",
    postcode: str = "",
) -> str:
    """One display line: ``Flat 3, Rose Court, 12 High Street, Upton, Marrowcliffe, DM1 2AB``."""
    street_line = " ".join(part for part in (building_number.strip(), street.strip()) if part)
    parts = [sub_building, building_name, street_line, locality, town, postcode]
    return ", ".join(part.strip() for part in parts if part and part.strip())


def search_text(
    *,
    sub_building: str = "",
    building_name: str = "",
    building_number: str = "",
    street: str = "",
    locality: str = "",
    town: str = "",
    postcode: str = "",
) -> str:
    """The stored search text, with a space at each end so every word can be matched as
    ``'% word%'`` (a word start) or ``'% word %'`` (a whole word) by one trigram index."""
    words = search_words(" ".join((sub_building, building_name, building_number, street, locality, town)))
    key = postcode_key(postcode)
    if key:
        written = normalise_postcode(postcode) or postcode
        words.extend(fold(written).split())
        words.append(key.lower())
    return f" {' '.join(words)} "


def query_terms(query: str) -> list[str]:
    """The words of a typed query, folded but not yet abbreviated (see ``word_patterns``)."""
    words: list[str] = []
    for word in fold(query).split():
        if word in SUB_BUILDING_WORDS:
            continue
        match = _NUMBER_WITH_SUFFIX.match(word)
        words.extend(match.groups() if match else (word,))
    return words


def word_needles(terms: list[str]) -> list[list[str]]:
    """For each term, the substrings of which one must be in the search text.

    A term must start a word (``" high"``), in its own form or its folded short form ("road" or
    "rd"). A number that is not the last term must be the whole word (``" 12 "``), so "12" does
    not find "120"; the last term is still being typed, so "stre" also finds "st" (street) and
    "ro" finds "rd". Each needle is a ``LIKE '%needle%'`` that the trigram index answers.
    """
    needles: list[list[str]] = []
    for index, term in enumerate(terms):
        last = index == len(terms) - 1
        if term.isdigit():
            needles.append([f" {term}" if last else f" {term} "])
            continue
        forms = {f" {term}"}
        short = ABBREVIATIONS.get(term)
        if short:
            forms.add(f" {short} ")
        if last and len(term) >= 2:
            forms.update(f" {short} " for word, short in ABBREVIATIONS.items() if word.startswith(term))
        needles.append(sorted(forms))
    return needles
