"""The 24-hour clock and the rules of recording a crime: what a force crime registrar relies on."""

from __future__ import annotations

import csv
from datetime import timedelta
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from iops.audit.models import AuditEntry
from iops.crimes import codes, selectors, services
from iops.crimes.codes import UnknownOffenceCode
from iops.crimes.errors import RegistrarOnly
from iops.crimes.models import Crime
from iops.crimes.tests.factories import crime_incident
from iops.duties.choices import DutyStatus, EscalationLevel
from iops.duties.models import Duty
from iops.duties.services import duties_sweep
from iops.incidents import services as incident_services
from iops.platform.errors import PermissionRefused, ValidationFailed

pytestmark = pytest.mark.django_db


def decision(incident: Any) -> Duty:
    return Duty.objects.get(kind="crime_recording_decision", subject_id=str(incident.pk))


def unresolved_ids(now: Any = None) -> set[int]:
    return set(selectors.unresolved_incidents(now=now).values_list("pk", flat=True))


def test_a_flagged_incident_with_no_crime_after_24_hours_is_overdue_and_escalated_then_recording_discharges_it(
    handler, officer, response_team, supervisor, investigator
) -> None:
    reported = timezone.now() - timedelta(hours=2)
    incident = incident_services.incident_create(
        acting_user=handler,
        opening_category="PSW-CONCERN",
        summary="Neighbour says the house was broken into",
        location_text="Behind the library",
        opened_at=reported,
    )
    assert not Duty.objects.exists()
    incident_services.incident_flag_crime_related(acting_user=officer, incident=incident)
    duty = decision(incident)
    assert (duty.status, duty.due_at) == (DutyStatus.OPEN, reported + timedelta(hours=24))

    later = reported + timedelta(hours=25)
    duties_sweep(now=later)

    duty.refresh_from_db()
    assert duty.is_overdue(later)
    assert duty.escalation_level == EscalationLevel.SUPERVISOR and duty.escalated_to == supervisor
    row = selectors.unresolved_incidents(selectors.UnresolvedFilter(clock="escalated"), now=later).get()
    assert row.pk == incident.pk and row.decision_due_at <= later
    assert incident.pk in set(
        selectors.unresolved_incidents(selectors.UnresolvedFilter(clock="overdue"), now=later).values_list(
            "pk", flat=True
        )
    )

    crime = services.crime_record(
        acting_user=investigator,
        offence_code="28E",
        incidents=[incident],
        committed_from=reported - timedelta(hours=3),
    )

    duty.refresh_from_db()
    assert duty.status == DutyStatus.DISCHARGED
    assert duty.discharged_by == investigator
    assert crime.number in duty.discharge_note
    assert incident.pk not in unresolved_ids(later)
    assert crime.reported_at == reported
    assert crime.police_uk_category == "burglary"


def test_a_duty_cannot_be_deleted(handler) -> None:
    incident = crime_incident(handler)
    duty = decision(incident)

    with pytest.raises(PermissionRefused):
        duty.delete()
    with pytest.raises(PermissionRefused):
        Duty.objects.filter(pk=duty.pk).delete()
    with (
        pytest.raises(DatabaseError, match="cannot be deleted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM duties_duty WHERE id = %s", [duty.pk])

    assert Duty.objects.filter(pk=duty.pk, status=DutyStatus.OPEN).exists()
    assert incident.pk in unresolved_ids()


def test_cancellation_needs_a_reason_and_the_registrar(handler, investigator, supervisor, registrar) -> None:
    incident = crime_incident(handler)
    crime = services.crime_record(
        acting_user=investigator,
        offence_code="58A",
        incidents=[incident],
        committed_from=incident.opened_at - timedelta(hours=1),
    )
    reason = "The owner found the window was broken by the storm, not by anyone: CCTV confirms it."

    for someone in (investigator, supervisor):
        with pytest.raises(RegistrarOnly):
            services.crime_cancel(acting_user=someone, crime=crime, code="C2", reason=reason)
    with pytest.raises(RegistrarOnly):
        services.crime_cancel(acting_user=None, crime=crime, code="C2", reason=reason)  # type: ignore[arg-type]
    for code, text, field in [
        ("C2", "", "reason"),
        ("C2", "no crime", "reason"),
        ("", reason, "code"),
        ("C9", reason, "recording_code"),
        ("N100", reason, "code"),
        ("C1", reason, "code"),
    ]:
        with pytest.raises(ValidationFailed) as error:
            services.crime_cancel(acting_user=registrar, crime=crime, code=code, reason=text)
        assert error.value.field == field, (code, text)
    crime.refresh_from_db()
    assert crime.state == "recorded"

    services.crime_cancel(acting_user=registrar, crime=crime, code="C2", reason=reason)

    crime.refresh_from_db()
    assert (crime.state, crime.cancellation_code, crime.cancelled_by) == ("cancelled", "C2", registrar)
    assert crime.cancellation_reason == reason
    assert AuditEntry.objects.filter(
        operation="crimes.cancel", record_id=str(crime.pk), actor=registrar
    ).exists()
    # The incident was decided (a crime was recorded, then cancelled on recorded grounds).
    assert incident.pk not in unresolved_ids()


def test_every_offence_code_maps_to_exactly_one_police_uk_category() -> None:
    fourteen = {category.slug for category in codes.police_uk_categories()}
    path = codes.locate("iops.crimes", "offences.csv")
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    mapped: dict[str, set[str]] = {}
    for row in csv.DictReader(lines):
        mapped.setdefault(row["code"].strip().upper(), set()).add(row["police_uk"].strip())

    assert len(fourteen) == 14
    assert mapped and all(len(categories) == 1 for categories in mapped.values())
    for code, (category,) in mapped.items():
        assert category in fourteen, code
        assert codes.police_uk_category(code).slug == category


def test_every_offence_code_is_stored_with_its_category_when_recorded(handler, investigator) -> None:
    incident = crime_incident(handler)
    for offence in list(codes.offences())[:: max(1, len(codes.offences()) // 12)]:
        crime = services.crime_record(
            acting_user=investigator,
            offence_code=offence.code.lower(),
            incidents=[incident],
            committed_from=incident.opened_at,
        )
        assert (crime.offence_code, crime.police_uk_category) == (
            offence.code,
            offence.police_uk_category.slug,
        )


@pytest.mark.parametrize("code", ["8Z", "", "murder", "N100", "C2"])
def test_an_unknown_offence_code_is_refused_and_nothing_is_written(handler, investigator, code) -> None:
    incident = crime_incident(handler)
    entries = AuditEntry.objects.count()

    with pytest.raises(UnknownOffenceCode) as error:
        services.crime_record(
            acting_user=investigator,
            offence_code=code,
            incidents=[incident],
            committed_from=incident.opened_at,
        )

    assert error.value.field == "offence_code"
    assert not Crime.objects.exists()
    assert decision(incident).status == DutyStatus.OPEN
    assert AuditEntry.objects.count() == entries
    assert incident.pk in unresolved_ids()
