"""Figures for command on a constructed day: the share of 999 calls answered within 10 seconds and
the share of incidents attended within their grade's target."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from iops.dispatch import figures
from iops.dispatch.tests import factories
from iops.incidents import services as incident_services
from iops.platform.errors import PermissionRefused, ValidationFailed

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def command():
    return factories.user("inspector", "command")


@pytest.fixture
def handler():
    return factories.user("handler", "call_handler")


def _call(handler, connected: datetime, answer_seconds: float | None, channel: str = "999") -> None:
    incident_services.call_create(
        acting_user=handler,
        channel=channel,
        connected_at=connected,
        answered_at=connected + timedelta(seconds=answer_seconds) if answer_seconds is not None else None,
        location_text="Somewhere in Northam",
    )


def test_the_share_of_999_calls_answered_within_10_seconds_per_hour(command, handler) -> None:
    base = (
        (timezone.now() - timedelta(days=1))
        .astimezone(LONDON)
        .replace(hour=9, minute=0, second=0, microsecond=0)
    )
    for seconds in (3, 5, 9.5, 10, 11, 30, 59, 61):
        _call(handler, base + timedelta(minutes=5), seconds)
    _call(handler, base + timedelta(minutes=6), None)  # abandoned
    _call(handler, base + timedelta(minutes=7), 45, channel="101")  # not a 999 call
    _call(handler, base + timedelta(hours=1, minutes=1), 2)
    chosen = figures.figure_range(start=base, end=base + timedelta(hours=3), bucket="hour")
    found = figures.call_answer_figures(command, chosen)
    assert [p.start for p in found.periods] == [base + timedelta(hours=h) for h in range(3)]
    nine, ten, eleven = found.periods
    assert (nine.calls, nine.answered, nine.unanswered) == (9, 8, 1)
    assert (nine.within_target, nine.between, nine.slow) == (4, 3, 1)
    assert nine.percent_within_target == 50.0
    assert (ten.calls, ten.percent_within_target) == (1, 100.0)
    assert (eleven.calls, eleven.percent_within_target) == (0, None)
    assert found.total.percent_within_target == pytest.approx(55.6)
    assert found.meets_aim is False


def test_attendance_within_target_by_grade_counts_met_missed_and_pending(command, handler) -> None:
    now = timezone.now()

    def emergency(opened_minutes_ago: float, arrived_after: float | None, grade: str = "emergency"):
        incident = factories.incident(handler, grade=grade, opened_minutes_ago=opened_minutes_ago)
        if arrived_after is not None:
            incident_services.incident_record_arrival(
                incident=incident, at=incident.opened_at + timedelta(minutes=arrived_after)
            )
        return incident

    emergency(120, 8)  # met
    emergency(110, 14)  # met
    emergency(100, 25)  # missed: late
    emergency(90, None)  # missed: never attended, target passed
    emergency(5, None)  # pending: clock still running
    emergency(100, 50, grade="priority")  # met within the hour
    chosen = figures.figure_range(
        start=now - timedelta(hours=3), end=now + timedelta(minutes=1), bucket="day"
    )
    found = figures.attendance_figures(command, chosen, now=now)
    assert [code for code, _ in found.grades] == ["emergency", "priority"]
    total = found.totals["emergency"]
    assert (total.incidents, total.met, total.missed, total.pending) == (5, 2, 2, 1)
    assert total.percent_met == 50.0
    assert total.mean_seconds == pytest.approx((8 + 14 + 25) / 3 * 60, abs=1)
    assert found.totals["priority"].percent_met == 100.0
    assert sum(period.by_grade["emergency"].incidents for period in found.periods) == 5


def test_days_and_weeks_start_at_local_midnight_and_on_monday() -> None:
    # 29 March 2026: the clocks go forward, so that day is 23 hours long.
    chosen = figures.figure_range(
        start=datetime(2026, 3, 28).date(), end=datetime(2026, 3, 30).date(), bucket="day"
    )
    starts = list(chosen.periods())
    assert [s.astimezone(LONDON).strftime("%d %H:%M") for s in starts] == ["28 00:00", "29 00:00", "30 00:00"]
    assert starts[2].astimezone(UTC) - starts[1].astimezone(UTC) == timedelta(hours=23)
    weekly = figures.figure_range(
        start=datetime(2026, 3, 25).date(), end=datetime(2026, 4, 2).date(), bucket="week"
    )
    assert [s.astimezone(LONDON).strftime("%a %d") for s in weekly.periods()] == ["Mon 23", "Mon 30"]


def test_ranges_are_checked() -> None:
    with pytest.raises(ValidationFailed) as error:
        figures.figure_range(bucket="fortnight")
    assert error.value.field == "bucket"
    today = timezone.localdate()
    with pytest.raises(ValidationFailed) as error:
        figures.figure_range(start=today, end=today - timedelta(days=2), bucket="day")
    assert error.value.field == "start"
    with pytest.raises(ValidationFailed) as error:
        figures.figure_range(start=today - timedelta(days=400), end=today, bucket="hour")
    assert error.value.field == "bucket"


def test_figures_need_the_permission(handler) -> None:
    with pytest.raises(PermissionRefused):
        figures.call_answer_figures(factories.user("pc", "response_officer"), figures.figure_range())
