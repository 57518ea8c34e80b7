"""The registrar's audit view and the recording-compliance figure."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from iops.audit.models import AuditEntry
from iops.crimes import access, selectors, services
from iops.crimes.tests.factories import crime_incident
from iops.duties.models import Duty
from iops.duties.services import duties_sweep, duty_cancel
from iops.incidents import services as incident_services
from iops.platform.errors import PermissionRefused, PurposeRequired, ValidationFailed

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def test_the_audit_view_lists_undecided_crime_related_incidents_oldest_first_open_or_closed(
    handler, supervisor, investigator, registrar, response_team
) -> None:
    now = timezone.now()
    old = crime_incident(handler, opened_at=now - timedelta(days=3))
    closed = crime_incident(handler, opened_at=now - timedelta(hours=30))
    incident_services.incident_close(
        acting_user=handler,
        incident=closed,
        closing_category="CR-BURG-RES",
        closing_result="RESOLVED-ATTENDED",
        crime_report_needed=False,
    )
    fresh = crime_incident(handler, opened_at=now - timedelta(hours=2))
    recorded = crime_incident(handler, opened_at=now - timedelta(days=4))
    services.crime_record(
        acting_user=investigator, offence_code="28E", incidents=[recorded], committed_from=recorded.opened_at
    )
    decided = crime_incident(handler, opened_at=now - timedelta(days=5))
    services.non_crime_rationale_record(
        acting_user=supervisor, incident=decided, rationale="The caller was mistaken: the door was left open."
    )
    crime_incident(handler, category="PSW-CONCERN")  # not crime-related
    duties_sweep(now=now)

    rows = list(selectors.unresolved_incidents(now=now))

    assert [row.pk for row in rows] == [old.pk, closed.pk, fresh.pk]
    assert rows[0].decision_status == "open" and rows[0].decision_escalation > 0
    overdue = selectors.unresolved_incidents(selectors.UnresolvedFilter(clock="overdue"), now=now)
    assert list(overdue.values_list("pk", flat=True)) == [old.pk, closed.pk]
    closed_only = selectors.unresolved_incidents(
        selectors.UnresolvedFilter(incident_status="closed"), now=now
    )
    assert list(closed_only.values_list("pk", flat=True)) == [closed.pk]
    older = selectors.unresolved_incidents(selectors.UnresolvedFilter(older_than_hours=24), now=now)
    assert list(older.values_list("pk", flat=True)) == [old.pk, closed.pk]
    summary = selectors.unresolved_summary(now=now)
    assert (summary.count, summary.overdue, summary.escalated) == (3, 2, 2)
    assert summary.oldest_reported_at == old.opened_at
    assert selectors.age_text(summary.oldest_age) == "3 days"


def test_an_incident_whose_duty_was_cancelled_stays_on_the_audit_view(handler, registrar) -> None:
    incident = crime_incident(handler)
    duty = Duty.objects.get(subject_id=str(incident.pk), kind="crime_recording_decision")
    duty_cancel(
        duty=duty, acting_user=registrar, reason="Opened in error by the control room, says the caller"
    )

    row = selectors.unresolved_incidents(selectors.UnresolvedFilter(clock="no_duty")).get()
    assert row.pk == incident.pk and row.decision_status == "cancelled"


def test_the_audit_view_is_for_the_registrar_and_logs_what_was_shown(
    handler, registrar, investigator
) -> None:
    incident = crime_incident(handler)
    with pytest.raises(PermissionRefused):
        access.access_unresolved_incidents(investigator, selectors.UnresolvedFilter(), purpose="Curiosity")
    with pytest.raises(PurposeRequired):
        access.access_unresolved_incidents(registrar, selectors.UnresolvedFilter(), purpose="")
    with pytest.raises(ValidationFailed) as error:
        access.access_unresolved_incidents(
            registrar, selectors.UnresolvedFilter(clock="late"), purpose="Audit"
        )
    assert error.value.field == "clock"

    rows, total = access.access_unresolved_incidents(
        registrar, selectors.UnresolvedFilter(), purpose="Crime recording audit"
    )

    assert ([row.pk for row in rows], total) == ([incident.pk], 1)
    entry = AuditEntry.objects.get(operation="crimes.registrar_audit")
    assert entry.detail["incident_ids"] == [incident.pk] and entry.purpose == "Crime recording audit"


def test_the_audit_view_does_not_grow_queries_with_rows(handler, django_assert_max_num_queries) -> None:
    for hours in range(1, 30):
        crime_incident(handler, opened_at=timezone.now() - timedelta(hours=hours))
    with django_assert_max_num_queries(3):
        rows = list(selectors.unresolved_incidents())
        assert len(rows) == 29 and all(row.district is not None for row in rows)


def test_recording_compliance_is_the_share_recorded_within_24_hours_by_week(handler, investigator) -> None:
    monday = datetime(2026, 11, 9, 9, 0, tzinfo=LONDON)
    timings = [
        (monday, 2),  # week of 9 Nov: on time
        (monday + timedelta(days=1), 23.9),  # on time
        (monday + timedelta(days=2), 24.1),  # late
        (monday + timedelta(days=7), 30),  # week of 16 Nov: late
        (monday + timedelta(days=8), 1),  # on time
    ]
    for reported, hours in timings:
        incident = crime_incident(handler, opened_at=reported)
        services.crime_record(
            acting_user=None,
            offence_code="49",
            incidents=[incident],
            committed_from=reported,
            at=reported + timedelta(hours=hours),
        )

    figure = selectors.recording_compliance(
        since=monday - timedelta(days=7), until=monday + timedelta(days=14), now=monday + timedelta(days=14)
    )

    assert (figure.crimes, figure.within_24h, figure.share) == (5, 3, 0.6)
    assert [(week.week_start.isoformat(), week.crimes, week.within_24h) for week in figure.weeks] == [
        ("2026-11-09", 3, 2),
        ("2026-11-16", 2, 1),
    ]
    assert figure.weeks[1].share == 0.5
    empty = selectors.recording_compliance(
        since=monday - timedelta(days=30), until=monday - timedelta(days=20)
    )
    assert (empty.crimes, empty.share, empty.weeks) == (0, None, [])


def test_only_the_system_may_give_the_recording_time(handler, investigator) -> None:
    incident = crime_incident(handler, opened_at=timezone.now() - timedelta(hours=40))
    with pytest.raises(ValidationFailed) as error:
        services.crime_record(
            acting_user=investigator,
            offence_code="49",
            incidents=[incident],
            committed_from=incident.opened_at,
            at=incident.opened_at + timedelta(hours=1),
        )
    assert error.value.field == "at"
