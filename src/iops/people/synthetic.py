"""Synthetic people for demo data and benchmarks: a UK mix of names with the ways records vary.

Names come from Faker's per-locale name lists (British, Irish and Irish-language, Polish, Indian,
Pakistani, Romanian, Lithuanian, Turkish, Nigerian) and from the equivalence groups in
``data/name_equivalents.csv`` (Arabic, Somali and Chinese names, and the other spellings of every
group). Records then vary as real ones do: another spelling or a nickname, a typing slip, given and
family names swapped, a double-barrelled name written three ways, a date of birth with day and
month swapped. Everything is generated from a seeded ``random.Random``; nothing is a real person.
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

from iops.people.matching.equivalents import equivalences, nickname_pairs
from iops.people.matching.normalise import fold


@dataclass(frozen=True)
class Community:
    """A group of names people in the force area carry, with its share of the population."""

    name: str
    share: float
    locales: tuple[str, ...] = ()
    given_groups: tuple[str, ...] = ()  # equivalence communities whose given names it uses
    family_groups: tuple[str, ...] = ()  # ... and whose family names


COMMUNITIES = (
    Community("British", 0.66, ("en_GB",)),
    Community("Irish", 0.07, ("en_IE", "ga_IE"), given_groups=("Irish",)),
    Community("Polish", 0.05, ("pl_PL",), given_groups=("Polish",), family_groups=("Polish",)),
    Community(
        "South Asian", 0.09, ("en_IN", "en_PK"), given_groups=("South Asian",), family_groups=("South Asian",)
    ),
    Community(
        "Arabic and Somali",
        0.04,
        (),
        given_groups=("Arabic and South Asian", "Arabic", "Somali"),
        family_groups=("Arabic and South Asian", "Somali"),
    ),
    Community("Eastern European", 0.04, ("ro_RO", "lt_LT"), given_groups=("Slavic",)),
    Community("Turkish", 0.015, ("tr_TR",)),
    Community("Nigerian", 0.025, ("en_NG",)),
    Community("Chinese", 0.02, ("en_GB",), family_groups=("Chinese",)),
)


@dataclass
class Pools:
    male: list[str] = field(default_factory=list)
    female: list[str] = field(default_factory=list)
    family: list[str] = field(default_factory=list)


def _names(values: object) -> list[str]:
    names = list(values.keys()) if isinstance(values, dict) else list(values)  # type: ignore[call-overload]
    return [name for name in names if isinstance(name, str) and fold(name)]


@cache
def pools() -> dict[str, Pools]:
    """Name lists per community, from Faker's locale data and the equivalence groups."""
    from importlib import import_module

    found: dict[str, Pools] = {}
    for community in COMMUNITIES:
        pool = Pools()
        for locale in community.locales:
            provider = import_module(f"faker.providers.person.{locale}").Provider
            either = _names(getattr(provider, "first_names", ()))
            pool.male += _names(getattr(provider, "first_names_male", ())) or either
            pool.female += _names(getattr(provider, "first_names_female", ())) or either
            for attribute in ("last_names", "male_last_names", "unisex_last_names"):
                pool.family += _names(getattr(provider, attribute, ()))
        for row in equivalences():
            if row.kind == "translation":
                continue
            if row.part == "given" and row.community in community.given_groups:
                # Group rows do not say male or female; both lists take them, which only blurs gender.
                pool.male.append(row.spellings[0])
                pool.female.append(row.spellings[0])
            if row.part == "family" and row.community in community.family_groups:
                pool.family.append(row.spellings[0])
            if (
                community.name == "Arabic and Somali"
                and row.part == "given"
                and row.community in community.family_groups
            ):
                pool.family.append(row.spellings[0])  # patronymic family names: Ahmed, Hassan, Farah
        if not pool.male:
            british = found["British"]
            pool.male, pool.female = list(british.male), list(british.female)
        found[community.name] = pool
    return found


@cache
def _variants() -> dict[str, list[tuple[str, str]]]:
    """Folded word -> (other form, how it differs): nicknames both ways, other spellings."""
    options: dict[str, list[tuple[str, str]]] = {}
    for full, short in nickname_pairs():
        options.setdefault(full, []).append((short.title(), "nickname"))
        options.setdefault(short, []).append((full.title(), "full name"))
    for row in equivalences():
        for spelling in row.spellings:
            key = "".join(fold(spelling).split())
            others = [other for other in row.spellings if other != spelling and fold(other).isascii()]
            options.setdefault(key, []).extend((other, f"{row.community} {row.kind}") for other in others)
    return options


KEYBOARD_NEIGHBOURS = {
    "a": "qsz", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj", "i": "uo",
    "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o", "q": "w", "r": "et",
    "s": "ad", "t": "ry", "u": "yi", "v": "cb", "w": "qe", "x": "zc", "y": "tu", "z": "x",
}  # fmt: skip


def typo(word: str, rng: random.Random) -> tuple[str, str]:
    """One typing slip: a letter missing, doubled, changed to a neighbour, or two letters swapped."""
    if len(word) < 3:
        return word + word[-1:], "letter doubled"
    index = rng.randrange(1, len(word))
    kind = rng.choice(("missing", "doubled", "changed", "swapped"))
    if kind == "missing":
        return word[:index] + word[index + 1 :], "letter missing"
    if kind == "doubled":
        return word[:index] + word[index] + word[index:], "letter doubled"
    if kind == "swapped" and index < len(word) - 1:
        return word[:index] + word[index + 1] + word[index] + word[index + 2 :], "letters swapped"
    letter = word[index].lower()
    replacement = rng.choice(KEYBOARD_NEIGHBOURS.get(letter, string.ascii_lowercase))
    if word[index].isupper():
        replacement = replacement.upper()
    return word[:index] + replacement + word[index + 1 :], "letter changed"


def other_form(word: str, rng: random.Random) -> tuple[str, str] | None:
    """Another way this name is written: a nickname, a full name, another spelling; None if none."""
    options = _variants().get("".join(fold(word).split()))
    if not options:
        return None
    return rng.choice(options)


def swap_day_month(value: date) -> date:
    if value.day <= 12 and value.day != value.month:
        return date(value.year, value.day, value.month)
    return value


@dataclass
class SyntheticPerson:
    given: str
    family: str
    gender: str
    date_of_birth: date
    community: str
    aliases: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, given, family)
    extra_dates: list[date] = field(default_factory=list)


def _birth(rng: random.Random, today: date) -> date:
    age_days = int(rng.triangular(16 * 365, 85 * 365, 30 * 365))
    return today - timedelta(days=age_days)


def person(rng: random.Random, *, today: date, community: Community | None = None) -> SyntheticPerson:
    """One invented person with a name from a community's lists and, sometimes, another spelling."""
    chosen = community or rng.choices(COMMUNITIES, weights=[c.share for c in COMMUNITIES])[0]
    pool = pools()[chosen.name]
    gender = rng.choice(("male", "female"))
    given = rng.choice(pool.male if gender == "male" else pool.female)
    family = rng.choice(pool.family)
    if rng.random() < 0.12:
        # Some people are recorded under another usual spelling of their own name.
        alternative = other_form(given, rng)
        if alternative and "spelling" in alternative[1]:
            given = alternative[0]
    if rng.random() < 0.05 and chosen.name == "British":
        family = f"{family}-{rng.choice(pool.family)}"
    found = SyntheticPerson(given, family, gender, _birth(rng, today), chosen.name)
    if rng.random() < 0.08:
        nick = other_form(given, rng)
        if nick and nick[1] == "nickname":
            found.aliases.append(("nickname", nick[0], family))
    if rng.random() < 0.05:
        found.aliases.append(
            ("alias", rng.choice(pool.male if gender == "male" else pool.female), rng.choice(pool.family))
        )
    if gender == "female" and rng.random() < 0.1:
        found.aliases.append(("maiden", given, rng.choice(pool.family)))
    if rng.random() < 0.02:
        found.extra_dates.append(
            swap_day_month(found.date_of_birth)
            if found.date_of_birth.day <= 12
            else found.date_of_birth + timedelta(days=365)
        )
    return found


def variant(given: str, family: str, rng: random.Random) -> tuple[str, str, str]:
    """The name as someone else might record or search for it: (given, family, what changed)."""
    choice = rng.random()
    if choice < 0.3:
        other = other_form(given, rng)
        if other:
            return other[0], family, other[1]
    if choice < 0.55:
        changed, how = typo(family, rng)
        return given, changed, f"family name {how}"
    if choice < 0.75:
        changed, how = typo(given, rng)
        return changed, family, f"given name {how}"
    if choice < 0.85:
        return family, given, "given and family names swapped"
    if "-" in family:
        first, _, second = family.partition("-")
        return given, rng.choice((f"{second}-{first}", f"{first} {second}", second)), "double-barrelled name"
    changed, how = typo(family, rng)
    return given, changed, f"family name {how}"


def households(rng: random.Random, address_ids: Sequence[int], people: int) -> Iterator[list[int]]:
    """Addresses for households of one to five people, some addresses shared by two households."""
    remaining = people
    while remaining > 0 and address_ids:
        size = min(remaining, rng.choices((1, 2, 3, 4, 5), weights=(30, 30, 20, 13, 7))[0])
        address = rng.choice(address_ids)
        yield [address] * size
        remaining -= size
