"""The calls and incidents API: every endpoint, its refusals (code, message, field), and its cost."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from iops.audit.models import AuditEntry
from iops.incidents import services
from iops.incidents.models import Call, EidoImport, Incident
from iops.incidents.tests.factories import (
    THRIVE_ANSWERS,
    aml_message,
    beat,
    control_room_user,
    resident_with_marker,
    searchable_address,
)

pytestmark = pytest.mark.django_db

# Recording a call and opening its incident in one request: the session and user, the address,
# the user's permissions (2), the incident, the call, the log line, two audit entries, the
# transaction's savepoint (2, in a test), and whatever subscribers to incidents.changed read (one
# today). The benchmark relies on this staying small.
CREATE_PATH_QUERY_BUDGET = 13


@pytest.fixture
def handler():
    return control_room_user("handler")


@pytest.fixture
def client(handler) -> Client:
    client = Client()
    client.force_login(handler)
    return client


@pytest.fixture
def place():
    area = beat()
    return {"beat": area, "address": searchable_address(area)}


def post(client: Client, url: str, body: Any) -> Any:
    return client.post(url, body, content_type="application/json")


def _incident(handler, place, **fields: Any) -> Incident:
    call = services.call_create(acting_user=handler, channel="999", address=place["address"])
    return services.incident_create(
        acting_user=handler, opening_category=fields.pop("category", "PSW-CONCERN"), call=call, **fields
    )


# --- calls -------------------------------------------------------------------------------------


def test_a_call_with_an_aml_message_gives_position_radius_and_measured_answer_time(client, place) -> None:
    connected = timezone.now() - timedelta(seconds=9)
    response = post(
        client,
        "/api/v1/calls",
        {
            "channel": "999",
            "connected_at": connected.isoformat(),
            "answered_at": (connected + timedelta(seconds=7)).isoformat(),
            "caller_name": "Alex Morgan",
            "aml_message": aml_message(53.47001, -2.25002, 25),
            "people_named": ["Jordan Blakeley", "  "],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["latitude"], body["longitude"], body["radius_m"]) == (53.47001, -2.25002, 25)
    assert body["location_source"] == "aml"
    assert body["answer_seconds"] == 7
    assert body["people_named"] == ["Jordan Blakeley"]


def test_a_malformed_aml_message_is_refused_with_its_reasons_and_nothing_is_written(client) -> None:
    response = post(client, "/api/v1/calls", {"channel": "999", "aml_message": 'A"ML=1;lt=+95.0;lg=-2.2'})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["field"] == "aml_message"
    assert "lt: latitude 95.0 is out of range" in body["message"]
    assert "missing field rd" in body["message"]
    assert not Call.objects.exists()


def test_an_unknown_channel_is_refused_on_its_field(client) -> None:
    response = post(client, "/api/v1/calls", {"channel": "pigeon"})
    assert response.status_code == 400
    assert response.json()["field"] == "channel"


def test_a_role_that_does_not_take_calls_is_refused(place) -> None:
    client = Client()
    client.force_login(control_room_user("investigator", "investigator"))
    response = post(client, "/api/v1/calls", {"channel": "101"})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_without_signing_in_the_api_says_so() -> None:
    response = post(Client(), "/api/v1/calls", {"channel": "101"})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_a_further_call_is_linked_to_its_incident_but_not_to_a_closed_one(client, handler, place) -> None:
    incident = _incident(handler, place)
    call = services.call_create(acting_user=handler, channel="101", location_text="same again")
    response = post(client, f"/api/v1/calls/{call.pk}/link", {"incident_id": incident.pk})
    assert response.status_code == 200
    assert response.json()["incident_id"] == incident.pk
    services.incident_close(
        acting_user=handler, incident=incident, closing_category="PSW-CONCERN", closing_result="ADVICE"
    )
    another = services.call_create(acting_user=handler, channel="101", location_text="and again")
    refused = post(client, f"/api/v1/calls/{another.pk}/link", {"incident_id": incident.pk})
    assert refused.status_code == 409
    assert refused.json()["code"] == "incident_closed"


# --- opening incidents -------------------------------------------------------------------------


def test_one_request_records_the_call_and_opens_the_incident_in_a_few_queries(client, place) -> None:
    body = {
        "call": {"channel": "999", "address_id": place["address"].pk, "caller_name": "Alex Morgan"},
        "opening_category": "PSW-DOMESTIC",
        "qualifiers": ["DOMESTIC"],
        "summary": "Shouting heard next door",
    }
    post(client, "/api/v1/incidents", body)  # warm caches (code lists, content types)
    with CaptureQueriesContext(connection) as queries:
        response = post(client, "/api/v1/incidents", body)
    assert response.status_code == 201, response.content
    created = response.json()
    incident = Incident.objects.get(pk=created["id"])
    assert created["reference"] == incident.reference
    assert incident.calls.get().pk == created["call_id"]
    assert incident.qualifiers == ["DOMESTIC"]
    assert incident.beat == place["beat"]
    assert len(queries) <= CREATE_PATH_QUERY_BUDGET, [query["sql"][:80] for query in queries]


def test_an_inline_call_may_bring_thrive_and_a_grade(client, place) -> None:
    response = post(
        client,
        "/api/v1/incidents",
        {
            "call": {"channel": "999", "address_id": place["address"].pk},
            "opening_category": "CR-VIOL",
            "thrive": THRIVE_ANSWERS,
            "grade": "emergency",
        },
    )
    assert response.status_code == 201, response.content
    incident = Incident.objects.get(pk=response.json()["id"])
    assert incident.grade == "emergency"
    assert incident.attendance_due_at == incident.opened_at + timedelta(minutes=15)


def test_grading_without_thrive_is_refused_and_neither_call_nor_incident_is_written(client, place) -> None:
    response = post(
        client,
        "/api/v1/incidents",
        {
            "call": {"channel": "999", "address_id": place["address"].pk},
            "opening_category": "CR-VIOL",
            "grade": "emergency",
        },
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "thrive_required",
        "message": "Complete the THRIVE assessment (all six parts) before setting a grade.",
        "field": "thrive",
    }
    assert not Call.objects.exists()
    assert not Incident.objects.exists()


def test_an_incident_opens_from_a_recorded_call(client, handler, place) -> None:
    call = services.call_create(acting_user=handler, channel="101", address=place["address"])
    response = post(client, "/api/v1/incidents", {"call_id": call.pk, "opening_category": "ASB-NUIS"})
    assert response.status_code == 201
    call.refresh_from_db()
    assert call.incident_id == response.json()["id"]


def test_an_unknown_category_is_refused_on_the_field_the_client_sent(client, place) -> None:
    response = post(
        client,
        "/api/v1/incidents",
        {"call": {"channel": "999", "address_id": place["address"].pk}, "opening_category": "CR-NOPE"},
    )
    assert response.status_code == 400
    assert response.json()["field"] == "opening_category"
    assert not Call.objects.exists()


def test_an_incident_needs_a_location(client) -> None:
    response = post(client, "/api/v1/incidents", {"opening_category": "PSW-CONCERN"})
    assert response.status_code == 400
    assert response.json()["field"] == "location"


# --- reading -----------------------------------------------------------------------------------


def test_one_incident_in_full_is_a_logged_read(client, handler, place) -> None:
    incident = _incident(handler, place, category="CR-VIOL", qualifiers=["DOMESTIC"])
    services.thrive_record(acting_user=handler, incident=incident, **THRIVE_ANSWERS)
    services.incident_grade(acting_user=handler, incident=incident, grade="emergency")
    services.incident_log_add(acting_user=handler, incident=incident, text="Caller says he has left")
    response = client.get(f"/api/v1/incidents/{incident.pk}", {"purpose": "Dispatching a unit"})
    assert response.status_code == 200
    body = response.json()
    assert body["grade"] == "emergency"
    assert body["attendance"]["target_minutes"] == 15
    assert 0 < body["attendance"]["seconds_left"] <= 15 * 60
    assert [item["version"] for item in body["thrive"]] == [1]
    assert body["grades"][0]["decided_by"]
    assert [entry["text"] for entry in body["log"]][-1] == "Caller says he has left"
    assert body["calls"][0]["channel"] == "999"
    entry = AuditEntry.objects.filter(operation="incidents.view").get()
    assert (entry.record_id, entry.purpose) == (str(incident.pk), "Dispatching a unit")


def test_an_unknown_incident_is_a_404(client) -> None:
    response = client.get("/api/v1/incidents/999999")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_the_list_shows_open_incidents_with_filters(client, handler, place) -> None:
    domestic = _incident(handler, place, category="PSW-DOMESTIC", qualifiers=["DOMESTIC"])
    _incident(handler, place, category="TRN-RTC-DAMAGE")
    closed = _incident(handler, place)
    services.incident_close(
        acting_user=handler, incident=closed, closing_category="PSW-CONCERN", closing_result="ADVICE"
    )
    every = client.get("/api/v1/incidents").json()
    assert closed.pk not in [item["id"] for item in every]
    assert len(every) == 2
    filtered = client.get("/api/v1/incidents", {"qualifier": "DOMESTIC"}).json()
    assert [item["id"] for item in filtered] == [domestic.pk]
    refused = client.get("/api/v1/incidents", {"grade": "urgent"})
    assert refused.status_code == 400
    assert refused.json()["field"] == "grade"


def test_likely_duplicates_are_offered_before_a_new_incident(client, handler, place) -> None:
    existing = _incident(handler, place, category="CR-VIOL")
    address = place["address"]
    response = client.get(
        "/api/v1/incidents/duplicates",
        {"lat": address.latitude, "lon": address.longitude, "category": "CR-ROB"},
    )
    assert response.status_code == 200
    assert [item["incident"]["id"] for item in response.json()] == [existing.pk]
    other_family = client.get(
        "/api/v1/incidents/duplicates",
        {"lat": address.latitude, "lon": address.longitude, "category": "TRN-RTC-DAMAGE"},
    )
    assert other_family.json() == []


# --- assessing, grading, logging, closing ------------------------------------------------------


def test_thrive_then_grade_sets_the_clock_and_a_regrade_needs_a_reason(client, handler, place) -> None:
    incident = _incident(handler, place)
    refused = post(client, f"/api/v1/incidents/{incident.pk}/grade", {"grade": "emergency"})
    assert refused.status_code == 400
    assert (refused.json()["code"], refused.json()["field"]) == ("thrive_required", "thrive")
    partial = post(client, f"/api/v1/incidents/{incident.pk}/thrive", {**THRIVE_ANSWERS, "engagement": ""})
    assert partial.status_code == 400
    assert partial.json()["field"] == "engagement"
    assert post(client, f"/api/v1/incidents/{incident.pk}/thrive", THRIVE_ANSWERS).status_code == 201
    graded = post(client, f"/api/v1/incidents/{incident.pk}/grade", {"grade": "emergency"})
    assert graded.status_code == 201
    assert graded.json()["grade_name"] == "Emergency"
    no_reason = post(client, f"/api/v1/incidents/{incident.pk}/grade", {"grade": "priority"})
    assert (no_reason.status_code, no_reason.json()["field"]) == (400, "reason")
    regraded = post(
        client, f"/api/v1/incidents/{incident.pk}/grade", {"grade": "priority", "reason": "He has left"}
    )
    assert regraded.json()["version"] == 2
    assert regraded.json()["previous_grade"] == "emergency"


def test_log_lines_are_added_and_an_empty_one_is_refused(client, handler, place) -> None:
    incident = _incident(handler, place)
    added = post(client, f"/api/v1/incidents/{incident.pk}/log", {"text": "Neighbour called back"})
    assert added.status_code == 201
    assert added.json()["kind"] == "narrative"
    empty = post(client, f"/api/v1/incidents/{incident.pk}/log", {"text": "  "})
    assert (empty.status_code, empty.json()["field"]) == (400, "text")


def test_closing_needs_a_category_and_a_crime_related_one_the_report_decision(client, handler, place) -> None:
    incident = _incident(handler, place, category="CR-DAM")
    no_category = post(client, f"/api/v1/incidents/{incident.pk}/close", {"closing_result": "ADVICE"})
    assert no_category.status_code == 400
    assert no_category.json() == {
        "code": "closing_category_required",
        "message": "Choose a closing category before closing the incident.",
        "field": "closing_category",
    }
    undecided = post(
        client,
        f"/api/v1/incidents/{incident.pk}/close",
        {"closing_category": "CR-DAM", "closing_result": "ADVICE"},
    )
    assert (undecided.status_code, undecided.json()["field"]) == (400, "crime_report_needed")
    incident.refresh_from_db()
    assert incident.is_open
    closed = post(
        client,
        f"/api/v1/incidents/{incident.pk}/close",
        {"closing_category": "CR-DAM", "closing_result": "CRIME-RECORDED", "crime_report_needed": True},
    )
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert closed.json()["crime_report_needed"] is True


def test_flagging_crime_related(client, handler, place) -> None:
    incident = _incident(handler, place)
    response = post(client, f"/api/v1/incidents/{incident.pk}/crime-related", {"note": "Window smashed"})
    assert response.status_code == 200
    assert response.json()["crime_related"] is True


# --- risk at a location ------------------------------------------------------------------------


def test_the_risk_at_a_location_needs_a_purpose_and_logs_each_read(client, handler, place) -> None:
    person = resident_with_marker(place["address"])
    earlier = _incident(handler, place)
    refused = client.get("/api/v1/locations/risk", {"address_id": place["address"].pk})
    assert (refused.status_code, refused.json()["code"]) == (400, "purpose_required")
    response = client.get(
        "/api/v1/locations/risk",
        {
            "address_id": place["address"].pk,
            "purpose": "Call taking: risk at location",
            "names": ["Jordan Blakeley"],
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    people = body["addresses"][0]["people"]
    assert [(p["nominal_id"], [m["label"] for m in p["markers"]]) for p in people] == [
        (person.pk, ["Violence"])
    ]
    assert [item["incident"]["id"] for item in body["history"]] == [earlier.pk]
    assert body["named"][0]["matches"][0]["nominal_id"] == person.pk
    logged = set(
        AuditEntry.objects.filter(purpose="Call taking: risk at location").values_list("operation", flat=True)
    )
    assert logged == {"people.at_address", "incidents.history_at_location", "people.search"}


# --- EIDO --------------------------------------------------------------------------------------


def test_an_eido_export_is_a_disclosure_to_a_named_recipient(client, handler, place) -> None:
    incident = _incident(handler, place)
    refused = client.get(f"/api/v1/incidents/{incident.pk}/eido")
    assert (refused.status_code, refused.json()["field"]) == (400, "recipient")
    response = client.get(
        f"/api/v1/incidents/{incident.pk}/eido", {"recipient": "North West Ambulance Service"}
    )
    assert response.status_code == 200
    assert response.json()["eidoVersion"] == "1.0"
    disclosure = AuditEntry.objects.get(operation="incidents.eido_export")
    assert disclosure.recipient == "North West Ambulance Service"


def test_an_eido_is_imported_once_and_an_invalid_one_names_the_field(client, handler, place) -> None:
    incident = _incident(handler, place, category="PSW-MISSING", qualifiers=["MISSING"])
    document = client.get(f"/api/v1/incidents/{incident.pk}/eido", {"recipient": "Neighbouring force"}).json()
    imported = post(client, "/api/v1/incidents/eido", document)
    assert imported.status_code == 201, imported.content
    assert EidoImport.objects.get().incident_id == imported.json()["id"]
    again = post(client, "/api/v1/incidents/eido", document)
    assert (again.status_code, again.json()["field"]) == (409, "$id")
    broken = dict(
        document, incidentComponent={**document["incidentComponent"], "incidentTypeCommonRegistryText": 7}
    )
    refused = post(client, "/api/v1/incidents/eido", broken)
    assert refused.status_code == 400
    assert refused.json()["code"] == "eido_invalid"
    assert refused.json()["field"] == "incidentComponent.incidentTypeCommonRegistryText"


def test_a_call_without_a_connection_time_is_answered_now_and_its_answer_time_unknown(client) -> None:
    response = post(client, "/api/v1/calls", {"channel": "101", "location_text": "Front counter"})
    body = response.json()
    assert response.status_code == 201
    assert body["connection_measured"] is False
    assert body["answer_seconds"] is None
    assert body["answered_at"] == body["connected_at"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("connected_at", "0001-01-01T00:00:00+05:00", "between 1900 and 2100"),
        ("connected_at", "2026-01-01T10:00:00-20:02", "within 14 hours of UTC"),
        ("answered_at", "2026-01-01T10:00:00+15:00", "within 14 hours of UTC"),
        ("radius_m", 3_000_000_000, "at most 9,999,999 metres"),
    ],
)
def test_a_call_with_a_time_or_radius_no_record_can_hold_is_refused_at_its_field(
    client, field: str, value: Any, message: str
) -> None:
    # Each of these used to be accepted and then either refused by PostgreSQL (a 500) or, for a
    # time before year 1 in UTC, stored so that every later read of the call failed.
    body = {"channel": "999", "latitude": 53.48, "longitude": -2.24, field: value}
    response = post(client, "/api/v1/calls", body)
    assert response.status_code in (400, 422), response.content
    assert response.json()["field"] == field and message in response.json()["message"]
    assert not Call.objects.exists()
