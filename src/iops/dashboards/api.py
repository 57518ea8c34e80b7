"""Dashboards API: the backlog dashboard's figures as JSON, with the filters the page takes.

The same selector serves the page and this endpoint, so the numbers agree. Each breakdown row
carries ``href``, the page listing the duties it counts; ``GET /api/v1/duties`` lists duties.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from iops.audit.access import check_permission
from iops.dashboards.filters import backlog_filters, list_url
from iops.dashboards.selectors import BacklogDashboard, backlog_dashboard
from iops.duties.choices import Risk
from iops.duties.kinds import kind_for

router = Router(tags=["dashboards"])


class BacklogQuery(Schema):
    team: str = ""
    kind: str = ""
    risk: str = ""
    tag: str = ""


class ScopeOut(Schema):
    team: str
    label: str
    team_ids: list[int] | None
    kind: str
    risk: str
    tag: str


class HeadlineOut(Schema):
    open: int
    overdue: int
    escalated: int
    with_command: int
    high_risk: int
    oldest_opened_at: datetime | None
    oldest_age_seconds: int | None
    href: str


class PriorityDutyOut(Schema):
    id: int
    title: str
    kind: str
    risk: str
    due_at: datetime
    owner_user: int | None
    owner_team: int | None


class PriorityOut(Schema):
    tag: str
    open: int
    overdue: int
    overdue_by_risk: dict[str, int]
    most_urgent: list[PriorityDutyOut]
    href: str


class KindRiskOut(Schema):
    kind: str
    kind_label: str
    risk: str
    open: int
    overdue: int
    escalated: int
    href: str


class AgeBandOut(Schema):
    band: str
    label: str
    open: int
    overdue: int
    escalated: int
    href: str


class TeamOut(Schema):
    team: int | None
    team_name: str
    open: int
    overdue: int
    escalated: int
    high_risk: int
    oldest_opened_at: datetime | None
    href: str


class TrendDayOut(Schema):
    day: date
    open: int | None
    overdue: int | None
    escalated: int | None


class TrendWeekOut(Schema):
    start: date
    end: date
    opened: int | None
    closed: int | None


class TrendOut(Schema):
    days: list[TrendDayOut]
    weeks: list[TrendWeekOut]


class BacklogOut(Schema):
    at: datetime
    scope: ScopeOut
    headline: HeadlineOut
    priority: PriorityOut
    by_kind_risk: list[KindRiskOut]
    by_age_band: list[AgeBandOut]
    by_team: list[TeamOut]
    trend: TrendOut | None
    trend_note: str


def backlog_out(dashboard: BacklogDashboard) -> dict[str, Any]:
    filters, figures, priority = dashboard.filters, dashboard.figures, dashboard.priority
    head = figures.headline
    age = head.oldest_age(figures.at)
    scope = filters.narrowed(risk="", tag="")
    trend = dashboard.trend
    return {
        "at": figures.at,
        "scope": {
            "team": filters.team,
            "label": filters.scope_label,
            "team_ids": list(filters.team_ids) if filters.team_ids is not None else None,
            "kind": filters.kind,
            "risk": filters.risk,
            "tag": filters.tag,
        },
        "headline": {
            "open": head.open,
            "overdue": head.overdue,
            "escalated": head.escalated,
            "with_command": head.with_command,
            "high_risk": head.high_risk,
            "oldest_opened_at": head.oldest_opened_at,
            "oldest_age_seconds": int(age.total_seconds()) if age is not None else None,
            "href": list_url(filters),
        },
        "priority": {
            "tag": priority.tag,
            "open": priority.open,
            "overdue": priority.total,
            "overdue_by_risk": priority.overdue_by_risk,
            "most_urgent": [
                {
                    "id": duty.pk,
                    "title": duty.title,
                    "kind": duty.kind,
                    "risk": duty.risk,
                    "due_at": duty.due_at,
                    "owner_user": duty.owner_user_id,
                    "owner_team": duty.owner_team_id,
                }
                for duty in priority.most_urgent
            ],
            "href": list_url(scope, tag=priority.tag, overdue=True, risk=Risk.HIGH),
        },
        "by_kind_risk": [
            {
                "kind": f.kind,
                "kind_label": kind_for(f.kind).label,
                "risk": f.risk,
                "open": f.open,
                "overdue": f.overdue,
                "escalated": f.escalated,
                "href": list_url(filters, kind=f.kind, risk=f.risk),
            }
            for f in figures.by_kind_risk
        ],
        "by_age_band": [
            {
                "band": b.band,
                "label": b.label,
                "open": b.open,
                "overdue": b.overdue,
                "escalated": b.escalated,
                "href": list_url(filters, age_band=b.band),
            }
            for b in figures.by_age_band
        ],
        "by_team": [
            {
                "team": t.team_id,
                "team_name": t.team_name,
                "open": t.open,
                "overdue": t.overdue,
                "escalated": t.escalated,
                "high_risk": t.high_risk,
                "oldest_opened_at": t.oldest_opened_at,
                "href": list_url(filters, team=str(t.team_id) if t.team_id else "none"),
            }
            for t in figures.by_team
        ],
        "trend": {
            "days": [asdict(day) for day in trend.days],
            "weeks": [asdict(week) for week in trend.weeks],
        }
        if trend is not None
        else None,
        "trend_note": dashboard.trend_note,
    }


@router.get(
    "/backlog",
    response=BacklogOut,
    summary="Backlog dashboard figures: open duties by kind, risk, age band and team, and the trends",
)
def backlog(request: HttpRequest, query: Query[BacklogQuery]) -> Any:
    """``team`` is ``mine`` (the teams you supervise; the default for supervisors), ``all`` (the
    force; the default for command), ``none`` or a team's id. Bad filters give a 400 naming the field."""
    check_permission(request.user, "duties.view_backlog")
    filters = backlog_filters(request.user, team=query.team, kind=query.kind, risk=query.risk, tag=query.tag)
    return backlog_out(backlog_dashboard(filters))
