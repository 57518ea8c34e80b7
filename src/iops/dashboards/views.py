"""Backlog dashboard pages: every figure on one screen, and the list of duties behind each number.

The page answers "what is waiting, how risky, how old, whose": the overdue domestic-abuse duties
first, then the headline figures, the breakdowns by kind and risk, age and team, and the trends.
Every number links to the list it counts, and every row of the list to the duty, where a supervisor
reassigns, cancels or discharges it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from iops.dashboards.choices import PRIORITY_TAG, DutyTag, ListOrder
from iops.dashboards.filters import BacklogFilters, backlog_filters, dashboard_url, force_id_of, list_url
from iops.dashboards.forms import BacklogFilterForm
from iops.dashboards.selectors import (
    RISKS,
    BacklogDashboard,
    BacklogFigures,
    PrioritySlice,
    Trend,
    backlog_dashboard,
    backlog_duty_ids,
    duties_in_order,
)
from iops.dashboards.templatetags.backlog import age_text
from iops.duties.choices import AgeBand, Risk
from iops.duties.kinds import kind_for
from iops.platform.errors import ValidationFailed

PAGE_SIZE = 50
FILTER_PARAMS = ("team", "kind", "risk", "tag", "overdue", "escalated", "age_band", "order")


def _headline_items(figures: BacklogFigures, filters: BacklogFilters) -> list[dict[str, Any]]:
    head = figures.headline
    oldest = head.oldest_age(figures.at)
    return [
        {"key": "open", "label": "Open", "value": head.open, "href": list_url(filters)},
        {
            "key": "overdue",
            "label": "Overdue",
            "value": head.overdue,
            "href": list_url(filters, overdue=True),
            "alarm": head.overdue > 0,
        },
        {
            "key": "escalated",
            "label": "Escalated",
            "value": head.escalated,
            "href": list_url(filters, escalated=True),
            "note": f"{head.with_command:,} with command" if head.with_command else "",
        },
        {
            "key": "high_risk",
            "label": "High risk",
            "value": head.high_risk,
            "href": list_url(filters, risk=Risk.HIGH),
        },
        {
            "key": "oldest",
            "label": "Oldest open",
            "value": None,
            "text": age_text(oldest) if oldest is not None else "None open",
            "href": list_url(filters, order=ListOrder.OLDEST) if oldest is not None else "",
        },
    ]


def _kind_rows(figures: BacklogFigures, filters: BacklogFilters) -> list[dict[str, Any]]:
    by_kind: dict[str, dict[str, Any]] = {}
    for figure in figures.by_kind_risk:
        row = by_kind.setdefault(
            figure.kind,
            {"kind": figure.kind, "label": kind_for(figure.kind).label, "cells": {}, "open": 0, "overdue": 0},
        )
        row["cells"][figure.risk] = figure
        row["open"] += figure.open
        row["overdue"] += figure.overdue
    rows = sorted(by_kind.values(), key=lambda r: (-r["overdue"], -r["open"], r["label"]))
    for row in rows:
        kind = row["kind"]
        row["href"] = list_url(filters, kind=kind)
        row["href_overdue"] = list_url(filters, kind=kind, overdue=True)
        row["risks"] = [
            {
                "risk": risk,
                "label": Risk(risk).label,
                "open": row["cells"][risk].open if risk in row["cells"] else 0,
                "overdue": row["cells"][risk].overdue if risk in row["cells"] else 0,
                "href": list_url(filters, kind=kind, risk=risk),
                "href_overdue": list_url(filters, kind=kind, risk=risk, overdue=True),
            }
            for risk in RISKS
        ]
    return rows


def _risk_totals(figures: BacklogFigures, filters: BacklogFilters) -> list[dict[str, Any]]:
    totals = []
    for risk in RISKS:
        cells = [f for f in figures.by_kind_risk if f.risk == risk]
        totals.append(
            {
                "label": Risk(risk).label,
                "open": sum(c.open for c in cells),
                "overdue": sum(c.overdue for c in cells),
                "href": list_url(filters, risk=risk),
                "href_overdue": list_url(filters, risk=risk, overdue=True),
            }
        )
    return totals


def _age_rows(figures: BacklogFigures, filters: BacklogFilters) -> list[dict[str, Any]]:
    return [
        {
            "label": band.label,
            "open": band.open,
            "overdue": band.overdue,
            "escalated": band.escalated,
            "href": list_url(filters, age_band=band.band),
            "href_overdue": list_url(filters, age_band=band.band, overdue=True),
        }
        for band in figures.by_age_band
    ]


def _team_rows(figures: BacklogFigures, filters: BacklogFilters) -> list[dict[str, Any]]:
    rows = []
    for team in figures.by_team:
        param = str(team.team_id) if team.team_id else "none"
        oldest = figures.at - team.oldest_opened_at if team.oldest_opened_at else None
        rows.append(
            {
                "name": team.team_name,
                "open": team.open,
                "overdue": team.overdue,
                "escalated": team.escalated,
                "high_risk": team.high_risk,
                "oldest": age_text(oldest) if oldest is not None else "",
                "href": list_url(filters, team=param),
                "href_overdue": list_url(filters, team=param, overdue=True),
                "href_escalated": list_url(filters, team=param, escalated=True),
                "href_high": list_url(filters, team=param, risk=Risk.HIGH),
                "href_oldest": list_url(filters, team=param, order=ListOrder.OLDEST),
            }
        )
    return rows


def _priority(priority: PrioritySlice, filters: BacklogFilters) -> dict[str, Any]:
    scope = filters.narrowed(risk="", tag="")
    return {
        "slice": priority,
        "high_href": list_url(scope, tag=priority.tag, overdue=True, risk=Risk.HIGH),
        "all_href": list_url(scope, tag=priority.tag, overdue=True),
        "risks": [
            {
                "label": Risk(risk).label,
                "value": priority.overdue_by_risk.get(risk, 0),
                "href": list_url(scope, tag=priority.tag, overdue=True, risk=risk),
            }
            for risk in RISKS
        ],
    }


def _chart_data(trend: Trend) -> dict[str, Any]:
    """What the chart script draws; the tables beside the charts carry the same figures."""
    return {
        "daily": {
            "labels": [f"{day.day:%d %b}" for day in trend.days],
            "open": [day.open for day in trend.days],
            "overdue": [day.overdue for day in trend.days],
        },
        "weekly": {
            "labels": [f"{week.start:%d %b} to {week.end:%d %b}" for week in trend.weeks],
            "opened": [week.opened for week in trend.weeks],
            "closed": [week.closed for week in trend.weeks],
        },
    }


def dashboard_context(dashboard: BacklogDashboard) -> dict[str, Any]:
    figures, filters = dashboard.figures, dashboard.filters
    return {
        "dashboard": dashboard,
        "filters": filters,
        "headline": _headline_items(figures, filters),
        "priority": _priority(dashboard.priority, filters),
        "kind_rows": _kind_rows(figures, filters),
        "risk_totals": _risk_totals(figures, filters),
        "risk_labels": [Risk(risk).label for risk in RISKS],
        "age_rows": _age_rows(figures, filters),
        "team_rows": _team_rows(figures, filters),
        "trend": dashboard.trend,
        "chart_data": _chart_data(dashboard.trend) if dashboard.trend else None,
        "trend_note": dashboard.trend_note,
        "kind_label": kind_for(filters.kind).label if filters.kind else "",
        "at": figures.at,
    }


@login_required
@permission_required("duties.view_backlog", raise_exception=True)
def backlog(request: HttpRequest) -> HttpResponse:
    """The backlog dashboard for the filters asked for (a supervisor's teams by default)."""
    form = BacklogFilterForm(request.GET, user=request.user, force_id=force_id_of(request.user))
    context: dict[str, Any] = {"form": form, "page_title": "Duty backlog"}
    if not form.is_valid() or form.filters is None:
        return render(request, "dashboards/backlog.html", context, status=400)
    dashboard = backlog_dashboard(form.filters)
    form.offer_kinds(sorted({figure.kind for figure in dashboard.figures.by_kind_risk}))
    context.update(dashboard_context(dashboard))
    return render(request, "dashboards/backlog.html", context)


def describe(filters: BacklogFilters) -> list[str]:
    """The filters of a list in words, for its heading."""
    words = [filters.scope_label]
    if filters.kind:
        words.append(kind_for(filters.kind).label)
    if filters.risk:
        words.append(f"{Risk(filters.risk).label} risk")
    if filters.tag:
        words.append(DutyTag(filters.tag).label)
    if filters.overdue is not None:
        words.append("Overdue" if filters.overdue else "Not yet due")
    if filters.escalated is not None:
        words.append("Escalated" if filters.escalated else "Not escalated")
    if filters.age_band:
        words.append(f"Opened {AgeBand(filters.age_band).label.lower()} ago")
    return words


@login_required
@permission_required("duties.view_backlog", raise_exception=True)
def backlog_duties(request: HttpRequest) -> HttpResponse:
    """The open duties behind a number on the dashboard, most urgent (or oldest) first."""
    try:
        filters = backlog_filters(request.user, **{name: request.GET.get(name, "") for name in FILTER_PARAMS})
    except ValidationFailed as error:
        context = {
            "page_title": "There is a problem with this list",
            "title": "There is a problem with this list",
            "message": f"{error.message} Go back to the backlog dashboard and follow a link from there.",
            "status": 400,
        }
        return render(request, "platform/error.html", context, status=400)
    now: datetime = timezone.now()
    page = Paginator(backlog_duty_ids(filters, now=now), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = duties_in_order(list(page.object_list))
    params = filters.params()
    orders = [
        {
            "label": ListOrder(order).label,
            "href": f"?{urlencode({**params, 'order': order})}",
            "current": filters.order == order,
        }
        for order in ListOrder.values
    ]
    return render(
        request,
        "dashboards/backlog_duties.html",
        {
            "page_title": "Backlog duties",
            "page": page,
            "now": now,
            "filters": filters,
            "description": describe(filters),
            "orders": orders,
            "page_query": urlencode(params),
            "dashboard_href": dashboard_url(filters),
            "priority_tag": str(PRIORITY_TAG),
        },
    )
