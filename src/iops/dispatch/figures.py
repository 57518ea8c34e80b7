"""Figures for command: how fast 999 calls are answered, and how often units attend within target.

* **999 answering.** The share of 999 calls answered within 10 seconds of reaching the control room
  (``Call.connected_at`` to ``answered_at``), against the national aim of 90%. As in the Home
  Office's published 999 data, the share is of calls answered, shown with the bands 10-60 s and
  60 s or more; calls never answered (abandoned) are counted beside it, not hidden.
* **Attendance.** For incidents whose grade has a target (``Incident.attendance_due_at``), the share
  attended within it (first arrival no later than the due time), by grade. An incident not yet
  attended is *pending* while its clock runs and *missed* once it has passed; the share is of
  incidents decided (met or missed), so an evening's figures do not improve by waiting.

Both are counted per hour, day or week over a chosen range, in the force's time zone (days and
weeks start at local midnight, weeks on Monday; hours are counted in UTC, then labelled in local
time, so the repeated hour when the clocks go back is two hours, not one), in one grouped query each.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import Trunc
from django.utils import timezone

from iops.accounts.models import User
from iops.audit.permissions import check_permission
from iops.incidents import codes
from iops.incidents.choices import Channel
from iops.incidents.models import Call, Incident
from iops.platform.errors import ValidationFailed

ANSWER_TARGET_SECONDS = 10
ANSWER_AIM_PERCENT = 90.0
SLOW_ANSWER_SECONDS = 60
BUCKETS = ("hour", "day", "week")
DEFAULT_SPAN = {"hour": timedelta(hours=24), "day": timedelta(days=7), "week": timedelta(weeks=8)}
MAX_PERIODS = 800


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _percent(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100.0 * part / whole, 1)


@dataclass(frozen=True)
class FigureRange:
    """Whole periods from ``start`` (inclusive) to ``end`` (exclusive), of one bucket size."""

    start: datetime
    end: datetime
    bucket: str

    def periods(self) -> Iterator[datetime]:
        current = self.start
        while current < self.end:
            yield current
            current = _next(current, self.bucket)


def _floor(moment: datetime, bucket: str) -> datetime:
    if bucket == "hour":
        return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    local = moment.astimezone(_zone()).date()
    if bucket == "week":
        local -= timedelta(days=local.weekday())
    return datetime.combine(local, time.min, tzinfo=_zone())


def _next(moment: datetime, bucket: str) -> datetime:
    if bucket == "hour":
        return moment + timedelta(hours=1)
    days = 7 if bucket == "week" else 1
    local = moment.astimezone(_zone()).date() + timedelta(days=days)
    return datetime.combine(local, time.min, tzinfo=_zone())


def _moment(value: date | datetime, *, field: str) -> datetime:
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            return value.replace(tzinfo=_zone())
        return value
    return datetime.combine(value, time.min, tzinfo=_zone())


def figure_range(
    *,
    start: date | datetime | None = None,
    end: date | datetime | None = None,
    bucket: str = "hour",
    now: datetime | None = None,
) -> FigureRange:
    """Check and round a range: a date means that day's local midnight; ``end`` is exclusive, and a
    date ``end`` includes that whole day. Without a range, the last day, week or eight weeks."""
    if bucket not in BUCKETS:
        raise ValidationFailed(f"bucket must be one of {', '.join(BUCKETS)}.", field="bucket")
    at = now or timezone.now()
    if end is None:
        finish = _next(_floor(at, bucket), bucket)
    elif isinstance(end, datetime):
        finish = _moment(end, field="end")
    else:
        finish = _moment(end + timedelta(days=1), field="end")
    begin = _moment(start, field="start") if start is not None else finish - DEFAULT_SPAN[bucket]
    if begin >= finish:
        raise ValidationFailed("The start must be before the end.", field="start")
    begin = _floor(begin, bucket)
    if finish != _floor(finish, bucket):
        finish = _next(_floor(finish, bucket), bucket)
    chosen = FigureRange(begin, finish, bucket)
    count = sum(1 for _ in chosen.periods())
    if count > MAX_PERIODS:
        raise ValidationFailed(
            f"That is {count} {bucket}s; ask for at most {MAX_PERIODS} (a longer range by day or week).",
            field="bucket",
        )
    return chosen


def _trunc(field_name: str, bucket: str) -> Trunc:
    return Trunc(field_name, bucket, tzinfo=UTC if bucket == "hour" else _zone())


def _key(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


# --- 999 answering -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallPeriod:
    start: datetime
    calls: int
    answered: int
    within_target: int
    within_minute: int

    @property
    def unanswered(self) -> int:
        return self.calls - self.answered

    @property
    def slow(self) -> int:
        return self.answered - self.within_minute

    @property
    def between(self) -> int:
        return self.within_minute - self.within_target

    @property
    def percent_within_target(self) -> float | None:
        return _percent(self.within_target, self.answered)


@dataclass(frozen=True)
class CallFigures:
    range: FigureRange
    periods: list[CallPeriod]
    total: CallPeriod
    target_seconds: int = ANSWER_TARGET_SECONDS
    aim_percent: float = ANSWER_AIM_PERCENT

    @property
    def meets_aim(self) -> bool | None:
        percent = self.total.percent_within_target
        return None if percent is None else percent >= self.aim_percent


def call_answer_figures(user: User, chosen: FigureRange) -> CallFigures:
    """999 calls per period: how many, how many answered, and how many within 10 s and within 60 s."""
    check_permission(user, "dispatch.view_figures")
    rows = (
        Call.objects.filter(
            channel=Channel.EMERGENCY, connected_at__gte=chosen.start, connected_at__lt=chosen.end
        )
        .annotate(period=_trunc("connected_at", chosen.bucket))
        .values("period")
        .annotate(
            calls=Count("pk"),
            answered=Count("pk", filter=Q(answered_at__isnull=False)),
            within=Count(
                "pk", filter=Q(answered_at__lte=F("connected_at") + timedelta(seconds=ANSWER_TARGET_SECONDS))
            ),
            minute=Count(
                "pk", filter=Q(answered_at__lte=F("connected_at") + timedelta(seconds=SLOW_ANSWER_SECONDS))
            ),
        )
        .order_by("period")
    )
    found = {_key(row["period"]): row for row in rows}
    periods = []
    for start in chosen.periods():
        row = found.get(_key(start), {})
        periods.append(
            CallPeriod(
                start=start,
                calls=row.get("calls", 0),
                answered=row.get("answered", 0),
                within_target=row.get("within", 0),
                within_minute=row.get("minute", 0),
            )
        )
    total = CallPeriod(
        start=chosen.start,
        calls=sum(p.calls for p in periods),
        answered=sum(p.answered for p in periods),
        within_target=sum(p.within_target for p in periods),
        within_minute=sum(p.within_minute for p in periods),
    )
    return CallFigures(range=chosen, periods=periods, total=total)


# --- attendance ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceCell:
    incidents: int = 0
    met: int = 0
    missed: int = 0
    pending: int = 0
    mean_seconds: float | None = None

    @property
    def decided(self) -> int:
        return self.met + self.missed

    @property
    def percent_met(self) -> float | None:
        return _percent(self.met, self.decided)


@dataclass(frozen=True)
class AttendancePeriod:
    start: datetime
    by_grade: dict[str, AttendanceCell]


@dataclass(frozen=True)
class AttendanceFigures:
    range: FigureRange
    grades: list[tuple[str, str]]
    periods: list[AttendancePeriod]
    totals: dict[str, AttendanceCell] = field(default_factory=dict)


@dataclass
class _Sums:
    incidents: int = 0
    met: int = 0
    missed: int = 0
    pending: int = 0
    arrived: int = 0
    seconds: float = 0.0

    def add(self, cell: AttendanceCell, arrived: int) -> None:
        self.incidents += cell.incidents
        self.met += cell.met
        self.missed += cell.missed
        self.pending += cell.pending
        if cell.mean_seconds is not None:
            # Each period's mean weighted by the arrivals it averaged over gives the overall mean.
            self.arrived += arrived
            self.seconds += cell.mean_seconds * arrived

    def cell(self) -> AttendanceCell:
        return AttendanceCell(
            incidents=self.incidents,
            met=self.met,
            missed=self.missed,
            pending=self.pending,
            mean_seconds=self.seconds / self.arrived if self.arrived else None,
        )


def _graded_with_targets() -> list[tuple[str, str]]:
    return [
        (grade.code, grade.name)
        for grade in codes.grades()
        if grade.urban_minutes is not None or grade.rural_minutes is not None
    ]


def attendance_figures(user: User, chosen: FigureRange, *, now: datetime | None = None) -> AttendanceFigures:
    """Incidents with an attendance target, per period of report and grade: met, missed, pending."""
    check_permission(user, "dispatch.view_figures")
    at = now or timezone.now()
    grades = _graded_with_targets()
    codes_with_targets = [code for code, _ in grades]
    late = Q(first_arrived_at__gt=F("attendance_due_at")) | Q(
        first_arrived_at__isnull=True, attendance_due_at__lt=at
    )
    rows = (
        Incident.objects.filter(
            opened_at__gte=chosen.start,
            opened_at__lt=chosen.end,
            attendance_due_at__isnull=False,
            grade__in=codes_with_targets,
        )
        .annotate(period=_trunc("opened_at", chosen.bucket))
        .values("period", "grade")
        .annotate(
            incidents=Count("pk"),
            met=Count("pk", filter=Q(first_arrived_at__lte=F("attendance_due_at"))),
            missed=Count("pk", filter=late),
            arrived=Count("pk", filter=Q(first_arrived_at__isnull=False)),
            mean=Avg(
                ExpressionWrapper(F("first_arrived_at") - F("opened_at"), output_field=DurationField()),
                filter=Q(first_arrived_at__isnull=False),
            ),
        )
        .order_by("period", "grade")
    )
    found: dict[tuple[datetime, str], AttendanceCell] = {}
    sums = {code: _Sums() for code in codes_with_targets}
    for row in rows:
        mean: timedelta | None = row["mean"]
        cell = AttendanceCell(
            incidents=row["incidents"],
            met=row["met"],
            missed=row["missed"],
            pending=row["incidents"] - row["met"] - row["missed"],
            mean_seconds=mean.total_seconds() if mean is not None else None,
        )
        found[(_key(row["period"]), row["grade"])] = cell
        sums[row["grade"]].add(cell, row["arrived"])
    periods = [
        AttendancePeriod(
            start=start,
            by_grade={code: found.get((_key(start), code), AttendanceCell()) for code in codes_with_targets},
        )
        for start in chosen.periods()
    ]
    totals = {code: total.cell() for code, total in sums.items()}
    return AttendanceFigures(range=chosen, grades=grades, periods=periods, totals=totals)
