"""The synthetic county: the same seed builds the same force, areas nest exactly, every address
lies in its beat, and building it twice changes nothing."""

from __future__ import annotations

import re

import pytest

from iops.accounts.models import District
from iops.geo.demo import geography
from iops.geo.demo_plan import FIRST_UPRN, DemoGeography, plan_force, trace
from iops.geo.geometry import PolygonIndex, bbox_of, contains, validate_geometry
from iops.geo.models import Address, Area
from iops.platform.demo import make_context

SMALL = {"districts": 3, "neighbourhoods": 2, "beats": 2, "addresses": 400}


@pytest.fixture(scope="module")
def plan() -> DemoGeography:
    return plan_force(7, **SMALL)


def fingerprint(plan: DemoGeography) -> tuple[object, ...]:
    return (
        [(area.kind, area.code, area.name, area.setting, area.geometry) for area in plan.areas],
        [(a.uprn, a.full_address, a.latitude, a.longitude, a.classification) for a in plan.addresses],
    )


def test_the_same_seed_plans_the_same_force(plan: DemoGeography) -> None:
    assert fingerprint(plan_force(7, **SMALL)) == fingerprint(plan)
    assert fingerprint(plan_force(8, **SMALL)) != fingerprint(plan)


def test_the_plan_has_the_sizes_asked_for(plan: DemoGeography) -> None:
    assert len(plan.districts) == 3
    assert len(plan.neighbourhoods) == 6
    assert len(plan.beats) == 12
    assert len(plan.addresses) == 400
    assert len(plan.lsoas) >= len(plan.beats)
    assert all(re.fullmatch(r"X01\d{6}", area.code) for area in plan.lsoas)


def test_areas_nest_exactly(plan: DemoGeography) -> None:
    by_code = {area.code: area for area in plan.areas}
    for area in plan.neighbourhoods + plan.beats:
        parent = by_code[area.parent_code]
        assert set(area.cells) <= set(parent.cells)
    for level in (plan.districts, plan.neighbourhoods, plan.beats):
        cells = [cell for area in level for cell in area.cells]
        assert len(cells) == len(set(cells))  # no overlaps
        assert set(cells) == {cell for area in plan.districts for cell in area.cells}  # no gaps
    for beat in plan.beats:
        beat_box, district_box = bbox_of(beat.geometry), bbox_of(by_code[beat.district_code].geometry)
        assert district_box.min_lon <= beat_box.min_lon and beat_box.max_lon <= district_box.max_lon
        assert district_box.min_lat <= beat_box.min_lat and beat_box.max_lat <= district_box.max_lat


def test_every_boundary_is_valid_geojson(plan: DemoGeography) -> None:
    for area in plan.areas:
        assert validate_geometry(area.geometry) == area.geometry


def test_addresses_are_plausible_and_inside_a_beat(plan: DemoGeography) -> None:
    index = PolygonIndex((beat.code, beat.geometry) for beat in plan.beats)
    uprns = [address.uprn for address in plan.addresses]
    assert len(set(uprns)) == len(uprns) and min(uprns) == FIRST_UPRN
    for address in plan.addresses:
        assert index.find(address.longitude, address.latitude) is not None
        assert re.fullmatch(r"DM\d{1,2} \d[ABD-HJLNP-UW-Z]{2}", address.postcode)
        assert address.street and address.town
    classes = [address.classification for address in plan.addresses]
    assert sum(code.startswith("R") for code in classes) > 0.8 * len(classes)
    assert any(code.startswith("C") for code in classes)
    assert any(address.sub_building.startswith("Flat ") for address in plan.addresses)


def test_towns_are_urban_and_edges_rural(plan: DemoGeography) -> None:
    settings = {beat.setting for beat in plan.beats}
    assert settings == {"urban", "rural"}


def test_tracing_keeps_cells_that_touch_at_a_corner_apart() -> None:
    polygons = trace([(0, 0), (1, 1)])
    assert len(polygons) == 2 and all(len(polygon) == 1 for polygon in polygons)
    ring = trace([(0, 0), (1, 0), (2, 0), (0, 1), (2, 1), (0, 2), (1, 2), (2, 2)])
    assert len(ring) == 1 and len(ring[0]) == 2  # a square with a hole in the middle


@pytest.mark.django_db
def test_the_step_writes_the_force_once_and_hands_it_on() -> None:
    context = make_context("small", seed=11)
    geography(context)
    size = context.size
    assert District.objects.count() == size.districts
    assert (
        Area.objects.filter(kind="beat").count()
        == size.districts * size.neighbourhoods_per_district * size.beats_per_neighbourhood
    )
    assert Address.objects.count() == size.addresses
    for district in Area.objects.filter(kind="district").select_related("district"):
        assert district.district is not None and district.district.name == district.name
    for address in Address.objects.select_related("beat", "lsoa").iterator():
        assert address.beat is not None and address.lsoa is not None
        assert contains(address.beat.geometry, address.longitude, address.latitude)
    assert len(context.made["addresses"]) == size.addresses
    assert len(context.made["beats"]) == Area.objects.filter(kind="beat").count()
    assert {town["district_code"] for town in context.made["towns"]} == {"D01", "D02", "D03"}
    assert len(context.made["districts"]) == size.districts
    assert context.counts == {"areas": Area.objects.count(), "addresses": size.addresses}

    again = make_context("small", seed=11)
    geography(again)
    assert Address.objects.count() == size.addresses
    assert Area.objects.count() == context.counts["areas"]
    assert again.counts == {}
    assert again.made["addresses"] == context.made["addresses"]
    assert again.made["beats"] == context.made["beats"]
