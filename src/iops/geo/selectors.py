"""Reads of geography: address type-ahead, the areas at a point, addresses near a point, map layers.

Addresses and boundaries are reference data, not personal data, so these reads are not logged
and need no purpose; any signed-in user may make them (a call handler looks up an address on
every call). Type-ahead runs on each key press, so ``address_search`` is one indexed query in the
common case: each typed word must start a word of the folded search text (trigram GIN index), or
a typed postcode is a prefix match on the postcode key (btree). Only when that finds nothing are
misspelt words corrected against the gazetteer's own words (``SearchWord``) and the search run again.
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

import jellyfish
from django.contrib.postgres.search import TrigramWordSimilarity
from django.db.models import Case, Count, F, Func, IntegerField, Max, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Length

from iops.audit.access import get_or_not_found
from iops.geo import addressing
from iops.geo.choices import AreaKind
from iops.geo.geometry import PolygonIndex, degrees_around, haversine_m
from iops.geo.models import Address, Area, SearchWord
from iops.platform.errors import ValidationFailed
from iops.platform.models import default_force_id

DEFAULT_LIMIT = 10
MAX_LIMIT = 50
MAX_RADIUS_M = 10_000
MIN_QUERY_LENGTH = 2
CANDIDATES = 400


def _force_id(force_id: int | None) -> int:
    if force_id is not None:
        return force_id
    default = default_force_id()
    if default is None:
        raise ValidationFailed("No force is configured in the database yet; run 'iops migrate'.")
    return default


# Placing a point in its beat happens on every incident a call handler opens, so each process
# keeps the areas of a kind in a grid index instead of reading every candidate's polygon from the
# database each time. Boundaries change rarely (an import). Once a minute a process asks whether
# the areas of a kind have changed (their count and latest update, one cheap query) and rebuilds
# the index only if they have; a change made by this process drops the index at once. Rebuilding
# every minute regardless held up the requests of a busy process for a few hundred milliseconds.
AREA_INDEX_SECONDS = 60.0
_AreaVersion = tuple[int, Any]
_area_indexes: dict[tuple[int, str], tuple[float, _AreaVersion, PolygonIndex[int], dict[int, Area]]] = {}
_area_indexes_lock = threading.Lock()


def forget_area_indexes() -> None:
    """Drop every cached area index (after an import, and between tests)."""
    with _area_indexes_lock:
        _area_indexes.clear()


def _area_version(force_id: int, kind: str) -> _AreaVersion:
    found = Area.objects.filter(force_id=force_id, kind=kind).aggregate(
        count=Count("id"), latest=Max("updated_at")
    )
    return found["count"], found["latest"]


def _area_index(force_id: int, kind: str) -> tuple[PolygonIndex[int], dict[int, Area]]:
    key = (force_id, kind)
    now = time.monotonic()
    cached = _area_indexes.get(key)
    if cached is not None and now - cached[0] < AREA_INDEX_SECONDS:
        return cached[2], cached[3]
    version = _area_version(force_id, kind)
    if cached is not None and cached[1] == version:
        with _area_indexes_lock:
            _area_indexes[key] = (now, *cached[1:])
        return cached[2], cached[3]
    areas = list(
        Area.objects.filter(force_id=force_id, kind=kind)
        .select_related("district", "parent")
        .order_by("code")
    )
    index: PolygonIndex[int] = PolygonIndex((area.pk, area.geometry) for area in areas)
    by_id = {area.pk: area for area in areas}
    with _area_indexes_lock:
        _area_indexes[key] = (now, version, index, by_id)
    return index, by_id


def check_point(lat: float, lon: float) -> None:
    """Latitude and longitude in range, each named as the field at fault."""
    if not -90 <= lat <= 90:
        raise ValidationFailed(f"Latitude {lat} is out of range: it must be between -90 and 90.", field="lat")
    if not -180 <= lon <= 180:
        raise ValidationFailed(
            f"Longitude {lon} is out of range: it must be between -180 and 180.", field="lon"
        )


def _addresses(force_id: int) -> QuerySet[Address]:
    # The areas come for their names; their boundaries (often kilobytes of JSON) stay behind.
    return (
        Address.objects.filter(force_id=force_id)
        .select_related("beat__district", "lsoa")
        .defer("beat__geometry", "lsoa__geometry")
    )


def _house_number() -> Cast:
    """The leading digits of the building number as an integer (NULL if none), so 2 sorts before 10."""
    return Cast(Func(F("building_number"), Value("^[0-9]{1,9}"), function="substring"), IntegerField())


def address_search(query: str, limit: int = DEFAULT_LIMIT, *, force_id: int | None = None) -> list[Address]:
    """Addresses matching what a call handler has typed so far, best first.

    Case, punctuation, accents, "street"/"st", "flat 3 12 high st"/"3 12 High Street" and
    postcodes with or without the space all match. Shorter than two characters gives nothing.
    """
    limit = max(1, min(int(limit), MAX_LIMIT))
    text = (query or "").strip()
    if len(addressing.fold(text).replace(" ", "")) < MIN_QUERY_LENGTH:
        return []
    force = _force_id(force_id)
    if addressing.is_postcode_prefix(text):
        found = _postcode_search(text, limit, force)
        if found:
            return found
    terms = addressing.query_terms(text)
    if not terms:
        return []
    found = _word_search(terms, limit, force)
    if found:
        return found
    corrected = _corrected(terms, force)
    return _word_search(corrected, limit, force) if corrected != terms else []


def _word_search(terms: list[str], limit: int, force: int) -> list[Address]:
    condition = Q()
    for needles in addressing.word_needles(terms):
        alternatives = Q()
        for needle in needles:
            alternatives |= Q(search_text__contains=needle)
        condition &= alternatives
    phrase = " ".join(addressing.search_words(" ".join(terms)))
    # Rank a bounded set of candidates: every match when there are few, else the first few hundred
    # the index yields. A broad query ("st", a town's name) would otherwise score every address in
    # a town on each key press, and the caller will type on anyway. Ids first, then one query for
    # the rows: an IN over a LIMITed sub-select makes PostgreSQL scan the table instead.
    ids = list(
        Address.objects.filter(condition, force_id=force).order_by().values_list("pk", flat=True)[:CANDIDATES]
    )
    if not ids:
        return []
    ranked = (
        _addresses(force)
        .filter(pk__in=ids)
        .annotate(
            starts=Case(
                When(search_text__startswith=f" {phrase}", then=Value(0)),
                When(search_text__contains=f" {phrase}", then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            ),
            closeness=TrigramWordSimilarity(phrase, "search_text"),
            size=Length("search_text"),
        )
        .order_by(
            "starts",
            "-closeness",
            "size",
            "street",
            _house_number().asc(nulls_last=True),
            "full_address",
            "pk",
        )
    )
    return list(ranked[:limit])


def _corrected(terms: list[str], force: int) -> list[str]:
    """The terms with each word that starts no word of the gazetteer replaced by the nearest one
    that does (fewest letters added, dropped, changed or swapped; one slip in a short word, two
    in a long one). Street words ("stret") are corrected against their full forms."""
    corrected = []
    for index, term in enumerate(terms):
        last = index == len(terms) - 1
        if len(term) < 4 or not term.isalpha() or term in addressing.ABBREVIATIONS:
            corrected.append(term)
            continue
        known = SearchWord.objects.filter(force_id=force)
        if (known.filter(word__startswith=term) if last else known.filter(word=term)).exists():
            corrected.append(term)
            continue
        allowed = 1 if len(term) < 7 else 2
        candidates = list(
            known.filter(word__startswith=term[0]).values_list("word", flat=True).order_by("word")[:5000]
        )
        candidates += list(addressing.ABBREVIATIONS)
        scored = []
        for word in candidates:
            # A word still being typed is compared with the same length of each candidate.
            compared = word[: len(term) + 1] if last and len(word) > len(term) else word
            distance = jellyfish.damerau_levenshtein_distance(term, compared)
            if distance <= allowed:
                scored.append((distance, abs(len(word) - len(term)), word))
        corrected.append(min(scored)[2] if scored else term)
    return corrected


def _postcode_search(text: str, limit: int, force_id: int) -> list[Address]:
    key = addressing.postcode_key(text)
    matching = Address.objects.filter(force_id=force_id, postcode_key__startswith=key)
    outward, _, inward = text.strip().upper().partition(" ")
    if inward or text.endswith(" "):
        # "DM1 2" means district DM1, not DM12: the space says where the outward code ends.
        matching = matching.filter(postcode__startswith=f"{outward} ")
    # The first postcodes in order come straight off the index; only they are sorted by street.
    ids = list(matching.order_by("postcode_key").values_list("pk", flat=True)[:CANDIDATES])
    return list(
        _addresses(force_id)
        .filter(pk__in=ids)
        .order_by(
            "postcode_key",
            "street",
            _house_number().asc(nulls_last=True),
            "building_number",
            "sub_building",
            "pk",
        )[:limit]
    )


def address_get(pk: Any, *, force_id: int | None = None) -> Address:
    """One address, or NotFound (a friendly 404)."""
    return get_or_not_found(_addresses(_force_id(force_id)), pk, label="address")


def area_at(lat: float, lon: float, kind: str, *, force_id: int | None = None) -> Area | None:
    """The area of ``kind`` holding the point (the first by code where areas overlap), or None."""
    check_point(lat, lon)
    if kind not in AreaKind.values:
        raise ValidationFailed(f"Unknown kind of area '{kind}'.", field="kind")
    index, by_id = _area_index(_force_id(force_id), kind)
    found = index.find(lon, lat)
    if found is None:
        return None
    # A copy, so a caller that changes the instance cannot change what other requests are given.
    return copy.copy(by_id[found])


def areas_at(lat: float, lon: float, *, force_id: int | None = None) -> list[Area]:
    """The areas of every kind holding the point: district, neighbourhood, beat, statistical area."""
    check_point(lat, lon)
    force = _force_id(force_id)
    found = []
    for kind in AreaKind.values:
        area = area_at(lat, lon, kind, force_id=force)
        if area is not None:
            found.append(area)
    return found


def addresses_near(
    lat: float, lon: float, radius_m: float, *, limit: int = MAX_LIMIT, force_id: int | None = None
) -> list[tuple[Address, float]]:
    """Addresses within ``radius_m`` metres of the point, nearest first, with their distances."""
    check_point(lat, lon)
    if not 0 < radius_m <= MAX_RADIUS_M:
        raise ValidationFailed(f"The radius must be between 1 and {MAX_RADIUS_M} metres.", field="radius")
    dlat, dlon = degrees_around(lat, radius_m)
    candidates = _addresses(_force_id(force_id)).filter(
        latitude__gte=lat - dlat,
        latitude__lte=lat + dlat,
        longitude__gte=lon - dlon,
        longitude__lte=lon + dlon,
    )
    measured = []
    for address in candidates:
        distance = haversine_m(lat, lon, address.latitude, address.longitude)
        if distance <= radius_m:
            measured.append((address, distance))
    measured.sort(key=lambda pair: (pair[1], pair[0].pk))
    return measured[: max(1, min(limit, 500))]


def areas_feature_collection(kind: str, *, force_id: int | None = None) -> dict[str, Any]:
    """The areas of one kind as a GeoJSON FeatureCollection, for a map layer."""
    if kind not in AreaKind.values:
        raise ValidationFailed(f"Unknown kind of area '{kind}'.", field="kind")
    areas = (
        Area.objects.filter(force_id=_force_id(force_id), kind=kind)
        .select_related("parent", "district")
        .order_by("code")
    )
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": area.pk,
                "geometry": area.geometry,
                "properties": {
                    "id": area.pk,
                    "kind": area.kind,
                    "code": area.code,
                    "name": area.name,
                    "setting": area.setting,
                    "parent_code": area.parent.code if area.parent else None,
                    "district_code": area.district.code if area.district else None,
                },
            }
            for area in areas
        ],
    }
