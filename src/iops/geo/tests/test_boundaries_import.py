"""Loading a force's own boundaries: good files load with their hierarchy, bad files load nothing
and say which feature and which property is at fault."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from iops.accounts.models import District
from iops.audit.models import AuditEntry
from iops.geo.models import Address, Area
from iops.geo.national_grid import wgs84_to_bng
from iops.geo.services import area_create, boundaries_import
from iops.geo.tests.conftest import load_geography
from iops.geo.tests.factories import LAT0, LON0, AddressFactory, box, collection, feature, two_districts
from iops.platform.errors import Conflict, ValidationFailed

pytestmark = pytest.mark.django_db


def test_a_full_hierarchy_loads_with_parents_districts_and_an_audit_trail() -> None:
    load_geography()
    assert District.objects.filter(code__in=["W", "E"]).count() == 2
    beat = Area.objects.select_related("parent__parent", "district").get(kind="beat", code="EN1B")
    assert beat.parent.code == "EN1" and beat.parent.parent.code == "E"
    assert beat.district.name == "Eastholt"
    assert beat.setting == "rural"
    assert (beat.min_lon, beat.max_lat) == (pytest.approx(LON0 + 0.1), pytest.approx(LAT0 + 0.1))
    entries = AuditEntry.objects.filter(operation="geo.boundaries_import").order_by("id")
    assert [entry.detail["kind"] for entry in entries] == ["district", "neighbourhood", "beat", "lsoa"]
    assert entries[0].action == "collection" and entries[0].detail["created"] == 2


def test_without_a_parent_property_parents_are_found_by_position() -> None:
    files = two_districts()
    boundaries_import(acting_user=None, collection=files["district"], kind="district")
    boundaries_import(acting_user=None, collection=files["neighbourhood"], kind="neighbourhood")
    boundaries_import(acting_user=None, collection=files["beat"], kind="beat")
    assert Area.objects.get(code="WN1B").parent.code == "WN1"
    assert Area.objects.get(code="EN1A").district.code == "E"
    assert Area.objects.get(code="EN1").parent.code == "E"


def test_loading_again_updates_rather_than_duplicates() -> None:
    load_geography()
    renamed = two_districts()["district"]
    renamed["features"][0]["properties"]["name"] = "Westmere and Fenside"
    result = boundaries_import(acting_user=None, collection=renamed, kind="district")
    assert (result.created, result.updated) == (0, 2)
    assert Area.objects.filter(kind="district").count() == 2
    assert District.objects.get(code="W").name == "Westmere and Fenside"


def _refused(document: Any, kind: str = "beat", **options: Any) -> ValidationFailed:
    before = (Area.objects.count(), AuditEntry.objects.count(), District.objects.count())
    with pytest.raises(ValidationFailed) as raised:
        boundaries_import(acting_user=None, collection=document, kind=kind, **options)
    assert (Area.objects.count(), AuditEntry.objects.count(), District.objects.count()) == before
    return raised.value


def test_a_ring_that_is_not_closed_is_named_and_nothing_is_written() -> None:
    good = feature("B1", box(LON0, LAT0, LON0 + 0.1, LAT0 + 0.1))
    bad = feature("B2", {"type": "Polygon", "coordinates": [[[0, 52], [1, 52], [1, 53], [0, 53]]]})
    error = _refused(collection(good, bad))
    assert error.field == "features[1].geometry.coordinates[0]"
    assert "Feature 1 ('B2')" in error.message and "not closed" in error.message


@pytest.mark.parametrize(
    ("document", "field", "words"),
    [
        ({"type": "Feature"}, "type", "FeatureCollection"),
        (collection(), "features", "no features"),
        (collection(feature("", box(0, 52, 1, 53))), "features[0].properties.code", "missing or empty"),
        (
            collection(feature("B1", box(0, 52, 1, 53)), feature("B1", box(1, 52, 2, 53))),
            "features[1].properties.code",
            "used again (first by feature 0)",
        ),
        (
            collection(
                feature("B1", {"type": "Polygon", "coordinates": [[[0, 52], [1, 52], [1, 99], [0, 52]]]})
            ),
            "features[0].geometry.coordinates[0][2]",
            "latitude 99 is out of range",
        ),
        (
            collection(feature("B1", {"type": "LineString", "coordinates": [[0, 0], [1, 1]]})),
            "features[0].geometry.type",
            "Polygon or MultiPolygon",
        ),
        (
            collection(feature("B1", box(0, 52, 1, 53), setting="suburban")),
            "features[0].properties.setting",
            "urban' or 'rural",
        ),
    ],
)
def test_bad_files_name_the_feature_and_property(document: Any, field: str, words: str) -> None:
    error = _refused(document)
    assert error.field == field
    assert words in error.message


def test_an_unknown_parent_refuses_the_whole_file() -> None:
    files = two_districts()
    boundaries_import(acting_user=None, collection=files["district"], kind="district")
    boundaries_import(
        acting_user=None, collection=files["neighbourhood"], kind="neighbourhood", parent_property="district"
    )
    beats = files["beat"]
    beats["features"][3]["properties"]["nbhd"] = "NOWHERE"
    error = _refused(beats, parent_property="nbhd")
    assert error.field == "features[3].properties.nbhd"
    assert "parent 'NOWHERE'" in error.message
    assert not Area.objects.filter(kind="beat").exists()


def test_british_national_grid_files_are_converted() -> None:
    def grid_box(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> dict[str, Any]:
        corners = [
            (min_lat, min_lon),
            (min_lat, max_lon),
            (max_lat, max_lon),
            (max_lat, min_lon),
            (min_lat, min_lon),
        ]
        return {"type": "Polygon", "coordinates": [[list(wgs84_to_bng(lat, lon)) for lat, lon in corners]]}

    document = collection(
        feature("G1", grid_box(LON0, LAT0, LON0 + 0.1, LAT0 + 0.1)),
        crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}},
    )
    boundaries_import(acting_user=None, collection=document, kind="beat")
    area = Area.objects.get(code="G1")
    assert area.min_lon == pytest.approx(LON0, abs=1e-6)
    assert area.max_lat == pytest.approx(LAT0 + 0.1, abs=1e-6)


def test_loading_beats_places_the_addresses_already_there() -> None:
    address = AddressFactory(latitude=LAT0 + 0.07, longitude=LON0 + 0.15)
    assert address.beat is None
    load_geography()
    address.refresh_from_db()
    assert address.beat.code == "EN1B"
    assert address.lsoa.code == "X01000003"


def test_area_create_checks_its_input_and_takes_its_addresses() -> None:
    address = AddressFactory(latitude=LAT0 + 0.5, longitude=LON0 + 0.5)
    beat = area_create(
        acting_user=None,
        kind="beat",
        code="Z1",
        name="Zed",
        geometry=box(LON0 + 0.4, LAT0 + 0.4, LON0 + 0.6, LAT0 + 0.6),
    )
    address.refresh_from_db()
    assert address.beat == beat
    with pytest.raises(Conflict):
        area_create(acting_user=None, kind="beat", code="Z1", name="Zed again", geometry=beat.geometry)
    with pytest.raises(ValidationFailed) as raised:
        area_create(
            acting_user=None,
            kind="beat",
            code="Z2",
            name="Open",
            geometry={"type": "Polygon", "coordinates": [[[0, 52], [1, 52], [1, 53], [0, 52.5]]]},
        )
    assert raised.value.field == "geometry"
    with pytest.raises(ValidationFailed) as raised:
        area_create(acting_user=None, kind="county", code="Z3", name="County", geometry=beat.geometry)
    assert raised.value.field == "kind"
    assert Address.objects.get(pk=address.pk).beat_id == beat.pk


def test_the_command_loads_a_file_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "districts.geojson"
    path.write_text(json.dumps(two_districts()["district"]))
    call_command("import_boundaries", str(path), kind="district", code_property="code", name_property="name")
    assert "districts.geojson: 2 district areas loaded (2 new, 0 updated)" in capsys.readouterr().out


def test_the_command_reports_a_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection",\n "features": [}')
    with pytest.raises(CommandError, match=r"not valid JSON: .* at line 2, column 15"):
        call_command("import_boundaries", str(path), kind="beat")


def test_the_command_says_nothing_was_loaded(tmp_path: Path) -> None:
    path = tmp_path / "beats.geojson"
    path.write_text(
        json.dumps(collection(feature("B1", box(0, 52, 1, 53)), {"type": "Feature", "properties": {}}))
    )
    with pytest.raises(CommandError, match=r"beats.geojson: nothing loaded. Feature 1: property 'code'"):
        call_command("import_boundaries", str(path), kind="beat")
    assert not Area.objects.exists()
