"""Calls and incidents: the rules a control room relies on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from iops.duties.choices import Risk
from iops.duties.models import Duty
from iops.incidents import services
from iops.incidents.errors import ClosingCategoryRequired, GradingRequiresThrive
from iops.incidents.models import Call, Incident, IncidentLogEntry
from iops.incidents.tests.factories import address_in, beat, control_room_user
from iops.platform.errors import ValidationFailed

pytestmark = pytest.mark.django_db

THRIVE = {
    "threat": "Ex-partner at the door shouting threats",
    "harm": "Risk of assault; caller frightened",
    "risk": "High: history of violence",
    "investigation": "Possible breach of a non-molestation order",
    "vulnerability": "Caller alone with two children",
    "engagement": "Caller engaging, wants police now",
}
AML = 'A"ML=1;lt=+53.47001;lg=-2.25002;rd=25;top=20261122101500;lc=68;pm=G;si=234302543446355;ei=356708041746734;mcc=234;mnc=30;ml=127'


@pytest.fixture
def handler():
    return control_room_user("handler")


@pytest.fixture
def place():
    area = beat()
    return {"beat": area, "address": address_in(area)}


def test_a_999_call_with_aml_records_position_radius_and_answer_time(handler, place) -> None:
    connected = timezone.now() - timedelta(seconds=8)
    call = services.call_create(
        acting_user=handler,
        channel="999",
        connected_at=connected,
        answered_at=connected + timedelta(seconds=6),
        aml_message=AML,
    )
    assert (call.latitude, call.longitude, call.radius_m) == (53.47001, -2.25002, 25)
    assert call.location_source == "aml"
    assert call.answer_seconds == 6
    assert call.aml_method == "G"


def test_a_malformed_aml_message_is_a_field_error_and_nothing_is_written(handler) -> None:
    with pytest.raises(ValidationFailed) as error:
        services.call_create(acting_user=handler, channel="999", aml_message='A"ML=1;lt=+95.0;lg=-2.2')
    assert error.value.field == "aml_message"
    assert "lt: latitude 95.0 is out of range" in error.value.message
    assert not Call.objects.exists()


def test_a_call_cannot_be_answered_before_it_connected(handler) -> None:
    now = timezone.now()
    with pytest.raises(ValidationFailed) as error:
        services.call_create(
            acting_user=handler, channel="101", connected_at=now, answered_at=now - timedelta(seconds=1)
        )
    assert error.value.field == "answered_at"


def test_incident_from_a_call_takes_its_time_place_and_beat(handler, place) -> None:
    connected = timezone.now() - timedelta(minutes=2)
    call = services.call_create(
        acting_user=handler, channel="999", connected_at=connected, address=place["address"]
    )
    incident = services.incident_create(acting_user=handler, opening_category="PSW-CONCERN", call=call)
    assert incident.opened_at == connected
    assert (incident.address, incident.beat, incident.district) == (
        place["address"],
        place["beat"],
        place["beat"].district,
    )
    call.refresh_from_db()
    assert call.incident == incident
    with pytest.raises(ValidationFailed, match="already linked"):
        services.incident_create(acting_user=handler, opening_category="PSW-CONCERN", call=call)


def test_unknown_category_and_missing_location_are_field_errors(handler) -> None:
    with pytest.raises(ValidationFailed):
        services.incident_create(acting_user=handler, opening_category="NOPE", location_text="park")
    with pytest.raises(ValidationFailed) as error:
        services.incident_create(acting_user=handler, opening_category="PSW-CONCERN")
    assert error.value.field == "location"
    assert not Incident.objects.exists()


def test_grading_needs_thrive_first(handler, place) -> None:
    incident = services.incident_create(
        acting_user=handler, opening_category="PSW-CONCERN", address=place["address"]
    )
    with pytest.raises(GradingRequiresThrive) as error:
        services.incident_grade(acting_user=handler, incident=incident, grade="emergency")
    assert (error.value.code, error.value.field) == ("thrive_required", "thrive")
    incident.refresh_from_db()
    assert incident.grade == ""


def test_every_thrive_part_is_required(handler, place) -> None:
    incident = services.incident_create(
        acting_user=handler, opening_category="PSW-CONCERN", address=place["address"]
    )
    with pytest.raises(ValidationFailed) as error:
        services.thrive_record(acting_user=handler, incident=incident, **{**THRIVE, "engagement": " "})
    assert error.value.field == "engagement"


@pytest.mark.parametrize(("rural", "minutes"), [(False, 15), (True, 20)])
def test_emergency_grade_sets_the_attendance_clock(handler, rural: bool, minutes: int) -> None:
    area = beat(rural=rural, code="R" if rural else "U")
    incident = services.incident_create(
        acting_user=handler, opening_category="PSW-CONCERN", address=address_in(area)
    )
    services.thrive_record(acting_user=handler, incident=incident, **THRIVE)
    services.incident_grade(acting_user=handler, incident=incident, grade="emergency")
    assert incident.attendance_due_at - incident.opened_at == timedelta(minutes=minutes)


def test_regrades_and_reassessments_are_versioned_with_who(handler, place) -> None:
    supervisor = control_room_user("sgt", "supervisor")
    incident = services.incident_create(
        acting_user=handler, opening_category="PSW-CONCERN", address=place["address"]
    )
    services.thrive_record(acting_user=handler, incident=incident, **THRIVE)
    services.incident_grade(acting_user=handler, incident=incident, grade="priority")
    with pytest.raises(ValidationFailed) as error:
        services.incident_grade(acting_user=supervisor, incident=incident, grade="emergency")
    assert error.value.field == "reason"
    services.thrive_record(
        acting_user=supervisor, incident=incident, **{**THRIVE, "risk": "Now armed with a knife"}
    )
    services.incident_grade(
        acting_user=supervisor, incident=incident, grade="emergency", reason="Knife now mentioned"
    )
    decisions = list(
        incident.grade_decisions.values_list(
            "version", "grade", "previous_grade", "thrive_version", "decided_by__username"
        )
    )
    assert decisions == [(1, "priority", "", 1, "handler"), (2, "emergency", "priority", 2, "sgt")]


def test_closing_needs_a_closing_category_and_result(handler, place) -> None:
    incident = services.incident_create(
        acting_user=handler, opening_category="PSW-CONCERN", address=place["address"]
    )
    with pytest.raises(ClosingCategoryRequired):
        services.incident_close(
            acting_user=handler, incident=incident, closing_category="", closing_result="ADVICE"
        )
    with pytest.raises(ValidationFailed) as error:
        services.incident_close(
            acting_user=handler, incident=incident, closing_category="PSW-CONCERN", closing_result=""
        )
    assert error.value.field == "closing_result"
    incident.refresh_from_db()
    assert incident.is_open


def test_crime_category_opens_one_24_hour_decision_with_domestic_tag(handler, place) -> None:
    incident = services.incident_create(
        acting_user=handler, opening_category="CR-VIOL", qualifiers=["DOMESTIC"], address=place["address"]
    )
    duty = Duty.objects.get(kind="crime_recording_decision")
    assert duty.due_at == incident.opened_at + timedelta(hours=24)
    assert (duty.risk, duty.tags, duty.owner_team.code) == (Risk.HIGH, ["domestic_abuse"], "D1-RESP")
    services.incident_flag_crime_related(acting_user=handler, incident=incident)
    with pytest.raises(ValidationFailed) as error:
        services.incident_close(
            acting_user=handler,
            incident=incident,
            closing_category="CR-VIOL",
            closing_result="RESOLVED-ATTENDED",
        )
    assert error.value.field == "crime_report_needed"
    services.incident_close(
        acting_user=handler,
        incident=incident,
        closing_category="CR-VIOL",
        closing_result="RESOLVED-ATTENDED",
        crime_report_needed=True,
    )
    assert Duty.objects.filter(kind="crime_recording_decision").count() == 1
    assert (
        Duty.objects.get(kind="crime_recording_decision").status == "open"
    )  # only a crime or rationale ends it


def test_closing_as_crime_related_opens_the_decision_dated_from_the_report(handler, place) -> None:
    reported = timezone.now() - timedelta(hours=30)
    incident = services.incident_create(
        acting_user=handler, opening_category="PSW-CONCERN", address=place["address"], opened_at=reported
    )
    assert not Duty.objects.exists()
    services.incident_close(
        acting_user=handler,
        incident=incident,
        closing_category="CR-DAM",
        closing_result="RESOLVED-ATTENDED",
        crime_report_needed=True,
    )
    duty = Duty.objects.get(kind="crime_recording_decision")
    assert duty.due_at == reported + timedelta(hours=24)
    assert duty.is_overdue()


def test_the_log_is_append_only(handler, place) -> None:
    incident = services.incident_create(
        acting_user=handler, opening_category="PSW-CONCERN", address=place["address"]
    )
    entry = services.incident_log_add(
        acting_user=handler, incident=incident, text="Caller rang back: all quiet"
    )
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE incidents_incidentlogentry SET text = 'x' WHERE id = %s", [entry.pk])
    assert IncidentLogEntry.objects.get(pk=entry.pk).text == "Caller rang back: all quiet"


def test_arrival_stops_the_clock_once(handler, place) -> None:
    incident = services.incident_create(
        acting_user=handler, opening_category="PSW-CONCERN", address=place["address"]
    )
    first = timezone.now()
    services.incident_record_arrival(incident=incident, at=first)
    services.incident_record_arrival(incident=incident, at=first + timedelta(minutes=3))
    incident.refresh_from_db()
    assert incident.first_arrived_at == first


FAIL_AUDIT_TRIGGER = """
CREATE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit store unavailable (test)'; END $$;
CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_auditentry
  FOR EACH ROW WHEN (NEW.operation = 'incidents.incident_create') EXECUTE FUNCTION test_refuse_audit();
"""


@pytest.mark.django_db(transaction=True)
def test_a_call_taken_is_written_whole_or_not_at_all(handler, place) -> None:
    """Taking a call writes the call, incident, THRIVE, grade, log, duty and audit entries together:
    if the database refuses the last of them, none is there (no incident without its audit entry)."""
    from iops.audit.models import AuditEntry
    from iops.duties.models import DutyEvent
    from iops.incidents.models import GradeDecision, ThriveAssessment

    def take() -> services.CallTaken:
        return services.call_take(
            acting_user=handler,
            call=services.CallDetails(channel="999", aml_message=AML, caller_name="Synthetic Caller"),
            opening_category="CR-VIOL",
            qualifiers=["DOMESTIC"],
            summary="Ex-partner at the door",
            thrive=services.ThriveAnswers(**THRIVE),
            grade="emergency",
        )

    counted = (Incident, Call, ThriveAssessment, GradeDecision, IncidentLogEntry, Duty, DutyEvent, AuditEntry)
    before = {model: model.objects.count() for model in counted}
    with connection.cursor() as cursor:
        cursor.execute(FAIL_AUDIT_TRIGGER)
    try:
        with pytest.raises(DatabaseError, match="audit store unavailable"):
            take()
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "DROP TRIGGER test_refuse_audit ON audit_auditentry; DROP FUNCTION test_refuse_audit()"
            )
    assert {model: model.objects.count() for model in counted} == before

    taken = take()
    incident = Incident.objects.get(pk=taken.incident.pk)
    assert incident.grade == "emergency" and incident.thrive_version == 1
    assert incident.attendance_due_at == incident.opened_at + timedelta(minutes=15)
    assert Call.objects.get(pk=taken.call.pk).incident_id == incident.pk
    assert ThriveAssessment.objects.get(incident=incident).threat == THRIVE["threat"]
    assert GradeDecision.objects.get(incident=incident).grade == "emergency"
    opened, assessed, graded = (
        IncidentLogEntry.objects.filter(incident=incident).order_by("id").values_list("text", flat=True)
    )
    assert opened.startswith("Opened as") and "Domestic" in opened and "999" in opened
    assert assessed == "THRIVE assessed (version 1)."
    assert graded.startswith("Graded Emergency; attend by")
    duty = Duty.objects.get(subject_id=str(incident.pk), kind="crime_recording_decision")
    assert duty.due_at == incident.opened_at + timedelta(hours=24)
    assert "domestic_abuse" in duty.tags and duty.risk == Risk.HIGH
    assert DutyEvent.objects.filter(duty=duty, kind="opened").count() == 1
    operations = set(
        AuditEntry.objects.filter(record_id__in=[str(incident.pk), str(taken.call.pk)]).values_list(
            "operation", flat=True
        )
    )
    assert {"incidents.incident_create", "incidents.call_create"} <= operations
