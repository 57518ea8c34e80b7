"""A NUL character anywhere in what a client sends is a field error, and nothing is written.

PostgreSQL cannot store a NUL in text or JSONB, so without this a write was accepted, failed in the
database and answered 500. Any endpoint is covered, because the API reads every body and query
string through the same parser; these tests use the busiest writes and a search.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from iops.api.parser import nul_at
from iops.incidents.models import Call, Incident
from iops.incidents.tests.factories import beat, control_room_user, searchable_address
from iops.people.models import Nominal

pytestmark = pytest.mark.django_db


def _post(client: Client, url: str, body: Any) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def handler_client() -> Client:
    client = Client()
    client.force_login(control_room_user("handler"))
    return client


def test_a_nul_in_an_inline_call_is_refused_at_its_field_and_no_call_or_incident_is_written(
    handler_client: Client,
) -> None:
    address = searchable_address(beat())
    body = {
        "call": {"channel": "999", "address_id": address.pk, "caller_name": "Alex\u0000Morgan"},
        "opening_category": "PSW-CONCERN",
    }
    response = _post(handler_client, "/api/v1/incidents", body)
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "Text cannot contain a NUL character (\\u0000).",
        "field": "call.caller_name",
    }
    assert not Call.objects.exists() and not Incident.objects.exists()
    # The same call without it is taken.
    body["call"]["caller_name"] = "Alex Morgan"
    assert _post(handler_client, "/api/v1/incidents", body).status_code == 201


def test_a_nul_deep_in_a_person_or_in_a_key_is_refused_and_no_person_is_written() -> None:
    client = Client()
    client.force_login(control_room_user("investigator", "investigator"))
    nested = {"family_name": "Quinn", "names": [{"given_names": "Neve", "family_name": "Qu\u0000inn"}]}
    response = _post(client, "/api/v1/people", nested)
    assert response.status_code == 400 and response.json()["field"] == "names.0.family_name"
    keyed = {"family_name": "Quinn", "extra\u0000": "x"}
    assert _post(client, "/api/v1/people", keyed).json()["field"] == "extra"
    assert not Nominal.objects.exists()


def test_a_nul_in_a_query_string_is_refused_at_its_field(handler_client: Client) -> None:
    response = handler_client.get("/api/v1/people/search", {"vrm": "AB\u000012", "purpose": "Test: NUL"})
    assert response.status_code == 400 and response.json()["field"] == "vrm"


def test_nul_at_names_the_path_of_the_first_nul_and_nothing_else() -> None:
    assert nul_at({"a": [1, {"b": "x"}, {"c": "y\u0000"}]}) == ("a", "2", "c")
    assert nul_at({"a": ["fine", None, 3.5, True], "b": {"c": "also fine"}}) is None
    assert nul_at("\u0000") == ()
