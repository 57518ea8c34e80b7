"""Pages for calls and incidents: who may open them, what they refuse and how, and that a refused
form writes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from iops.audit.models import AuditEntry
from iops.incidents import services
from iops.incidents.forms import sign_timing
from iops.incidents.models import Call, Incident
from iops.incidents.tests.factories import (
    THRIVE_ANSWERS,
    aml_message,
    beat,
    control_room_user,
    resident_with_marker,
    searchable_address,
)

pytestmark = pytest.mark.django_db


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


def call_form(place: dict[str, Any], **fields: Any) -> dict[str, Any]:
    answered = timezone.now() - timedelta(seconds=30)
    values = {
        "timing": sign_timing(answered, answered - timedelta(seconds=6)),
        "channel": "999",
        "caller_name": "Alex Morgan",
        "what_was_said": "My ex is at the door shouting",
        "address_id": place["address"].pk,
        "opening_category": "PSW-DOMESTIC",
        "qualifiers": ["DOMESTIC"],
        "action": "create",
    }
    values.update(fields)
    return values


def _incident(handler, place, category: str = "PSW-CONCERN") -> Incident:
    call = services.call_create(acting_user=handler, channel="999", address=place["address"])
    return services.incident_create(acting_user=handler, opening_category=category, call=call)


# --- permission matrix -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "new_call", "incident_page", "incident_list"),
    [
        (None, 302, 302, 302),
        ("data_protection_officer", 403, 403, 403),
        ("investigator", 403, 200, 200),
        ("call_handler", 200, 200, 200),
        ("dispatcher", 200, 200, 200),
        ("supervisor", 200, 200, 200),
    ],
)
def test_who_may_open_each_page(handler, place, role, new_call, incident_page, incident_list) -> None:
    incident = _incident(handler, place)
    client = Client()
    if role is not None:
        client.force_login(control_room_user(f"user_{role}"[:30], role))
    assert client.get("/incidents/new/").status_code == new_call
    assert client.get(f"/incidents/{incident.pk}/").status_code == incident_page
    assert client.get("/incidents/").status_code == incident_list


def test_a_role_that_may_read_but_not_close_is_refused_on_closing(handler, place) -> None:
    incident = _incident(handler, place)
    client = Client()
    client.force_login(control_room_user("analyst", "intelligence_officer"))
    response = client.post(
        f"/incidents/{incident.pk}/close/", {"closing_category": "PSW-CONCERN", "closing_result": "ADVICE"}
    )
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.is_open


def test_another_forces_incident_is_not_found(client, handler, place) -> None:
    from iops.platform.models import Force

    incident = _incident(handler, place)
    Incident.objects.filter(pk=incident.pk).update(force=Force.objects.create(code="OTHER", name="Other"))
    assert client.get(f"/incidents/{incident.pk}/").status_code == 404


# --- the call-taking page ----------------------------------------------------------------------


def test_the_new_call_page_starts_on_the_channel_and_records_the_answer_time(client) -> None:
    response = client.get("/incidents/new/")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="999" checked autofocus' in page
    assert 'accesskey="s"' in page and 'accesskey="m"' in page and 'accesskey="l"' in page
    assert "Answered at" in page and "recorded when this page opened" in page
    assert "Keyboard shortcuts" in page
    for part in ("Threat", "Harm", "Risk", "Investigation", "Vulnerability", "Engagement"):
        assert f">{part}" in page
    assert "Emergency (attend within 15 min urban, 20 min rural)" in page


def test_a_call_with_thrive_and_an_emergency_grade_opens_the_incident(client, place) -> None:
    response = client.post("/incidents/new/", call_form(place, grade="emergency", **THRIVE_ANSWERS))
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{incident.pk}/"
    assert incident.grade == "emergency"
    assert incident.qualifiers == ["DOMESTIC"]
    call = incident.calls.get()
    assert call.answer_seconds == 6
    assert call.handler.username == "handler"
    page = client.get(response["Location"]).content.decode()
    assert "15 min" in page and "data-due-at=" in page


def test_grading_without_thrive_is_a_form_error_and_nothing_is_written(client, place) -> None:
    response = client.post("/incidents/new/", call_form(place, grade="emergency"))
    page = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in page
    assert "Complete the THRIVE assessment (all six parts) before setting a grade." in page
    assert not Call.objects.exists()
    assert not Incident.objects.exists()


def test_half_a_thrive_is_refused_on_the_missing_part(client, place) -> None:
    answers = {**THRIVE_ANSWERS, "vulnerability": ""}
    response = client.post("/incidents/new/", call_form(place, grade="emergency", **answers))
    assert response.status_code == 400
    assert "Enter the vulnerability part of THRIVE." in response.content.decode()
    assert not Call.objects.exists()


def test_a_malformed_aml_message_is_refused_with_its_reasons(client, place) -> None:
    response = client.post(
        "/incidents/new/", call_form(place, address_id="", aml_message='A"ML=1;lt=+53.4;lg=-2.2;rd=x')
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "The AML message cannot be used" in page
    assert "rd: &#x27;x&#x27; is not a radius in metres or N" in page
    assert not Call.objects.exists()


def test_a_tampered_answer_time_is_refused(client, place) -> None:
    response = client.post("/incidents/new/", call_form(place, timing="forged"))
    assert response.status_code == 400
    assert "The call&#x27;s answer time could not be read" in response.content.decode()
    assert not Call.objects.exists()


def test_an_incident_needs_a_category(client, place) -> None:
    response = client.post("/incidents/new/", call_form(place, opening_category=""))
    assert response.status_code == 400
    assert "Choose the opening category." in response.content.decode()
    assert not Call.objects.exists()


def test_a_call_can_be_recorded_without_an_incident(client, place) -> None:
    response = client.post("/incidents/new/", call_form(place, action="call_only", opening_category=""))
    assert response.status_code == 302
    call = Call.objects.get()
    assert call.incident is None
    assert call.address == place["address"]


def test_a_further_call_is_linked_to_the_likely_duplicate(client, handler, place) -> None:
    existing = _incident(handler, place, "PSW-DOMESTIC")
    response = client.post("/incidents/new/", call_form(place, link_to=str(existing.pk)))
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{existing.pk}/"
    assert Incident.objects.count() == 1
    assert existing.calls.count() == 2


def test_a_map_point_is_recorded_as_such(client, place) -> None:
    response = client.post(
        "/incidents/new/", call_form(place, address_id="", latitude="53.4712", longitude="-2.2488")
    )
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert (incident.location_source, incident.latitude, incident.longitude) == ("map", 53.4712, -2.2488)
    assert incident.beat == place["beat"]


# --- fragments ---------------------------------------------------------------------------------


def test_the_aml_fragment_shows_position_and_radius_or_the_reasons(client) -> None:
    good = client.post("/incidents/new/aml/", {"aml_message": aml_message(53.47001, -2.25002, 40)})
    assert good.status_code == 200
    assert 'data-lat="53.47001"' in good.content.decode()
    assert "40 m" in good.content.decode()
    bad = client.post("/incidents/new/aml/", {"aml_message": 'A"ML=1;lt=+53.4'})
    assert "This AML message cannot be used" in bad.content.decode()
    assert "missing field lg (longitude)" in bad.content.decode()


def test_the_risk_panel_shows_markers_history_and_names_and_logs_every_read(client, handler, place) -> None:
    person = resident_with_marker(place["address"])
    earlier = _incident(handler, place)
    response = client.get(
        "/incidents/risk/", {"address_id": place["address"].pk, "people_named": "Jordan Blakeley\n"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Violence" in page and "govuk-tag--red" in page
    assert earlier.reference in page
    assert f'data-nominal-id="{person.pk}"' in page
    purposes = AuditEntry.objects.filter(actor__username="handler", action="consultation").values_list(
        "operation", "purpose"
    )
    assert set(purposes) == {
        ("people.at_address", "Call taking: risk at location"),
        ("incidents.history_at_location", "Call taking: risk at location"),
        ("people.search", "Call taking: risk at location"),
    }


def test_the_risk_panel_for_an_aml_point_looks_at_the_nearest_addresses(client, place) -> None:
    resident_with_marker(place["address"])
    address = place["address"]
    response = client.get(
        "/incidents/risk/", {"lat": address.latitude + 0.0001, "lon": address.longitude, "radius": 25}
    )
    assert "Violence" in response.content.decode()


def test_the_duplicates_fragment_offers_to_link(client, handler, place) -> None:
    existing = _incident(handler, place, "PSW-DOMESTIC")
    response = client.get(
        "/incidents/new/duplicates/", {"address_id": place["address"].pk, "opening_category": "PSW-CONCERN"}
    )
    assert f"Link this call to incident {existing.reference}" in response.content.decode()


# --- the incident page -------------------------------------------------------------------------


def test_the_incident_page_is_a_logged_read(client, handler, place) -> None:
    incident = _incident(handler, place)
    client.get(f"/incidents/{incident.pk}/")
    entry = AuditEntry.objects.get(operation="incidents.view")
    assert (entry.record_id, entry.purpose) == (str(incident.pk), "Incident handling")


def test_grading_on_the_incident_page_without_thrive_is_refused(client, handler, place) -> None:
    incident = _incident(handler, place)
    response = client.post(f"/incidents/{incident.pk}/grade/", {"grade": "emergency"})
    assert response.status_code == 400
    assert (
        "Complete the THRIVE assessment (all six parts) before setting a grade." in response.content.decode()
    )
    incident.refresh_from_db()
    assert incident.grade == ""


def test_thrive_then_grade_on_the_incident_page(client, handler, place) -> None:
    incident = _incident(handler, place)
    assert client.post(f"/incidents/{incident.pk}/thrive/", THRIVE_ANSWERS).status_code == 302
    assert client.post(f"/incidents/{incident.pk}/grade/", {"grade": "priority"}).status_code == 302
    incident.refresh_from_db()
    assert incident.grade == "priority"
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Version 1" in page and "First grade" in page


def test_closing_without_a_category_is_refused_with_a_clear_message(client, handler, place) -> None:
    incident = _incident(handler, place)
    response = client.post(f"/incidents/{incident.pk}/close/", {"closing_result": "ADVICE"})
    assert response.status_code == 400
    assert "Choose a closing category before closing the incident." in response.content.decode()
    incident.refresh_from_db()
    assert incident.is_open


def test_closing_a_crime_related_incident_asks_whether_a_report_is_needed(client, handler, place) -> None:
    incident = _incident(handler, place, "CR-DAM")
    refused = client.post(
        f"/incidents/{incident.pk}/close/", {"closing_category": "CR-DAM", "closing_result": "ADVICE"}
    )
    assert "say whether a crime report is needed" in refused.content.decode()
    closed = client.post(
        f"/incidents/{incident.pk}/close/",
        {"closing_category": "CR-DAM", "closing_result": "CRIME-RECORDED", "crime_report_needed": "yes"},
    )
    assert closed.status_code == 302
    incident.refresh_from_db()
    assert (incident.status, incident.crime_report_needed) == ("closed", True)


def test_log_lines_are_added_and_shown_with_their_author(client, handler, place) -> None:
    incident = _incident(handler, place)
    assert (
        client.post(f"/incidents/{incident.pk}/log/", {"text": "Caller rang back: he has gone"}).status_code
        == 302
    )
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Caller rang back: he has gone" in page
    empty = client.post(f"/incidents/{incident.pk}/log/", {"text": ""})
    assert empty.status_code == 400
    assert "Enter the log entry." in empty.content.decode()


def test_flagging_crime_related_from_the_page(client, handler, place) -> None:
    incident = _incident(handler, place)
    assert (
        client.post(f"/incidents/{incident.pk}/crime-related/", {"note": "Window smashed"}).status_code == 302
    )
    incident.refresh_from_db()
    assert incident.crime_related


def test_exporting_an_eido_needs_a_recipient_and_purpose(client, handler, place) -> None:
    incident = _incident(handler, place)
    refused = client.get(f"/incidents/{incident.pk}/eido/")
    assert refused.status_code == 400
    exported = client.get(
        f"/incidents/{incident.pk}/eido/", {"recipient": "Fire service", "purpose": "Joint attendance"}
    )
    assert exported.status_code == 200
    assert exported["Content-Disposition"].endswith('.eido.json"')
    assert exported.json()["incidentComponent"]["internalIncidentId"] == incident.reference


def test_the_list_shows_open_incidents_with_filters(client, handler, place) -> None:
    concern = _incident(handler, place)
    crime = _incident(handler, place, "CR-DAM")
    page = client.get("/incidents/").content.decode()
    assert concern.reference in page and crime.reference in page
    filtered = client.get("/incidents/", {"group": "crime"}).content.decode()
    assert crime.reference in filtered and concern.reference not in filtered


def test_the_call_handlers_home_page_lists_todays_calls_with_answer_times(client, place) -> None:
    client.post("/incidents/new/", call_form(place))
    page = client.get("/").content.decode()
    assert "Calls you have taken today" in page
    assert "Answered in 6 s" in page
    assert "1 of 1 within 10 s" in page


def test_the_incident_pages_risk_panel_checks_the_people_named_in_its_calls(client, handler, place) -> None:
    call = services.call_create(
        acting_user=handler, channel="999", address=place["address"], people_named=["Jordan Blakeley"]
    )
    incident = services.incident_create(acting_user=handler, opening_category="PSW-CONCERN", call=call)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert f"address_id={place['address'].pk}" in page
    assert "name=Jordan+Blakeley" in page


def test_without_a_connection_time_the_answer_time_is_not_measured(client, place) -> None:
    values = call_form(place, timing=sign_timing(timezone.now(), None))
    assert client.post("/incidents/new/", values).status_code == 302
    call = Call.objects.get()
    assert call.connection_measured is False
    assert call.answer_seconds is None
    page = client.get(f"/incidents/{call.incident_id}/").content.decode()
    assert "not measured" in page
