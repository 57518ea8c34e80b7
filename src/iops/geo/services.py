"""Writers for geography: areas one at a time or from a boundary file, and the gazetteer.

Every writer runs in one transaction with one s.62 *collection* entry saying what was loaded and
how much. Addresses are not personal data, but the log is where an auditor looks for what entered
the system and when. A boundary file loads all or nothing (a beat layer with a hole in it would
misplace incidents); a gazetteer loads every good row and reports each bad one by line, because
a real address file always has a few and a force should not be stopped by them. Addresses are
written with PostgreSQL ``COPY`` into a temporary table and one ``INSERT ... ON CONFLICT`` (upsert
by UPRN), and placed in their beat and statistical area as they are written (``PolygonIndex``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from iops.accounts.models import District
from iops.audit.choices import Action
from iops.audit.services import audit_record
from iops.geo import events
from iops.geo.boundaries import BoundaryFeature, BoundaryFileInvalid, read_boundaries
from iops.geo.choices import AreaKind, Setting
from iops.geo.gazetteer import GazetteerAddress, GazetteerFileInvalid, Rejection, read_gazetteer
from iops.geo.geometry import (
    BBox,
    GeometryInvalid,
    PolygonIndex,
    bbox_of,
    contains,
    interior_point,
    validate_geometry,
)
from iops.geo.models import Address, Area
from iops.geo.selectors import forget_area_indexes
from iops.platform.errors import Conflict, ValidationFailed
from iops.platform.events import publish
from iops.platform.models import Force, default_force

# Which kinds an area of each kind may sit in, nearest first.
PARENT_KINDS: dict[str, list[str]] = {
    AreaKind.DISTRICT: [],
    AreaKind.NEIGHBOURHOOD: [AreaKind.DISTRICT],
    AreaKind.BEAT: [AreaKind.NEIGHBOURHOOD, AreaKind.DISTRICT],
    AreaKind.LSOA: [],
}
# Areas that addresses are placed in; loading one of these re-places the addresses.
PLACING_KINDS = (AreaKind.BEAT, AreaKind.LSOA)
MAX_REJECTIONS_LOGGED = 100
PURPOSE = "Force geography: boundaries and gazetteer"
NOT_UTF8 = "The file is not UTF-8 text. Save it as CSV UTF-8 and load it again."


@dataclass
class BoundaryImportResult:
    kind: str
    source: str
    created: int = 0
    updated: int = 0
    addresses_moved: int = 0
    seconds: float = 0.0

    @property
    def features(self) -> int:
        return self.created + self.updated


@dataclass
class GazetteerImportResult:
    source: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    outside_beats: int = 0
    seconds: float = 0.0

    @property
    def accepted(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def rate_per_second(self) -> float:
        return (self.accepted + len(self.rejected)) / self.seconds if self.seconds else 0.0


def _force(force: Force | None) -> Force:
    return force if force is not None else default_force()


def _kind(kind: str) -> str:
    if kind not in AreaKind.values:
        raise ValidationFailed(
            f"Unknown kind of area '{kind}'. Kinds are: {', '.join(AreaKind.values)}.", field="kind"
        )
    return kind


# --- areas --------------------------------------------------------------------------------------


def _district_for(force: Force, code: str, name: str) -> District:
    district, created = District.objects.get_or_create(force=force, code=code, defaults={"name": name})
    if not created and district.name != name:
        District.objects.filter(pk=district.pk).update(name=name)
        district.name = name
    return district


def _containing(force: Force, kinds: list[str], geometry: dict[str, Any]) -> Area | None:
    """The area of the nearest possible kind that holds the geometry's interior point."""
    lon, lat = interior_point(geometry)
    for kind in kinds:
        for candidate in Area.objects.filter(
            force=force, kind=kind, min_lon__lte=lon, max_lon__gte=lon, min_lat__lte=lat, max_lat__gte=lat
        ).order_by("code"):
            if contains(candidate.geometry, lon, lat):
                return candidate
    return None


def area_create(
    *,
    acting_user: Any,
    kind: str,
    code: str,
    name: str,
    geometry: Any,
    parent: Area | None = None,
    setting: str = Setting.URBAN,
    source: str = "",
    force: Force | None = None,
) -> Area:
    """Create one area. A district also gets its ``accounts.District``; a beat or statistical area
    takes the addresses inside it that it now holds."""
    kind = _kind(kind)
    force = _force(force)
    transaction.on_commit(forget_area_indexes)
    code = code.strip()
    name = name.strip() or code
    if not code:
        raise ValidationFailed("Enter the area's code.", field="code")
    if setting not in Setting.values:
        raise ValidationFailed("The setting must be urban or rural.", field="setting")
    try:
        shape = validate_geometry(geometry)
    except GeometryInvalid as error:
        raise ValidationFailed(f"The boundary is not valid: {error}.", field="geometry") from error
    if parent is not None and parent.kind not in PARENT_KINDS[kind]:
        allowed = " or ".join(PARENT_KINDS[kind]) or "nothing"
        raise ValidationFailed(f"A {kind} can sit in a {allowed}, not a {parent.kind}.", field="parent")
    box = bbox_of(shape)
    with transaction.atomic():
        if Area.objects.filter(force=force, kind=kind, code=code).exists():
            raise Conflict(f"There is already a {kind} with code '{code}'.", field="code")
        if parent is None and PARENT_KINDS[kind]:
            parent = _containing(force, PARENT_KINDS[kind], shape)
        district = _district_for(force, code, name) if kind == AreaKind.DISTRICT else None
        if district is None:
            if parent is not None:
                district = parent.district
            else:
                container = _containing(force, [AreaKind.DISTRICT], shape)
                district = container.district if container else None
        area = Area.objects.create(
            force=force,
            kind=kind,
            code=code,
            name=name,
            parent=parent,
            district=district,
            setting=setting,
            geometry=shape,
            min_lon=box.min_lon,
            min_lat=box.min_lat,
            max_lon=box.max_lon,
            max_lat=box.max_lat,
            source=source,
        )
        moved = addresses_place(force=force, within=box) if kind in PLACING_KINDS else 0
        audit_record(
            actor=acting_user,
            action=Action.COLLECTION,
            operation="geo.area_create",
            record_type="geo.area",
            record_id=area.pk,
            purpose=PURPOSE,
            detail={"kind": kind, "code": code, "source": source, "addresses_moved": moved},
        )
        publish(events.AREAS_CHANGED, {"kind": kind, "created": 1, "updated": 0})
    return area


def _resolve_parents(
    force: Force, kind: str, features: list[BoundaryFeature], parent_property: str
) -> dict[str, Area | None]:
    kinds = PARENT_KINDS[kind]
    if parent_property and not kinds:
        raise ValidationFailed(
            f"A {kind} has no parent area; leave out the parent property.", field="parent_property"
        )
    parents: dict[str, Area | None] = {}
    if parent_property:
        wanted = {feature.parent_code for feature in features if feature.parent_code}
        known: dict[str, Area] = {}
        # Nearest kind last, so its codes win where a neighbourhood and a district share one.
        for parent_kind in reversed(kinds):
            known.update(
                (area.code, area)
                for area in Area.objects.filter(force=force, kind=parent_kind, code__in=wanted)
            )
        for feature in features:
            if not feature.parent_code:
                parents[feature.code] = None
                continue
            if feature.parent_code not in known:
                raise ValidationFailed(
                    f"Feature {feature.index} ('{feature.code}'): parent '{feature.parent_code}' in property "
                    f"'{parent_property}' is not a known {' or '.join(kinds)}. Load the {kinds[-1]}s first.",
                    field=f"features[{feature.index}].properties.{parent_property}",
                )
            parents[feature.code] = known[feature.parent_code]
        return parents
    if not kinds:
        return {feature.code: None for feature in features}
    indexes = [
        PolygonIndex(
            (area, area.geometry)
            for area in Area.objects.filter(force=force, kind=parent_kind).order_by("code")
        )
        for parent_kind in kinds
    ]
    for feature in features:
        lon, lat = interior_point(feature.geometry)
        parents[feature.code] = next((found for index in indexes if (found := index.find(lon, lat))), None)
    return parents


def boundaries_import(
    *,
    acting_user: Any,
    collection: Any,
    kind: str,
    code_property: str = "code",
    name_property: str = "name",
    parent_property: str = "",
    source: str = "",
    force: Force | None = None,
) -> BoundaryImportResult:
    """Load areas of one kind from a GeoJSON FeatureCollection, all or nothing.

    Areas are matched to existing ones by code and updated; areas not in the file are left as they
    are. Parents are found by code (``parent_property``) or, without it, by where each area lies.
    """
    started = time.monotonic()
    kind = _kind(kind)
    force = _force(force)
    transaction.on_commit(forget_area_indexes)
    try:
        features = read_boundaries(
            collection,
            code_property=code_property,
            name_property=name_property,
            parent_property=parent_property,
        )
    except BoundaryFileInvalid as error:
        raise ValidationFailed(error.message, field=error.field) from error
    result = BoundaryImportResult(kind=kind, source=source)
    with transaction.atomic():
        parents = _resolve_parents(force, kind, features, parent_property)
        existing = {
            area.code: area
            for area in Area.objects.filter(
                force=force, kind=kind, code__in=[feature.code for feature in features]
            )
        }
        district_index: PolygonIndex[Area] | None = None
        if kind != AreaKind.DISTRICT:
            district_index = PolygonIndex(
                (area, area.geometry)
                for area in Area.objects.filter(force=force, kind=AreaKind.DISTRICT).order_by("code")
            )
        to_create: list[Area] = []
        to_update: list[Area] = []
        now = timezone.now()
        for feature in features:
            parent = parents.get(feature.code)
            district: District | None
            if kind == AreaKind.DISTRICT:
                district = _district_for(force, feature.code, feature.name)
            elif parent is not None:
                district = parent.district
            else:
                container = district_index.find(*interior_point(feature.geometry)) if district_index else None
                district = container.district if container else None
            area = existing.get(feature.code) or Area(force=force, kind=kind, code=feature.code)
            area.name = feature.name
            area.parent = parent
            area.district = district
            area.setting = feature.setting
            area.geometry = feature.geometry
            area.min_lon, area.min_lat = feature.bbox.min_lon, feature.bbox.min_lat
            area.max_lon, area.max_lat = feature.bbox.max_lon, feature.bbox.max_lat
            area.source = source[:200]
            area.updated_at = now  # bulk_update does not stamp it; area indexes notice changes by it
            (to_update if area.pk else to_create).append(area)
        Area.objects.bulk_create(to_create, batch_size=500)
        Area.objects.bulk_update(
            to_update,
            [
                "name",
                "parent",
                "district",
                "setting",
                "geometry",
                "min_lon",
                "min_lat",
                "max_lon",
                "max_lat",
                "source",
                "updated_at",
            ],
            batch_size=500,
        )
        result.created, result.updated = len(to_create), len(to_update)
        if kind in PLACING_KINDS:
            result.addresses_moved = addresses_place(force=force)
        audit_record(
            actor=acting_user,
            action=Action.COLLECTION,
            operation="geo.boundaries_import",
            record_type="geo.area",
            purpose=PURPOSE,
            detail={
                "kind": kind,
                "source": source,
                "created": result.created,
                "updated": result.updated,
                "addresses_moved": result.addresses_moved,
            },
        )
        publish(events.AREAS_CHANGED, {"kind": kind, "created": result.created, "updated": result.updated})
    result.seconds = time.monotonic() - started
    return result


# --- placing addresses --------------------------------------------------------------------------


class Placer:
    """The beat and statistical area of a point, from the force's current boundaries."""

    def __init__(self, force: Force) -> None:
        def index(kind: str) -> PolygonIndex[int]:
            return PolygonIndex(
                Area.objects.filter(force=force, kind=kind).order_by("code").values_list("pk", "geometry")
            )

        self.beats = index(AreaKind.BEAT)
        self.lsoas = index(AreaKind.LSOA)

    def place(self, latitude: float, longitude: float) -> tuple[int | None, int | None]:
        return self.beats.find(longitude, latitude), self.lsoas.find(longitude, latitude)


def addresses_place(*, force: Force | None = None, within: BBox | None = None) -> int:
    """Put each address (or each within a box) in the beat and statistical area that hold it.
    Returns how many addresses changed. Runs inside the caller's transaction."""
    force = _force(force)
    placer = Placer(force)
    addresses = Address.objects.filter(force=force)
    if within is not None:
        addresses = addresses.filter(
            latitude__gte=within.min_lat,
            latitude__lte=within.max_lat,
            longitude__gte=within.min_lon,
            longitude__lte=within.max_lon,
        )
    changes = []
    for pk, latitude, longitude, beat_id, lsoa_id in addresses.values_list(
        "pk", "latitude", "longitude", "beat_id", "lsoa_id"
    ).iterator(chunk_size=10_000):
        beat, lsoa = placer.place(latitude, longitude)
        if (beat, lsoa) != (beat_id, lsoa_id):
            changes.append((pk, beat, lsoa))
    if not changes:
        return 0
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS geo_address_place")
        cursor.execute(
            "CREATE TEMP TABLE geo_address_place (id bigint PRIMARY KEY, beat_id bigint, lsoa_id bigint) "
            "ON COMMIT DROP"
        )
        with cursor.copy("COPY geo_address_place (id, beat_id, lsoa_id) FROM STDIN") as copy:
            for row in changes:
                copy.write_row(row)
        cursor.execute(
            "UPDATE geo_address AS a SET beat_id = p.beat_id, lsoa_id = p.lsoa_id "
            "FROM geo_address_place AS p WHERE a.id = p.id"
        )
    return len(changes)


# --- the gazetteer ------------------------------------------------------------------------------

_LOAD_COLUMNS = (
    "uprn",
    "sub_building",
    "building_name",
    "building_number",
    "street",
    "locality",
    "town",
    "postcode",
    "postcode_key",
    "classification",
    "latitude",
    "longitude",
    "full_address",
    "search_text",
    "beat_id",
    "lsoa_id",
)
_UPDATED = [column for column in _LOAD_COLUMNS if column != "uprn"]


def addresses_write(addresses: Iterable[GazetteerAddress], *, force: Force) -> tuple[int, int, int, int]:
    """Upsert addresses by UPRN, placing each; the low-level writer the importer and the demo share.

    UPRNs must be unique within ``addresses`` (the gazetteer reader rejects repeats). Runs inside
    the caller's transaction and writes no audit entry (its callers do). Returns (created, updated,
    unchanged, outside every beat).
    """
    placer = Placer(force)  # before COPY starts: the connection can run nothing else during it
    written = 0
    outside = 0

    def rows() -> Iterator[tuple[Any, ...]]:
        nonlocal written, outside
        for address in addresses:
            beat, lsoa = placer.place(address.latitude, address.longitude)
            if beat is None:
                outside += 1
            written += 1
            yield (
                address.uprn,
                address.sub_building,
                address.building_name,
                address.building_number,
                address.street,
                address.locality,
                address.town,
                address.postcode,
                address.postcode_key,
                address.classification,
                address.latitude,
                address.longitude,
                address.full_address,
                address.search_text,
                beat,
                lsoa,
            )

    columns = ", ".join(_LOAD_COLUMNS)
    with connection.cursor() as cursor:
        # One writer of a force's gazetteer at a time, so two loads never interleave their upserts.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('iops.geo.gazetteer'), %s)", [force.pk])
        cursor.execute("DROP TABLE IF EXISTS geo_address_load")
        cursor.execute(
            "CREATE TEMP TABLE geo_address_load ("
            "uprn bigint, sub_building text, building_name text, building_number text, street text, "
            "locality text, town text, postcode text, postcode_key text, classification text, "
            "latitude double precision, longitude double precision, full_address text, search_text text, "
            "beat_id bigint, lsoa_id bigint) ON COMMIT DROP"
        )
        with cursor.copy(f"COPY geo_address_load ({columns}) FROM STDIN") as copy:
            for row in rows():
                copy.write_row(row)
        assignments = ", ".join(f"{column} = EXCLUDED.{column}" for column in _UPDATED)
        current = ", ".join(f"geo_address.{column}" for column in _UPDATED)
        incoming = ", ".join(f"EXCLUDED.{column}" for column in _UPDATED)
        cursor.execute(
            f"WITH written AS ("
            f" INSERT INTO geo_address (force_id, created_at, updated_at, {columns})"
            f" SELECT %s, now(), now(), {columns} FROM geo_address_load"
            f" ON CONFLICT (force_id, uprn) DO UPDATE SET {assignments}, updated_at = now()"
            f" WHERE ({current}) IS DISTINCT FROM ({incoming})"
            f" RETURNING (xmax = 0) AS inserted)"
            f" SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written",
            [force.pk],
        )
        counts = cursor.fetchone()
        created, updated = (int(counts[0]), int(counts[1])) if counts else (0, 0)
        # The words search can correct typing to (see SearchWord): whole words of three letters
        # or more, not numbers or postcodes.
        cursor.execute(
            "INSERT INTO geo_searchword (force_id, word)"
            " SELECT DISTINCT %s, word FROM geo_address_load,"
            " unnest(string_to_array(btrim(search_text), ' ')) AS word"
            " WHERE length(word) BETWEEN 3 AND 60 AND word ~ '^[a-z]+$'"
            " ON CONFLICT (force_id, word) DO NOTHING",
            [force.pk],
        )
        if created + updated > 1000:
            # Fresh statistics so the first searches after a big load get good plans.
            cursor.execute("ANALYZE geo_address")
    return created, updated, written - created - updated, outside


def gazetteer_import(
    *, acting_user: Any, lines: Iterable[str], source: str = "", force: Force | None = None
) -> GazetteerImportResult:
    """Load a gazetteer CSV (see ``geo.gazetteer``): upsert by UPRN, place each address, report
    every rejected row with its line. One transaction; one audit entry with the counts."""
    started = time.monotonic()
    force = _force(force)
    try:
        reading = read_gazetteer(lines)
    except GazetteerFileInvalid as error:
        raise ValidationFailed(error.message, field=error.field) from error
    except UnicodeDecodeError as error:
        raise ValidationFailed(NOT_UTF8, field="file") from error
    result = GazetteerImportResult(source=source, ignored_columns=reading.ignored_columns)

    def accepted() -> Iterator[GazetteerAddress]:
        for row in reading.rows:
            if isinstance(row, Rejection):
                result.rejected.append(row)
            else:
                yield row

    with transaction.atomic():
        try:
            created, updated, unchanged, outside = addresses_write(accepted(), force=force)
        except UnicodeDecodeError as error:
            raise ValidationFailed(NOT_UTF8, field="file") from error
        result.created, result.updated, result.unchanged, result.outside_beats = (
            created,
            updated,
            unchanged,
            outside,
        )
        audit_record(
            actor=acting_user,
            action=Action.COLLECTION,
            operation="geo.gazetteer_import",
            record_type="geo.address",
            purpose=PURPOSE,
            detail={
                "source": source,
                "created": created,
                "updated": updated,
                "unchanged": unchanged,
                "rejected": len(result.rejected),
                "outside_beats": outside,
                "first_rejections": [
                    {"line": rejection.line, "message": rejection.message}
                    for rejection in result.rejected[:MAX_REJECTIONS_LOGGED]
                ],
            },
        )
        publish(events.GAZETTEER_CHANGED, {"created": created, "updated": updated})
    # Timed after the commit: the deferred foreign-key checks run then, and they are part of the cost.
    result.seconds = time.monotonic() - started
    return result
