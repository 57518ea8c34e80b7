"""The crimes API: what a client sends, what it gets back, and the errors it can act on."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from iops.accounts.services import token_create
from iops.crimes.models import Crime, NonCrimeRationale
from iops.crimes.tests.factories import crime_incident, person
from iops.duties.models import Duty

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    _, raw = token_create(acting_user=None, user=user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def body(incident: Any, **extra: Any) -> dict[str, Any]:
    return {
        "offence_code": "28E",
        "incident_ids": [incident.pk],
        "committed_from": (incident.opened_at - timedelta(hours=2)).isoformat(),
        **extra,
    }


def test_record_a_crime_then_read_it_with_a_purpose(handler, investigator) -> None:
    incident = crime_incident(handler)
    victim = person("Mia", "Hughes")
    api = client_for(investigator)

    created = api.post("/api/v1/crimes", body(incident, victims=[victim.pk]), content_type="application/json")

    assert created.status_code == 201, created.json()
    crime = created.json()
    assert crime["number"].startswith("CR/") and crime["police_uk_category"] == "burglary"
    assert crime["police_uk_category_name"] == "Burglary" and crime["recorded_within_24h"] is True
    assert crime["incident_ids"] == [incident.pk]
    assert [(p["person_id"], p["role"]) for p in crime["parties"]] == [(victim.pk, "victim")]
    assert {d["kind"] for d in crime["duties"]} >= {"victim_services_referral", "victim_update"}

    no_purpose = api.get(f"/api/v1/crimes/{crime['id']}")
    assert (no_purpose.status_code, no_purpose.json()["code"], no_purpose.json()["field"]) == (
        400,
        "purpose_required",
        "purpose",
    )
    read = api.get(f"/api/v1/crimes/{crime['id']}", {"purpose": "Investigation"})
    assert read.status_code == 200 and read.json()["number"] == crime["number"]
    assert api.get("/api/v1/crimes/999999", HTTP_X_PURPOSE="Investigation").status_code == 404


def test_an_unknown_offence_code_is_a_400_on_its_field(handler, investigator) -> None:
    response = client_for(investigator).post(
        "/api/v1/crimes", body(crime_incident(handler), offence_code="8Z"), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "unknown_offence_code",
        "message": "'8Z' is not a known Home Office offence code",
        "field": "offence_code",
    }
    assert not Crime.objects.exists()


def test_two_victims_are_refused_with_the_rule_named(handler, investigator) -> None:
    incident = crime_incident(handler)
    response = client_for(investigator).post(
        "/api/v1/crimes",
        body(incident, victims=[person("A", "One").pk, person("B", "Two").pk]),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "one_crime_per_victim" and response.json()["field"] == "victims"
    assert "separate crime for each victim" in response.json()["message"]


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"committed_from": "yesterday"}, 422, "committed_from"),
        ({"incident_ids": [987654]}, 400, "incident_ids"),
        ({"victims": [987654]}, 400, "victims"),
        ({"committed_to": "2000-01-01T00:00:00+00:00"}, 400, "committed_to"),
        ({"additional_offence_codes": ["XX"]}, 400, "additional_offence_codes"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(handler, investigator, change, status, field) -> None:
    response = client_for(investigator).post(
        "/api/v1/crimes", body(crime_incident(handler), **change), content_type="application/json"
    )
    assert (response.status_code, response.json()["field"]) == (status, field)
    assert not Crime.objects.exists()


def test_classification_and_outcome_updates(handler, investigator) -> None:
    api = client_for(investigator)
    crime = api.post(
        "/api/v1/crimes", body(crime_incident(handler), offence_code="49"), content_type="application/json"
    ).json()

    bad = api.post(
        f"/api/v1/crimes/{crime['id']}/classification",
        {"offence_code": "ZZ", "reason": "x"},
        content_type="application/json",
    )
    assert (bad.status_code, bad.json()["field"]) == (400, "offence_code")
    changed = api.post(
        f"/api/v1/crimes/{crime['id']}/classification",
        {"offence_code": "44", "reason": "It was a pedal cycle"},
        content_type="application/json",
    )
    assert changed.status_code == 200 and changed.json()["police_uk_category"] == "bicycle-theft"

    unknown = api.post(
        f"/api/v1/crimes/{crime['id']}/outcome", {"outcome_type": 19}, content_type="application/json"
    )
    assert (unknown.status_code, unknown.json()["code"], unknown.json()["field"]) == (
        400,
        "unknown_outcome_type",
        "outcome_type",
    )
    done = api.post(
        f"/api/v1/crimes/{crime['id']}/outcome", {"outcome_type": 8}, content_type="application/json"
    )
    assert done.status_code == 200
    assert (done.json()["police_uk_outcome"], done.json()["investigation_status"]) == (
        "local-resolution",
        "finalised",
    )


def test_cancellation_through_the_api_is_for_the_registrar(handler, investigator, registrar) -> None:
    crime = (
        client_for(investigator)
        .post("/api/v1/crimes", body(crime_incident(handler)), content_type="application/json")
        .json()
    )
    payload = {"code": "C3", "reason": "Duplicate of the burglary recorded earlier under another number."}

    refused = client_for(investigator).post(
        f"/api/v1/crimes/{crime['id']}/cancellation", payload, content_type="application/json"
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "registrar_only")
    done = client_for(registrar).post(
        f"/api/v1/crimes/{crime['id']}/cancellation", payload, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["state"] == "cancelled"
    again = client_for(registrar).post(
        f"/api/v1/crimes/{crime['id']}/cancellation", payload, content_type="application/json"
    )
    assert (again.status_code, again.json()["code"]) == (409, "crime_not_live")


def test_non_crime_rationale_and_the_registrars_list(handler, supervisor, registrar, investigator) -> None:
    waiting = crime_incident(handler, opened_at=timezone.now() - timedelta(hours=30))
    decided = crime_incident(handler)
    path = f"/api/v1/incidents/{decided.pk}/non-crime-rationale"
    rationale = {"rationale": "The shed was left unlocked and nothing was taken: no offence took place."}

    refused = client_for(investigator).post(path, rationale, content_type="application/json")
    assert (refused.status_code, refused.json()["code"]) == (403, "rationale_not_authorised")
    short = client_for(supervisor).post(path, {"rationale": "none"}, content_type="application/json")
    assert (short.status_code, short.json()["field"]) == (400, "rationale")
    made = client_for(supervisor).post(path, rationale, content_type="application/json")
    assert made.status_code == 201 and NonCrimeRationale.objects.filter(incident=decided).exists()
    missing = client_for(supervisor).post(
        "/api/v1/incidents/987654/non-crime-rationale", rationale, content_type="application/json"
    )
    assert missing.status_code == 404

    api = client_for(registrar)
    listed = api.get("/api/v1/crimes/registrar/unresolved", {"purpose": "Crime recording audit"})
    assert listed.status_code == 200
    page = listed.json()
    assert page["total"] == 1 and page["results"][0]["incident_id"] == waiting.pk
    assert page["results"][0]["overdue"] is True and page["results"][0]["age_hours"] >= 30
    assert api.get("/api/v1/crimes/registrar/unresolved").json()["code"] == "purpose_required"
    assert (
        api.get("/api/v1/crimes/registrar/unresolved", {"purpose": "x", "clock": "late"}).json()["field"]
        == "clock"
    )
    assert (
        client_for(investigator).get("/api/v1/crimes/registrar/unresolved", {"purpose": "x"}).status_code
        == 403
    )


def test_the_compliance_figure(handler, investigator, registrar) -> None:
    client_for(investigator).post(
        "/api/v1/crimes", body(crime_incident(handler)), content_type="application/json"
    )

    figure = client_for(registrar).get("/api/v1/crimes/figures/compliance").json()

    assert (figure["crimes"], figure["within_24h"], figure["share"]) == (1, 1, 1.0)
    assert figure["weeks"][-1]["crimes"] == 1
    assert client_for(investigator).get("/api/v1/crimes/figures/compliance").status_code == 403
    bad = client_for(registrar).get(
        "/api/v1/crimes/figures/compliance", {"since": "2026-12-01", "until": "2026-11-01"}
    )
    assert (bad.status_code, bad.json()["field"]) == (400, "since")


def test_actions_are_owned_duties_completed_through_the_api(handler, investigator) -> None:
    api = client_for(investigator)
    crime = api.post("/api/v1/crimes", body(crime_incident(handler)), content_type="application/json").json()
    due = (timezone.now() + timedelta(days=3)).isoformat()

    made = api.post(
        f"/api/v1/crimes/{crime['id']}/actions",
        {"description": "Collect CCTV from the corner shop", "due_at": due},
        content_type="application/json",
    )
    assert made.status_code == 201
    duty = Duty.objects.get(kind="investigation_action")
    assert (duty.owner_user, duty.status) == (investigator, "open")
    action_id = int(duty.subject_id)
    done = api.post(
        f"/api/v1/crimes/{crime['id']}/actions/{action_id}/completion",
        {"result": "CCTV seized, exhibit AB/1"},
        content_type="application/json",
    )
    assert done.status_code == 200
    duty.refresh_from_db()
    assert duty.status == "discharged" and duty.discharge_note == "CCTV seized, exhibit AB/1"
