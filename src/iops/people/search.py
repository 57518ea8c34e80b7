"""The search index and the search itself: from a query to ranked people, in a few indexed queries.

``index_nominals`` rebuilds the ``SearchEntry`` of people from their rows (services call it in the
transaction of every change); ``entry_rows`` is the same computation for the bulk loader. ``find``
gathers candidates by key in tiers, each a GIN-indexed query with a limit, and ranks them:

1. paired keys by identity (family x given sound or group, date of birth, identifier) - selective,
   always asked; then paired keys allowing one typing slip, unless a near-exact name was found;
2. exact single-word keys, then loose ones (sound, one letter out) - when a query is one word or
   tier 1 found no strong name match or too few people;
3. trigram similarity of the whole name (pg_trgm, GIN) - the last resort for a badly typed name.

Nothing here checks permissions or writes the s.62 log: that is ``selectors.nominal_search``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import psycopg
from django.db import connection

from iops.people.matching import phonetic
from iops.people.matching.dates import parse_date_of_birth_query
from iops.people.matching.keys import QueryKeys, block_keys, document_keys, identifier_text, query_keys
from iops.people.matching.normalise import NameForm, parse_query_name
from iops.people.matching.scoring import Candidate, Ranking, SearchQuery

# Bounds on the candidates each tier may bring: a search ranks at most a few thousand people.
PAIRED_LIMIT = 2_000
SINGLE_LIMIT = 250
TRIGRAM_LIMIT = 100
TRIGRAM_THRESHOLD = 0.45
# A name match this good means the paired keys found the person; looser tiers are not needed.
STRONG_NAME = 0.85
NEAR_EXACT = 0.95
# Likely duplicates at or above this score are recorded for review when a person is created and
# by the scan; the create page shows anyone above SHOW_DUPLICATE before saving.
RECORD_DUPLICATE = 0.9
SHOW_DUPLICATE = 0.8
NAME_ORDER = {"current": 0, "birth": 1, "alias": 2, "maiden": 3, "nickname": 4}


@dataclass
class IndexRecord:
    """What the index needs of one person, however it was loaded."""

    nominal_id: int
    force_id: int
    names: Sequence[tuple[str, str, str]]  # (kind, given names, family name) as entered
    dates_of_birth: Sequence[date] = ()
    identifiers: Sequence[str] = ()
    markers: Sequence[str] = ()
    restricted: bool = False
    restriction_contact: str = ""


def _ordered_names(names: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    return sorted(names, key=lambda name: NAME_ORDER.get(name[0], 9))


def entry_row(record: IndexRecord) -> dict[str, Any]:
    """The search entry of one person (phonetic codes must be known: ``phonetic.ensure``)."""
    names = _ordered_names(record.names)
    forms = [(kind, NameForm.from_parts(given, family)) for kind, given, family in names]
    forms = [(kind, form) for kind, form in forms if not form.is_empty()]
    identifiers = sorted({identifier_text(value) for value in record.identifiers} - {""})
    plain_forms = [form for _, form in forms]
    return {
        "nominal_id": record.nominal_id,
        "force_id": record.force_id,
        "keys": document_keys(plain_forms, list(record.dates_of_birth), identifiers),
        "blocks": block_keys(plain_forms, list(record.dates_of_birth), identifiers),
        "names": [f"{kind}:{form.encode()}" for kind, form in forms],
        "display_names": [" ".join(part for part in (given, family) if part) for _, given, family in names],
        "dates_of_birth": sorted(set(record.dates_of_birth)),
        "identifiers": identifiers,
        "markers": sorted(set(record.markers)),
        "restricted": record.restricted,
        "restriction_contact": record.restriction_contact,
    }


def entry_rows(records: Sequence[IndexRecord]) -> list[dict[str, Any]]:
    """Entries for many people, asking the database for phonetic codes once for the whole batch."""
    words: set[str] = set()
    for record in records:
        for _, given, family in record.names:
            form = NameForm.from_parts(given, family)
            words.update(form.given_forms())
            words.update(form.family_forms())
    phonetic.ensure(words)
    return [entry_row(record) for record in records]


def index_nominals(nominal_ids: Iterable[int]) -> None:
    """Rebuild the search entries of these people from their rows (inside the caller's transaction).

    A person merged into another has no entry: searches find the survivor, which holds the rows.
    """
    from iops.people.models import Nominal, SearchEntry

    ids = sorted(set(nominal_ids))
    if not ids:
        return
    nominals = (
        Nominal.objects.filter(pk__in=ids)
        .prefetch_related("names", "dates_of_birth", "identifiers", "markers")
        .order_by("pk")
    )
    records = []
    live: list[int] = []
    for nominal in nominals:
        if nominal.merged_into_id is not None:
            continue
        live.append(nominal.pk)
        records.append(
            IndexRecord(
                nominal_id=nominal.pk,
                force_id=int(nominal.force_id or 0),
                names=[(name.kind, name.given_names, name.family_name) for name in nominal.names.all()],
                dates_of_birth=[item.value for item in nominal.dates_of_birth.all()],
                identifiers=[item.value for item in nominal.identifiers.all()],
                markers=[marker.kind for marker in nominal.markers.all() if marker.is_active],
                restricted=nominal.restricted,
                restriction_contact=nominal.restriction_contact,
            )
        )
    SearchEntry.objects.filter(pk__in=set(ids) - set(live)).delete()
    for row in entry_rows(records):
        nominal_id = row.pop("nominal_id")
        SearchEntry.objects.update_or_create(nominal_id=nominal_id, defaults=row)


@dataclass
class Hit:
    """One person found: the ranking's score and reasons, and what a result line shows."""

    nominal_id: int
    score: float
    reasons: list[str]
    display_names: list[str]
    dates_of_birth: list[date]
    markers: list[str]
    restricted: bool
    restriction_contact: str
    name_score: float = 0.0


@dataclass
class _Found:
    candidates: dict[int, Candidate] = field(default_factory=dict)
    shown: dict[int, tuple[list[str], list[date], list[str], bool, str]] = field(default_factory=dict)


_COLUMNS = (
    "nominal_id, names, display_names, dates_of_birth, identifiers, markers, restricted, restriction_contact"
)


# The planner cannot estimate how few rows share a hashed key (each is rare, none is in its
# statistics) and, with a LIMIT, would read the whole table; the GIN index is always the right plan.
# Sent with the query in one message, SET LOCAL lasts for that statement's implicit transaction
# (or, inside a caller's transaction, until the matching SET after it): one round trip, no BEGIN.
_INDEX_ONLY = "SET LOCAL enable_seqscan = off; "
_AFTER = "; SET LOCAL enable_seqscan = on"


def _rows(sql: str, params: list[Any], *, settings: str = "") -> list[tuple[Any, ...]]:
    """Rows of one query sent with its planner settings in the same message.

    A client-side binding cursor, whatever the connection's default: several statements in one
    message cannot be sent with server-side parameters."""
    connection.ensure_connection()
    with psycopg.ClientCursor(connection.connection) as cursor:
        cursor.execute(settings + _INDEX_ONLY + sql + _AFTER, params)
        for _ in range(settings.count(";") + 1):
            cursor.nextset()
        return list(cursor.fetchall())


def _fetch(found: _Found, where: str, params: list[Any], limit: int, *, force_id: int) -> int:
    """Add the entries matching ``where`` (not already found) to ``found``; returns how many came."""
    sql = f"SELECT {_COLUMNS} FROM people_searchentry WHERE force_id = %s AND {where} LIMIT %s"
    # People found by an earlier tier come again and are skipped here: cheaper than sending their
    # ids back to the server to exclude.
    rows = _rows(sql, [force_id, *params, limit + len(found.candidates)])
    added = 0
    for nominal_id, names, display_names, dates, identifiers, markers, restricted, contact in rows:
        if nominal_id in found.candidates:
            continue
        decoded = []
        for text in names:
            kind, _, encoded = text.partition(":")
            decoded.append((kind, NameForm.decode(encoded)))
        found.candidates[nominal_id] = Candidate(nominal_id, decoded, dates, identifiers)
        found.shown[nominal_id] = (display_names, dates, markers, restricted, contact)
        added += 1
        if added >= limit:
            break
    return added


def _by_keys(found: _Found, keys: set[int], limit: int, *, force_id: int, within: set[int] | None) -> None:
    if not keys:
        return
    where, params = "keys && %s::bigint[]", [sorted(keys)]
    if within is not None:
        where += " AND nominal_id = ANY(%s)"
        params.append(sorted(within))
    _fetch(found, where, params, limit, force_id=force_id)


def _by_trigram(found: _Found, query: SearchQuery, *, force_id: int, within: set[int] | None) -> None:
    if query.name is None:
        return
    text = " ".join(query.name.form.given + query.name.form.family)
    if len(text) < 4:
        return
    # SET LOCAL: the threshold must not outlive this query on a pooled connection.
    rows = _rows(
        "SELECT DISTINCT nominal_id FROM people_nominalname WHERE full_norm %% %s LIMIT %s",
        [text, TRIGRAM_LIMIT],
        settings=f"SET LOCAL pg_trgm.similarity_threshold = {TRIGRAM_THRESHOLD:.2f}; ",
    )
    ids = {row[0] for row in rows}
    if within is not None:
        ids &= within
    ids -= set(found.candidates)
    if ids:
        _fetch(found, "nominal_id = ANY(%s)", [sorted(ids)], TRIGRAM_LIMIT, force_id=force_id)


def _good_enough(ranking: Ranking, query: SearchQuery, limit: int) -> bool:
    """Stop gathering when the list is full, or its best is as good as a name match gets: the
    looser tiers find only people whose names match less well."""
    if query.name is None:
        return True
    top = ranking.best(1)
    if not top:
        return False
    return top[0].name_score >= NEAR_EXACT or (len(ranking) >= limit and top[0].name_score >= STRONG_NAME)


def find(query: SearchQuery, *, force_id: int, limit: int = 10, within: set[int] | None = None) -> list[Hit]:
    """The best ``limit`` people for the query. ``within`` limits the search to these people (a VRM
    or address search already narrowed it); with no name, date or identifier they are all ranked."""
    found = _Found()
    ranking = Ranking(query)
    dates = query.date_of_birth.exact_and_swapped() if query.date_of_birth else []
    keys: QueryKeys = query_keys(query.readings(), dates_of_birth=dates, identifiers=list(query.identifiers))
    _by_keys(found, keys.paired, PAIRED_LIMIT, force_id=force_id, within=within)
    ranking.add(list(found.candidates.values()))
    top = ranking.best(1)
    if not top or top[0].name_score < NEAR_EXACT:
        # Nobody yet with the name as typed, or a sound-alike, nickname or other spelling of it:
        # perhaps it was mistyped, here or when it was recorded.
        _by_keys(found, keys.slips, PAIRED_LIMIT, force_id=force_id, within=within)
        ranking.add(list(found.candidates.values()))
    if query.name is not None and not _good_enough(ranking, query, limit):
        for tier in (keys.exact_single, keys.loose_single):
            _by_keys(found, tier, SINGLE_LIMIT, force_id=force_id, within=within)
            ranking.add(list(found.candidates.values()))
            if _good_enough(ranking, query, limit):
                break
        top = ranking.best(1)
        if not top or top[0].name_score < STRONG_NAME:
            _by_trigram(found, query, force_id=force_id, within=within)
            ranking.add(list(found.candidates.values()))
    if within is not None and not (query.name or query.date_of_birth or query.identifiers):
        _fetch(found, "nominal_id = ANY(%s)", [sorted(within)], SINGLE_LIMIT, force_id=force_id)
        ranking.add(list(found.candidates.values()))
    ranked = ranking.best(limit)
    hits = []
    for item in ranked:
        display_names, dates_of_birth, markers, restricted, contact = found.shown[item.nominal_id]
        hits.append(
            Hit(
                nominal_id=item.nominal_id,
                score=item.score,
                reasons=item.reasons,
                display_names=list(display_names),
                dates_of_birth=list(dates_of_birth),
                markers=list(markers),
                restricted=restricted,
                restriction_contact=contact,
                name_score=item.name_score,
            )
        )
    return hits


def likely_duplicates(
    *,
    names: Sequence[tuple[str, str]],
    dates_of_birth: Sequence[date],
    identifiers: Sequence[str],
    force_id: int,
) -> list[tuple[int, float, list[str]]]:
    """People already indexed who may be this one, as (id, score, reasons), best first, scored at
    least SHOW_DUPLICATE. Checks nothing and logs nothing: callers show nothing from it without
    going through ``selectors``."""
    found: dict[int, tuple[float, list[str]]] = {}
    for given, family in names:
        text = f"{family}, {given}" if given and family else (family or given)
        queries = [
            SearchQuery(
                name=parse_query_name(text),
                date_of_birth=parse_date_of_birth_query(value.isoformat()),
                identifiers=list(identifiers),
            )
            for value in dates_of_birth
        ] or [SearchQuery(name=parse_query_name(text), identifiers=list(identifiers))]
        for query in queries:
            for hit in find(query, force_id=force_id, limit=5):
                if hit.score >= SHOW_DUPLICATE and hit.score > found.get(hit.nominal_id, (0.0, []))[0]:
                    found[hit.nominal_id] = (hit.score, hit.reasons)
    ranked = sorted(found.items(), key=lambda item: (-item[1][0], item[0]))
    return [(pk, score, reasons) for pk, (score, reasons) in ranked]
