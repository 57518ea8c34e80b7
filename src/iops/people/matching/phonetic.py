"""Double Metaphone codes of name words, computed by PostgreSQL and remembered by this process.

PostgreSQL's fuzzystrmatch (created by the platform migration) carries Lawrence Philips' own
Double Metaphone (``dmetaphone``, ``dmetaphone_alt``); using it means the codes in the index, in a
query and in a benchmark baseline are the same algorithm, and none of it is reimplemented here.
A word's codes never change, so each process keeps them in memory: after warm-up a search needs no
round trip for them, and a bulk load asks once per batch of new words.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from django.db import connections

Codes = tuple[str, str]

_MAX_REMEMBERED = 500_000
_BATCH = 5_000
_codes: dict[str, Codes] = {}
_lock = threading.Lock()


def has(word: str) -> bool:
    return word in _codes


def known(word: str) -> Codes:
    """Codes of a word already looked up (``ensure`` first); ``("", "")`` for an unknown word."""
    return _codes.get(word, ("", ""))


def ensure(words: Iterable[str], *, using: str = "default") -> None:
    """Look up, in as few queries as possible, every word whose codes this process lacks."""
    missing = sorted({word for word in words if word and word not in _codes})
    if not missing:
        return
    found: dict[str, Codes] = {}
    with connections[using].cursor() as cursor:
        for start in range(0, len(missing), _BATCH):
            batch = missing[start : start + _BATCH]
            cursor.execute(
                "SELECT w, coalesce(dmetaphone(w), ''), coalesce(dmetaphone_alt(w), '') "
                "FROM unnest(%s::text[]) AS w",
                [batch],
            )
            for word, primary, alternate in cursor.fetchall():
                found[word] = (primary, alternate)
    with _lock:
        if len(_codes) + len(found) > _MAX_REMEMBERED:
            _codes.clear()
        _codes.update(found)


def codes(word: str, *, using: str = "default") -> Codes:
    """Primary and alternate Double Metaphone codes of one folded word."""
    if word not in _codes:
        ensure([word], using=using)
    return known(word)


def sounds_alike(first: str, second: str) -> bool:
    """True when any code of one word equals any code of the other (both looked up already)."""
    a_primary, a_alternate = _codes.get(first, _NONE)
    b_primary, b_alternate = _codes.get(second, _NONE)
    # Written out rather than as sets: the ranking asks this for every pair of words it compares.
    if a_primary and a_primary in (b_primary, b_alternate):
        return True
    return bool(a_alternate) and a_alternate in (b_primary, b_alternate)


_NONE: Codes = ("", "")
