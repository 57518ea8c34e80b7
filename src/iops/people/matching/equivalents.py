"""Name-equivalence groups: nicknames and diminutives, and one name's spellings across languages.

Two sources, loaded once per process:

* nicknames - the ``nicknames`` package's hand-curated CSV of English given names and their
  nicknames (Carlton Northern and Nick Crews, Apache-2.0, shipped inside the package), plus
  ``data/nicknames_uk.csv`` for UK forms it lacks (Liam, Rab, Gaz...). Each full name is a group;
  a word belongs to the group of every full name it is listed against, so Bill and Billy meet
  through William, and William meets Bill directly. The relation is not closed transitively: the
  dataset links some names loosely, and a chain of loose links would join unrelated names.
* ``data/name_equivalents.csv`` - spellings across Irish, Polish, Arabic, South Asian, Somali,
  Chinese, Slavic, Welsh and Gaelic usage, with the source of each named in the file.

A group is found by the folded, particle-merged form of a word (``normalise.family_tokens``), so
"Ó Súilleabháin" and "O'Sullivan" are looked up the way they are indexed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from iops.people.data import rows
from iops.people.matching.normalise import family_tokens


@dataclass(frozen=True, slots=True)
class Group:
    """One equivalence group: its stable key, the form shown to users, and how its members relate."""

    key: str
    canonical: str
    kind: str  # nickname | spelling | diminutive | translation
    community: str = ""

    def describe(self) -> str:
        """How a member relates to the group, for a search result: "Irish spelling of Siobhán"."""
        if self.kind == "nickname":
            return f"nickname or short form of {self.canonical}"
        label = {"spelling": "spelling", "diminutive": "diminutive", "translation": "form"}.get(
            self.kind, "form"
        )
        return (
            f"{self.community} {label} of {self.canonical}"
            if self.community
            else f"{label} of {self.canonical}"
        )


def _word(text: str) -> str:
    return "".join(family_tokens(text))


def _package_nickname_rows() -> list[dict[str, str]]:
    source = resources.files("nicknames").joinpath("names.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(source.splitlines()))


@dataclass(frozen=True)
class Equivalence:
    """One row of ``name_equivalents.csv``: a group's spellings, the first being its usual form."""

    group: str
    kind: str
    community: str
    part: str
    spellings: tuple[str, ...]


@cache
def equivalences() -> tuple[Equivalence, ...]:
    found = []
    for row in rows("name_equivalents.csv"):
        spellings = tuple(spelling.strip() for spelling in row["spellings"].split("|") if spelling.strip())
        if spellings:
            found.append(Equivalence(row["group"], row["kind"], row["community"], row["part"], spellings))
    return tuple(found)


@cache
def nickname_pairs() -> tuple[tuple[str, str], ...]:
    """(full name, nickname) pairs as used for groups: the package's and the UK supplement's."""
    edges = {
        (_word(row["name1"]), _word(row["name2"]))
        for row in _package_nickname_rows() + list(rows("nicknames_uk.csv"))
        if row.get("relationship") == "has_nickname"
    }
    # The dataset lists some pairs both ways (bill -> william and william -> bill); only the full
    # name makes a group, or Bill's group would join William to Robert.
    return tuple(
        (full, short)
        for full, short in sorted(edges)
        if full and short and full != short and not ((short, full) in edges and len(full) < len(short))
    )


@cache
def _index() -> dict[str, tuple[Group, ...]]:
    groups: dict[str, dict[str, Group]] = {}

    def add(word: str, group: Group) -> None:
        if word:
            groups.setdefault(word, {})[group.key] = group

    for full, short in nickname_pairs():
        group = Group(key=f"nick:{full}", canonical=full.title(), kind="nickname")
        add(full, group)
        add(short, group)
    for row in equivalences():
        group = Group(
            key=f"eq:{row.group}", canonical=row.spellings[0], kind=row.kind, community=row.community
        )
        for spelling in row.spellings:
            add(_word(spelling), group)
    return {word: tuple(sorted(found.values(), key=lambda g: g.key)) for word, found in groups.items()}


def groups_of(word: str) -> tuple[Group, ...]:
    """The groups a folded word belongs to (empty for a name with no known equivalents)."""
    return _index().get(word, ())


def shared_group(first: str, second: str) -> Group | None:
    """The most specific group two words share: a spelling before a diminutive, nickname, translation."""
    a = groups_of(first)
    if not a:
        return None
    b = groups_of(second)
    if not b:
        # Most family names belong to no group: the ranking asks this thousands of times a search.
        return None
    keys_b = {group.key for group in b}
    shared = [group for group in a if group.key in keys_b]
    if not shared:
        return None
    return min(shared, key=lambda group: (_KIND_ORDER.get(group.kind, 9), group.key))


_KIND_ORDER = {"spelling": 0, "diminutive": 1, "nickname": 2, "translation": 3}


def all_groups() -> dict[str, tuple[Group, ...]]:
    """Every word with its groups (for benchmarks and tests that walk the data)."""
    return dict(_index())
