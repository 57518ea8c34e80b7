"""Reads of duties: a person's own work, team queues, the command queue and backlog figures.

Every queue is a query over open duties, most urgent first: overdue before due, then higher risk,
then the earliest due. The figures for dashboards are grouped counts on indexed columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Case, Count, IntegerField, Min, Q, QuerySet, Value, When
from django.utils import timezone

from iops.accounts.models import Team, User
from iops.duties.choices import AgeBand, DutyStatus, EscalationLevel
from iops.duties.models import Duty

AGE_BANDS: list[tuple[str, timedelta | None]] = [
    (AgeBand.UNDER_DAY, timedelta(days=1)),
    (AgeBand.ONE_TO_SEVEN, timedelta(days=7)),
    (AgeBand.ONE_TO_FOUR_WEEKS, timedelta(days=28)),
    (AgeBand.OVER_FOUR_WEEKS, None),
]


def _related(queryset: QuerySet[Duty]) -> QuerySet[Duty]:
    return queryset.select_related("owner_user", "owner_team", "escalated_to", "subject_type")


def most_urgent_first(queryset: QuerySet[Duty], now: datetime | None = None) -> QuerySet[Duty]:
    moment = now or timezone.now()
    return queryset.annotate(
        overdue_rank=Case(
            When(due_at__lte=moment, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    ).order_by("overdue_rank", "risk_rank", "due_at", "id")


def duties_for_user(user: User, *, now: datetime | None = None) -> QuerySet[Duty]:
    """Open duties that are this person's: theirs, escalated to them, or their team's unassigned ones."""
    mine = Q(owner_user=user) | Q(escalated_to=user, escalation_level=EscalationLevel.SUPERVISOR)
    if user.team_id:
        mine |= Q(owner_team_id=user.team_id, owner_user__isnull=True)
    return most_urgent_first(_related(Duty.objects.filter(mine, status=DutyStatus.OPEN)), now)


def team_queue(team: Team, *, now: datetime | None = None) -> QuerySet[Duty]:
    """Open duties of a team: owned by the team or by any of its members."""
    return most_urgent_first(
        _related(Duty.objects.filter(Q(owner_team=team) | Q(owner_user__team=team), status=DutyStatus.OPEN)),
        now,
    )


def teams_supervised_by(user: User) -> QuerySet[Team]:
    return Team.objects.filter(supervisor=user).order_by("name")


def command_queue(*, now: datetime | None = None) -> QuerySet[Duty]:
    return most_urgent_first(
        _related(Duty.objects.filter(status=DutyStatus.OPEN, escalation_level=EscalationLevel.COMMAND)), now
    )


@dataclass(frozen=True)
class DutyFilter:
    kind: str = ""
    status: str = DutyStatus.OPEN
    overdue: bool | None = None
    escalated: bool | None = None
    owner: int | None = None
    team: int | None = None
    risk: str = ""
    tag: str = ""
    age_band: str = ""


def duty_list(filters: DutyFilter, *, now: datetime | None = None) -> QuerySet[Duty]:
    """Duties matching the filters, most urgent first (oldest first for closed ones)."""
    moment = now or timezone.now()
    queryset = Duty.objects.all()
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.risk:
        queryset = queryset.filter(risk=filters.risk)
    if filters.owner is not None:
        queryset = queryset.filter(owner_user_id=filters.owner)
    if filters.team is not None:
        queryset = queryset.filter(Q(owner_team_id=filters.team) | Q(owner_user__team_id=filters.team))
    if filters.overdue is True:
        queryset = queryset.filter(status=DutyStatus.OPEN, due_at__lte=moment)
    elif filters.overdue is False:
        queryset = queryset.exclude(status=DutyStatus.OPEN, due_at__lte=moment)
    if filters.escalated is True:
        queryset = queryset.filter(escalation_level__gt=EscalationLevel.NONE)
    elif filters.escalated is False:
        queryset = queryset.filter(escalation_level=EscalationLevel.NONE)
    if filters.tag:
        queryset = queryset.filter(tags__contains=[filters.tag])
    if filters.age_band:
        lower, upper = age_band_bounds(filters.age_band, moment)
        if lower is not None:
            queryset = queryset.filter(opened_at__lte=lower)
        if upper is not None:
            queryset = queryset.filter(opened_at__gt=upper)
    return most_urgent_first(_related(queryset), moment)


def age_band_bounds(band: str, now: datetime) -> tuple[datetime | None, datetime | None]:
    """(opened no later than, opened after) for an age band."""
    previous: timedelta | None = timedelta(0)
    for code, limit in AGE_BANDS:
        if code == band:
            return (
                now - previous if previous is not None else None,
                now - limit if limit is not None else None,
            )
        previous = limit
    return (None, None)


def backlog_summary(
    *, now: datetime | None = None, team: int | None = None, kind: str = ""
) -> dict[str, Any]:
    """Open duties by kind, risk, age band and team, with overdue and escalated counts and the oldest.

    One grouped query over the open duties (partial indexes on status='open' keep it to the open
    rows however large the history grows).
    """
    moment = now or timezone.now()
    queryset = Duty.objects.filter(status=DutyStatus.OPEN)
    if team is not None:
        queryset = queryset.filter(Q(owner_team_id=team) | Q(owner_user__team_id=team))
    if kind:
        queryset = queryset.filter(kind=kind)
    band_case = Case(
        When(opened_at__gt=moment - timedelta(days=1), then=Value(AgeBand.UNDER_DAY.value)),
        When(opened_at__gt=moment - timedelta(days=7), then=Value(AgeBand.ONE_TO_SEVEN.value)),
        When(opened_at__gt=moment - timedelta(days=28), then=Value(AgeBand.ONE_TO_FOUR_WEEKS.value)),
        default=Value(AgeBand.OVER_FOUR_WEEKS.value),
    )
    rows = (
        queryset.annotate(age_band=band_case)
        .values("kind", "risk", "owner_team", "age_band")
        .annotate(
            total=Count("id"),
            overdue=Count("id", filter=Q(due_at__lte=moment)),
            escalated=Count("id", filter=Q(escalation_level__gt=EscalationLevel.NONE)),
            oldest=Min("opened_at"),
        )
    )
    return {"at": moment, "rows": list(rows)}


def duty_visible_to(user: Any, duty: Duty) -> bool:
    """Owner, escalation target, team member or supervisor, backlog viewers, command for its queue."""
    if user.has_perm("duties.view_backlog"):
        return True
    if user.pk in (duty.owner_user_id, duty.escalated_to_id):
        return True
    if duty.owner_team_id and (
        user.team_id == duty.owner_team_id
        or Team.objects.filter(pk=duty.owner_team_id, supervisor=user).exists()
    ):
        return True
    if (
        duty.owner_user
        and duty.owner_user.team_id
        and Team.objects.filter(pk=duty.owner_user.team_id, supervisor=user).exists()
    ):
        return True
    return bool(
        duty.escalation_level == EscalationLevel.COMMAND and user.has_perm("duties.view_command_queue")
    )
