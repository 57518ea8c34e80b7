"""Reads: the address type-ahead a call handler relies on, the areas at a point, nearby addresses
and map layers."""

from __future__ import annotations

from typing import Any

import pytest

from iops.geo.geometry import contains
from iops.geo.models import Address
from iops.geo.selectors import (
    address_search,
    addresses_near,
    area_at,
    areas_at,
    areas_feature_collection,
)
from iops.geo.tests.factories import LAT0, LON0, AddressFactory
from iops.platform.errors import ValidationFailed
from iops.platform.models import default_force

pytestmark = pytest.mark.django_db


def found(query: str, limit: int = 10) -> list[int]:
    return [address.uprn for address in address_search(query, limit)]


@pytest.mark.parametrize("query", ["12 high st", "12 High Street", "12, HIGH ST.", "  12  high   street "])
def test_house_number_and_street_in_any_form_find_the_address(gazetteer: None, query: str) -> None:
    uprns = found(query)
    assert uprns[:2] == [900000000001, 900000000002]
    assert 900000000003 not in uprns  # 120 High Street is not number 12


@pytest.mark.parametrize(
    "query", ["flat 3 12 high st", "3 12 High Street", "Flat 3, 12 High St", "FLAT 3 12"]
)
def test_a_flat_is_found_with_or_without_the_word_flat(gazetteer: None, query: str) -> None:
    assert found(query)[0] == 900000000002


@pytest.mark.parametrize("query", ["DM1 2AB", "dm12ab", "DM12AB", "dm1 2ab"])
def test_a_postcode_with_or_without_its_space_finds_its_addresses(gazetteer: None, query: str) -> None:
    assert found(query) == [900000000001, 900000000002]


def test_part_of_a_postcode_finds_that_sector_only(gazetteer: None) -> None:
    assert set(found("DM1 2")) == {900000000001, 900000000002, 900000000003}
    assert set(found("dm2")) == {900000000005, 900000000006}


def test_apostrophes_abbreviations_and_the_word_being_typed_all_match(gazetteer: None) -> None:
    assert found("st marys rd") == [900000000004]
    assert found("Saint Mary's Road") == [900000000004]
    assert found("rose court st mar") == [900000000004]
    assert found("market pl") == [900000000006]
    assert found("upper sallowby") == [900000000005]


def test_misspelt_words_are_corrected_against_the_gazetteer(gazetteer: None) -> None:
    assert found("12 hihg stret") == [900000000001, 900000000002]
    assert found("mill farn eastholt") == [900000000005]
    assert 900000000004 in found("rose court westmeer")


def test_nothing_matches_nonsense_and_very_short_queries_give_nothing(gazetteer: None) -> None:
    assert found("zzqx vvv") == []
    assert found("1") == []
    assert found("") == []
    assert found(" ,. ") == []


def test_results_respect_the_limit_and_come_in_house_number_order(geography: None) -> None:
    for number in (10, 2, 1, 30, 3):
        AddressFactory(building_number=str(number), street="Osier Row", postcode="DM1 6AB")
    assert [address.building_number for address in address_search("osier row", 3)] == ["1", "2", "3"]


def test_a_search_is_two_queries_once_the_force_is_known(
    gazetteer: None, django_assert_num_queries: Any
) -> None:
    force_id = default_force().pk
    with django_assert_num_queries(2):
        results = address_search("12 high st", 10, force_id=force_id)
        assert results[0].beat.district.name == "Westmere"  # fetched with the address


def test_area_at_a_point(geography: None) -> None:
    beat = area_at(LAT0 + 0.08, LON0 + 0.15, "beat")
    assert beat is not None and beat.code == "EN1B"
    district = area_at(LAT0 + 0.08, LON0 + 0.15, "district")
    assert district is not None and district.code == "E"
    assert area_at(LAT0 - 1, LON0, "beat") is None
    assert [area.kind for area in areas_at(LAT0 + 0.01, LON0 + 0.01)] == [
        "district",
        "neighbourhood",
        "beat",
        "lsoa",
    ]


def test_a_point_on_a_shared_boundary_goes_to_the_first_area_by_code(geography: None) -> None:
    on_the_line = area_at(LAT0 + 0.02, LON0 + 0.1, "district")
    assert on_the_line is not None and on_the_line.code == "E"


def test_a_point_out_of_range_is_a_field_error(geography: None) -> None:
    with pytest.raises(ValidationFailed) as raised:
        area_at(91, 0, "beat")
    assert raised.value.field == "lat"
    with pytest.raises(ValidationFailed) as raised:
        area_at(52, 181, "beat")
    assert raised.value.field == "lon"


def test_addresses_near_a_point_nearest_first(gazetteer: None) -> None:
    near = addresses_near(LAT0 + 0.01, LON0 + 0.01, 250)
    assert [address.uprn for address, _ in near] == [900000000001, 900000000002, 900000000003]
    assert near[0][1] == 0
    assert 100 < near[2][1] < 250
    with pytest.raises(ValidationFailed) as raised:
        addresses_near(LAT0, LON0, 50_000)
    assert raised.value.field == "radius"


def test_areas_as_a_map_layer(geography: None) -> None:
    layer = areas_feature_collection("beat")
    assert layer["type"] == "FeatureCollection"
    assert [feature["properties"]["code"] for feature in layer["features"]] == [
        "EN1A",
        "EN1B",
        "WN1A",
        "WN1B",
    ]
    first = layer["features"][0]
    assert first["properties"]["parent_code"] == "EN1" and first["properties"]["district_code"] == "E"
    assert contains(first["geometry"], LON0 + 0.15, LAT0 + 0.02)


def test_every_loaded_address_lies_in_its_beat(gazetteer: None) -> None:
    for address in Address.objects.select_related("beat"):
        assert address.beat is not None
        assert contains(address.beat.geometry, address.longitude, address.latitude)


def test_area_indexes_notice_a_boundary_import_made_elsewhere_and_keep_an_unchanged_one(
    geography: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from iops.geo import selectors
    from iops.geo.services import boundaries_import
    from iops.geo.tests.factories import two_districts

    point = (LAT0 + 0.08, LON0 + 0.15)
    before = area_at(*point, "beat")
    assert before is not None and before.name == "Eastholt north"
    # Re-imported with a new name where this process is not told (its forget runs on commit,
    # which this test's transaction never reaches): as if another process had imported it.
    beats = two_districts()["beat"]
    for feature in beats["features"]:
        if feature["properties"]["code"] == "EN1B":
            feature["properties"]["name"] = "Eastholt north (renamed)"
    boundaries_import(acting_user=None, collection=beats, kind="beat", parent_property="nbhd")
    within_the_minute = area_at(*point, "beat")
    assert within_the_minute is not None and within_the_minute.name == "Eastholt north"

    monkeypatch.setattr(selectors, "AREA_INDEX_SECONDS", 0.0)
    after = area_at(*point, "beat")
    assert after is not None and after.name == "Eastholt north (renamed)"
    force_id = default_force().pk
    rebuilt = selectors._area_index(force_id, "beat")[0]
    assert selectors._area_index(force_id, "beat")[0] is rebuilt  # nothing changed: checked, kept
