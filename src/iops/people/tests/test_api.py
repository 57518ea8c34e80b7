"""The people API as a client sees it: the search contract, create, reads with a purpose, errors
as ``{"code", "message", "field"}``, and who may do what."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from iops.accounts.models import User
from iops.accounts.services import token_create
from iops.geo.tests.factories import AddressFactory
from iops.people import services
from iops.people.models import Nominal
from iops.people.tests.factories import person

pytestmark = pytest.mark.django_db
SEARCH = "/api/v1/people/search"


def bearer(user: User) -> dict[str, str]:
    _, raw = token_create(acting_user=None, user=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_search_returns_ranked_results_in_the_documented_shape(handler: User) -> None:
    target = person("William", "Smith", "1980-01-02")
    person("Robert", "Smith", "1980-01-02")
    response = Client().get(
        SEARCH,
        {"name": "Bill Smith", "date_of_birth": "1980-02-01", "purpose": "Test", "limit": 5},
        **bearer(handler),
    )
    assert response.status_code == 200
    body = response.json()
    first = body["results"][0]
    assert set(first) >= {"id", "names", "date_of_birth", "score", "matched_on"}
    assert (
        first["id"] == target.pk
        and first["names"] == ["William Smith"]
        and first["date_of_birth"] == "1980-01-02"
    )
    assert 0 < first["score"] <= 1 and "date of birth day/month swapped" in first["matched_on"]
    assert [result["score"] for result in body["results"]] == sorted(
        (r["score"] for r in body["results"]), reverse=True
    )
    # Written straight to JSON for speed, the answer is exactly what the documented schema gives.
    from iops.people.api import SearchOut

    assert SearchOut.model_validate(body).model_dump(mode="json") == body
    assert body["count"] == len(body["results"])


@pytest.mark.parametrize("purpose", [None, "", "   "])
def test_search_without_a_purpose_is_a_400_naming_the_field(handler: User, purpose: str | None) -> None:
    params = {"name": "Smith"} if purpose is None else {"name": "Smith", "purpose": purpose}
    response = Client().get(SEARCH, params, **bearer(handler))
    assert response.status_code == 400
    assert response.json()["field"] == "purpose" and response.json()["code"] == "purpose_required"
    assert "purpose" in response.json()["message"]


def test_purpose_may_come_in_a_header(handler: User) -> None:
    person("Owen", "Price")
    response = Client().get(SEARCH, {"name": "Owen Price"}, HTTP_X_PURPOSE="Test", **bearer(handler))
    assert response.status_code == 200 and response.json()["count"] == 1


@pytest.mark.parametrize(("params", "field"), [
    ({"date_of_birth": "1980-02-30"}, "date_of_birth"),
    ({"date_of_birth": "02/30/1980"}, "date_of_birth"),
    ({"limit": "0"}, "limit"),
    ({"limit": "1000"}, "limit"),
    ({"limit": "ten"}, "limit"),
])  # fmt: skip
def test_bad_search_parameters_are_4xx_field_errors(
    handler: User, params: dict[str, str], field: str
) -> None:
    response = Client().get(SEARCH, {"name": "Smith", "purpose": "Test", **params}, **bearer(handler))
    assert 400 <= response.status_code < 500
    assert response.json()["field"] == field


def test_create_returns_201_with_the_new_id_and_likely_duplicates(investigator: User) -> None:
    existing = person("Katherine", "Doyle", "1975-05-05")
    response = Client().post(
        "/api/v1/people",
        {"given_names": "Kate", "family_name": "Doyle", "date_of_birth": "1975-05-05"},
        content_type="application/json",
        **bearer(investigator),
    )
    assert response.status_code == 201
    body = response.json()
    assert Nominal.objects.filter(pk=body["id"]).exists()
    assert [duplicate["id"] for duplicate in body["possible_duplicates"]] == [existing.pk]


def test_create_with_several_names_dates_and_an_address(investigator: User) -> None:
    address = AddressFactory()
    response = Client().post(
        "/api/v1/people",
        {
            "names": [
                {"given_names": "Niamh", "family_name": "Quinn"},
                {"given_names": "Neve", "family_name": "Quinn", "kind": "nickname"},
            ],
            "dates_of_birth": ["1999-09-01", "1999-01-09"],
            "identifiers": [{"kind": "phone", "value": "07700 900789"}],
            "addresses": [{"address_id": address.pk, "role": "resident", "valid_from": "2020-01-01"}],
            "gender": "female",
        },
        content_type="application/json",
        **bearer(investigator),
    )
    assert response.status_code == 201, response.json()
    nominal = Nominal.objects.get(pk=response.json()["id"])
    assert (
        nominal.names.count() == 2 and nominal.dates_of_birth.count() == 2 and nominal.addresses.count() == 1
    )


@pytest.mark.parametrize(("payload", "field"), [
    ({"given_names": "A", "family_name": "B", "date_of_birth": "1980-13-01"}, "date_of_birth"),
    ({"given_names": "", "family_name": ""}, "family_name"),
    ({"family_name": "B", "identifiers": [{"kind": "ni_number", "value": "nope"}]}, "identifiers"),
    ({"family_name": "B", "addresses": [{"address_id": 999999}]}, "address"),
])  # fmt: skip
def test_bad_creates_are_4xx_field_errors_and_write_nothing(
    investigator: User, payload: dict[str, Any], field: str
) -> None:
    response = Client().post(
        "/api/v1/people", payload, content_type="application/json", **bearer(investigator)
    )
    assert response.status_code == 400 and response.json()["field"] == field
    assert not Nominal.objects.exists()


def test_get_person_and_summary_need_a_purpose(handler: User) -> None:
    target = person("Jack", "Pryce", "1988-08-08")
    services.marker_add(acting_user=None, nominal=target, kind="violence", source="Custody 2021")
    client = Client()
    headers = bearer(handler)
    assert client.get(f"/api/v1/people/{target.pk}", **headers).json()["field"] == "purpose"
    body = client.get(f"/api/v1/people/{target.pk}", {"purpose": "Test"}, **headers).json()
    assert body["names"][0]["given_names"] == "Jack" and body["markers"][0]["code"] == "violence"
    summary = client.get(f"/api/v1/people/{target.pk}/summary", {"purpose": "Test"}, **headers).json()
    assert summary["markers"][0]["label"] == "Violence" and summary["dates_of_birth"] == ["1988-08-08"]
    assert client.get("/api/v1/people/999999", {"purpose": "Test"}, **headers).status_code == 404


def test_people_at_an_address(handler: User) -> None:
    address = AddressFactory()
    resident = person("Gail", "Ford", addresses=[services.AddressInput(address.pk)])
    services.marker_add(acting_user=None, nominal=resident, kind="sex_offender", source="ViSOR")
    body = (
        Client().get(f"/api/v1/people/at-address/{address.pk}", {"purpose": "Test"}, **bearer(handler)).json()
    )
    assert (
        body["people"][0]["id"] == resident.pk and body["people"][0]["markers"][0]["code"] == "sex_offender"
    )


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 401), ("outsider", 403), ("handler", 200), ("investigator", 200)]
)
def test_permission_matrix_for_search(request: pytest.FixtureRequest, who: str, status: int) -> None:
    headers = {} if who == "anonymous" else bearer(request.getfixturevalue(who))
    response = Client().get(SEARCH, {"name": "Smith", "purpose": "Test"}, **headers)
    assert response.status_code == status
    assert "code" in response.json() if status != 200 else "results" in response.json()


@pytest.mark.parametrize(("who", "status"), [("handler", 403), ("investigator", 201)])
def test_permission_matrix_for_create(request: pytest.FixtureRequest, who: str, status: int) -> None:
    response = Client().post(
        "/api/v1/people",
        {"family_name": "Noone"},
        content_type="application/json",
        **bearer(request.getfixturevalue(who)),
    )
    assert response.status_code == status


def test_restricted_person_by_api_says_whom_to_ask(handler: User) -> None:
    secret = person("Zara", "Hale", restricted=True, restriction_contact="DI Moss")
    response = Client().get(f"/api/v1/people/{secret.pk}", {"purpose": "Test"}, **bearer(handler))
    assert response.status_code == 403 and "DI Moss" in response.json()["message"]
    result = (
        Client().get(SEARCH, {"name": "Zara Hale", "purpose": "Test"}, **bearer(handler)).json()["results"][0]
    )
    assert result["restricted"] and result["names"] == [] and result["restriction_contact"] == "DI Moss"


def test_merge_and_reverse_by_api(supervisor: User) -> None:
    keep, absorb = person("Terry", "Vane", "1950-05-05"), person("Terence", "Vane", "1950-05-05")
    client, headers = Client(), bearer(supervisor)
    short = client.post(
        "/api/v1/people/merges",
        {"survivor_id": keep.pk, "merged_id": absorb.pk, "reason": "no"},
        content_type="application/json",
        **headers,
    )
    assert short.status_code == 400 and short.json()["field"] == "reason"
    done = client.post(
        "/api/v1/people/merges",
        {"survivor_id": keep.pk, "merged_id": absorb.pk, "reason": "Same fingerprints on PNC"},
        content_type="application/json",
        **headers,
    )
    assert done.status_code == 201 and done.json()["moved"]["names"] == 1
    back = client.post(
        f"/api/v1/people/merges/{done.json()['id']}/reverse",
        {"reason": "Wrong: they are brothers"},
        content_type="application/json",
        **headers,
    )
    assert back.status_code == 200 and back.json()["reversed"]


def test_link_a_vehicle_and_find_the_person_by_part_of_its_registration(investigator: User) -> None:
    target = person("Ray", "Dunne")
    headers = bearer(investigator)
    linked = Client().post(
        f"/api/v1/people/{target.pk}/vehicles",
        {"vrm": "yd21 kxp", "make": "Ford"},
        content_type="application/json",
        **headers,
    )
    assert linked.status_code == 201
    found = Client().get(SEARCH, {"vrm": "21KX", "purpose": "Test"}, **headers).json()["results"]
    assert [result["id"] for result in found] == [target.pk]
    bad = Client().post(
        f"/api/v1/people/{target.pk}/vehicles", {"vrm": "!"}, content_type="application/json", **headers
    )
    assert bad.status_code == 400 and bad.json()["field"] == "vrm"


def test_a_vehicle_with_text_longer_than_its_record_holds_is_a_field_error_not_a_500(
    investigator: User,
) -> None:
    # Both were accepted and then refused by PostgreSQL (value too long): found by schemathesis.
    from iops.people.models import Vehicle

    target = person("Ray", "Dunne")
    headers = bearer(investigator)

    def link(payload: dict[str, str]) -> Any:
        return Client().post(
            f"/api/v1/people/{target.pk}/vehicles", payload, content_type="application/json", **headers
        )

    too_long = link({"vrm": "YD21 KXP", "model": "M" * 61})
    assert too_long.status_code == 400 and too_long.json()["field"] == "model"
    assert "60 characters" in too_long.json()["message"] and not Vehicle.objects.exists()
    # Marks between the letters and digits of a registration are not kept; the registration is.
    marked = link({"vrm": "YD21.`KXP&&&&&&&&&&&&&&&&"})
    assert marked.status_code == 201
    assert Vehicle.objects.get().vrm == "YD21KXP"


@pytest.mark.parametrize(
    ("payload", "given", "family"),
    [
        ({"given_name": "Ann", "surname": "Lowry"}, "Ann", "Lowry"),
        ({"first_name": "Ann", "last_name": "Lowry"}, "Ann", "Lowry"),
        ({"name": "Ann Marie Lowry"}, "Ann Marie", "Lowry"),
        ({"name": "Lowry, Ann"}, "Ann", "Lowry"),
        ({"name": "Sean O Brien"}, "Sean", "O Brien"),
        ({"surname": "Lowry"}, "", "Lowry"),
    ],
)
def test_create_accepts_common_spellings_of_the_name_fields(
    investigator: User, payload: dict[str, str], given: str, family: str
) -> None:
    response = Client().post(
        "/api/v1/people", payload, content_type="application/json", **bearer(investigator)
    )
    assert response.status_code == 201, response.json()
    name = Nominal.objects.get(pk=response.json()["id"]).names.get()
    assert (name.given_names, name.family_name) == (given, family)
