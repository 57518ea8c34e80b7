"""The geography API as a client sees it: type-ahead, one address, map layers, areas at a point,
and every bad request answered with a field error or a friendly 404, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from iops.accounts.choices import Role
from iops.accounts.services import token_create
from iops.accounts.tests.factories import UserFactory
from iops.geo.models import Address
from iops.geo.tests.factories import LAT0, LON0

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client: Client) -> Client:
    client.force_login(UserFactory(roles=[Role.CALL_HANDLER]))
    return client


def test_type_ahead_returns_addresses_with_their_areas(api: Client, gazetteer: None) -> None:
    response = api.get("/api/v1/geo/addresses", {"q": "flat 3 12 high st", "limit": 2})
    assert response.status_code == 200
    first = response.json()[0]
    assert first["uprn"] == 900000000002
    assert first["full_address"] == "FLAT 3, 12 HIGH STREET, WESTMERE, DM1 2AB"
    assert first["beat"]["code"] == "WN1A"
    assert first["lsoa"]["code"] == "X01000000"
    assert first["district"] == {"code": "W", "name": "Westmere"}
    assert first["latitude"] == pytest.approx(LAT0 + 0.01)


def test_type_ahead_with_a_bearer_token(client: Client, gazetteer: None) -> None:
    _, raw = token_create(acting_user=None, user=UserFactory(roles=[Role.DISPATCHER]))
    response = client.get("/api/v1/geo/addresses", {"q": "dm12ab"}, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert [address["uprn"] for address in response.json()] == [900000000001, 900000000002]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "high", "limit": 0}, "limit"),
        ({"q": "high", "limit": 500}, "limit"),
        ({"q": "high", "limit": "ten"}, "limit"),
    ],
)
def test_bad_type_ahead_parameters_are_field_errors(api: Client, params: dict[str, Any], field: str) -> None:
    response = api.get("/api/v1/geo/addresses", params)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid" and body["field"] == field and body["message"]


def test_one_address_and_a_friendly_404(api: Client, gazetteer: None) -> None:
    address = Address.objects.get(uprn=900000000005)
    response = api.get(f"/api/v1/geo/addresses/{address.pk}")
    assert response.status_code == 200 and response.json()["building_name"] == "MILL FARM"
    missing = api.get("/api/v1/geo/addresses/987654321")
    assert missing.status_code == 404
    assert missing.json() == {
        "code": "not_found",
        "message": "There is no address with reference 987654321.",
        "field": None,
    }
    assert api.get("/api/v1/geo/addresses/not-a-number").status_code in (404, 422)


def test_areas_as_geojson(api: Client, geography: None) -> None:
    response = api.get("/api/v1/geo/areas", {"kind": "district"})
    assert response.status_code == 200
    layer = response.json()
    assert layer["type"] == "FeatureCollection"
    assert {feature["properties"]["name"] for feature in layer["features"]} == {"Westmere", "Eastholt"}
    assert layer["features"][0]["geometry"]["type"] == "Polygon"
    wrong = api.get("/api/v1/geo/areas", {"kind": "county"})
    assert wrong.status_code == 422 and wrong.json()["field"] == "kind"


def test_areas_at_a_point(api: Client, geography: None) -> None:
    response = api.get("/api/v1/geo/areas/at", {"lat": LAT0 + 0.08, "lon": LON0 + 0.15})
    assert [(area["kind"], area["code"]) for area in response.json()] == [
        ("district", "E"),
        ("neighbourhood", "EN1"),
        ("beat", "EN1B"),
        ("lsoa", "X01000003"),
    ]
    beat = api.get("/api/v1/geo/areas/at", {"lat": LAT0 + 0.08, "lon": LON0 + 0.15, "kind": "beat"}).json()
    assert beat == [
        {
            "id": beat[0]["id"],
            "kind": "beat",
            "code": "EN1B",
            "name": "Eastholt north",
            "setting": "rural",
            "parent_code": "EN1",
            "district_code": "E",
        }
    ]
    assert api.get("/api/v1/geo/areas/at", {"lat": 10, "lon": 10}).json() == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": 95, "lon": 0}, "lat"),
        ({"lat": 52, "lon": -181}, "lon"),
        ({"lon": 0}, "lat"),
        ({"lat": "north", "lon": 0}, "lat"),
    ],
)
def test_a_bad_point_is_a_field_error(api: Client, params: dict[str, Any], field: str) -> None:
    response = api.get("/api/v1/geo/areas/at", params)
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_signed_out_callers_are_refused(client: Client) -> None:
    response = client.get("/api/v1/geo/addresses", {"q": "high"})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_addresses_near_a_caller_position(api: Client, gazetteer: None) -> None:
    response = api.get("/api/v1/geo/addresses/near", {"lat": LAT0 + 0.01, "lon": LON0 + 0.01, "radius": 250})
    assert response.status_code == 200
    nearby = response.json()
    assert [item["address"]["uprn"] for item in nearby] == [900000000001, 900000000002, 900000000003]
    assert nearby[0]["distance_m"] == 0
    too_far = api.get("/api/v1/geo/addresses/near", {"lat": LAT0, "lon": LON0, "radius": 50_000})
    assert too_far.status_code == 422 and too_far.json()["field"] == "radius"
