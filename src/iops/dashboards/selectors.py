"""Reads for the backlog dashboards: the figures, the domestic-abuse slice, the trends and the lists.

Everything here answers "what is waiting, how risky, how old, whose" from the open duties alone:
each query keeps to ``status = 'open'`` so the partial indexes on open duties serve it, however much
closed history the table holds, and the figures come from one grouped pass (GROUPING SETS) rather
than one query per table. Trends come from the daily ``DutySnapshot`` rows, never from the history.
The drill-down list applies the same filters as the figures, so a number and its list agree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from iops.accounts.models import Team, User
from iops.dashboards.choices import PRIORITY_TAG, DutyTag, ListOrder
from iops.dashboards.filters import BacklogFilters
from iops.duties.choices import AgeBand, DutyStatus, EscalationLevel, Risk
from iops.duties.models import Duty
from iops.duties.selectors import AGE_BANDS, most_urgent_first

TREND_WEEKS = 8
PRIORITY_LIST_LENGTH = 5
FIGURES_WORK_MEM = "32MB"
TREND_CACHE_SECONDS = 6 * 60 * 60
RISKS: list[str] = list(Risk.values)


@dataclass(frozen=True)
class Headline:
    """The first line of the dashboard: how much is open, late, escalated, risky and how old."""

    open: int = 0
    overdue: int = 0
    escalated: int = 0
    with_command: int = 0
    high_risk: int = 0
    oldest_opened_at: datetime | None = None

    def oldest_age(self, now: datetime) -> timedelta | None:
        return now - self.oldest_opened_at if self.oldest_opened_at else None


@dataclass(frozen=True)
class KindRiskFigure:
    kind: str
    risk: str
    open: int
    overdue: int
    escalated: int


@dataclass(frozen=True)
class AgeBandFigure:
    band: str
    label: str
    open: int
    overdue: int
    escalated: int


@dataclass(frozen=True)
class TeamFigure:
    team_id: int | None
    team_name: str
    open: int
    overdue: int
    escalated: int
    high_risk: int
    oldest_opened_at: datetime | None


@dataclass(frozen=True)
class BacklogFigures:
    at: datetime
    headline: Headline
    by_kind_risk: list[KindRiskFigure]
    by_age_band: list[AgeBandFigure]
    by_team: list[TeamFigure]


@dataclass(frozen=True)
class PrioritySlice:
    """Overdue duties carrying the priority tag (domestic abuse), by risk, and the most urgent few."""

    tag: str
    tag_label: str
    open: int
    overdue_by_risk: dict[str, int]
    most_urgent: list[Duty]

    @property
    def high(self) -> int:
        return self.overdue_by_risk.get(Risk.HIGH, 0)

    @property
    def total(self) -> int:
        return sum(self.overdue_by_risk.values())


@dataclass(frozen=True)
class TrendDay:
    """Open, overdue and escalated duties at the end of a day; None where no snapshot was taken."""

    day: date
    open: int | None
    overdue: int | None
    escalated: int | None


@dataclass(frozen=True)
class TrendWeek:
    """Duties opened and closed over seven days; None where a day of the seven has no snapshot."""

    start: date
    end: date
    opened: int | None
    closed: int | None


@dataclass(frozen=True)
class Trend:
    days: list[TrendDay]
    weeks: list[TrendWeek]


@dataclass(frozen=True)
class BacklogDashboard:
    filters: BacklogFilters
    figures: BacklogFigures
    priority: PrioritySlice
    trend: Trend | None
    trend_note: str


# --- the filters as SQL, shared by every grouped query ---------------------------------------------


def _band_limits(now: datetime) -> list[tuple[str, datetime | None]]:
    """Each band with the time a duty must have been opened after to be in it (None: any time)."""
    return [(str(code), now - limit if limit is not None else None) for code, limit in AGE_BANDS]


def _age_band_range(band: str, now: datetime) -> tuple[datetime | None, datetime | None]:
    """(opened after, opened no later than) for a band; consistent with the CASE in ``_band_sql``."""
    newer: datetime | None = None
    for code, after in _band_limits(now):
        if code == band:
            return after, newer
        newer = after
    return None, None


def _band_sql(now: datetime, params: dict[str, Any]) -> str:
    whens = []
    default = ""
    for index, (code, after) in enumerate(_band_limits(now)):
        if after is None:
            default = code
            continue
        params[f"band_{index}"] = after
        whens.append(f"WHEN d.opened_at > %(band_{index})s THEN '{code}'")
    return f"CASE {' '.join(whens)} ELSE '{default}' END"


def _open_duties_sql(filters: BacklogFilters, now: datetime, params: dict[str, Any], columns: str) -> str:
    """A SELECT of ``columns`` (on ``duties_duty d``) and ``team_id`` for the open duties in ``filters``.

    A duty's team is its owning team, else its owner's. For a team scope this is a UNION ALL of the
    duties a team owns and those of its members that no team owns, so each half is an index-only
    range of the partial index on open duties by (force, owning team) rather than a filter over
    every open duty in the force.
    """
    params.update(force=filters.force_id, now=now)
    clauses = ["d.status = 'open'", "d.force_id = %(force)s"]
    if filters.kind:
        params["kind"] = filters.kind
        clauses.append("d.kind = %(kind)s")
    if filters.risk:
        params["risk"] = filters.risk
        clauses.append("d.risk = %(risk)s")
    if filters.tag:
        params["tag"] = json.dumps([filters.tag])
        clauses.append("d.tags @> %(tag)s::jsonb")
    if filters.overdue is not None:
        clauses.append("d.due_at <= %(now)s" if filters.overdue else "d.due_at > %(now)s")
    if filters.escalated is not None:
        clauses.append("d.escalation_level > 0" if filters.escalated else "d.escalation_level = 0")
    if filters.age_band:
        after, not_after = _age_band_range(filters.age_band, now)
        if after is not None:
            params["band_after"] = after
            clauses.append("d.opened_at > %(band_after)s")
        if not_after is not None:
            params["band_not_after"] = not_after
            clauses.append("d.opened_at <= %(band_not_after)s")
    where = " AND ".join(clauses)
    members = "JOIN accounts_user u ON u.id = d.owner_user_id AND d.owner_team_id IS NULL"
    if filters.team_ids is not None:
        params["teams"] = list(filters.team_ids)
        return (
            f"SELECT {columns}, d.owner_team_id AS team_id FROM duties_duty d "
            f"WHERE {where} AND d.owner_team_id = ANY(%(teams)s) "
            f"UNION ALL SELECT {columns}, u.team_id FROM duties_duty d {members} "
            f"WHERE {where} AND d.owner_team_id IS NULL AND u.team_id = ANY(%(teams)s)"
        )
    if filters.no_team:
        return (
            f"SELECT {columns}, u.team_id FROM duties_duty d {members} "
            f"WHERE {where} AND d.owner_team_id IS NULL AND u.team_id IS NULL"
        )
    return (
        f"SELECT {columns}, coalesce(d.owner_team_id, u.team_id) AS team_id "
        f"FROM duties_duty d LEFT {members} WHERE {where}"
    )


def _fetch(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _fetch_hashed(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Run a grouping query with enough memory for every grouping set to be hashed.

    Unsure how many groups there are, the planner otherwise sorts all the open duties and, with
    the default 4 MB, spills the sort to disk; 32 MB for this one statement keeps it in memory.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{FIGURES_WORK_MEM}'")
        cursor.execute(sql, params)
        return list(cursor.fetchall())


# --- figures -----------------------------------------------------------------------------------

# GROUPING() sets a bit for each column left out of a row's grouping set: (kind, risk, team, band).
_BY_KIND_RISK = 0b0011
_BY_TEAM = 0b1101
_BY_BAND = 0b1110
_TOTAL = 0b1111


def backlog_figures(filters: BacklogFilters, *, now: datetime | None = None) -> BacklogFigures:
    """Open duties counted by kind and risk, by age band and by team, with the headline figures.

    One pass over the open duties in scope, grouped four ways at once.
    """
    moment = now or timezone.now()
    params: dict[str, Any] = {}
    open_duties = _open_duties_sql(
        filters,
        moment,
        params,
        f"d.kind, d.risk, {_band_sql(moment, params)} AS age_band, d.due_at <= %(now)s AS overdue, "
        "d.escalation_level, d.opened_at",
    )
    sql = f"""
        WITH open_duty AS ({open_duties})
        SELECT GROUPING(kind, risk, team_id, age_band), kind, risk, team_id, age_band,
               count(*),
               count(*) FILTER (WHERE overdue),
               count(*) FILTER (WHERE escalation_level > 0),
               count(*) FILTER (WHERE escalation_level >= {int(EscalationLevel.COMMAND)}),
               count(*) FILTER (WHERE risk = 'high'),
               min(opened_at)
        FROM open_duty
        GROUP BY GROUPING SETS ((kind, risk), (team_id), (age_band), ())
    """
    headline = Headline()
    by_kind_risk: list[KindRiskFigure] = []
    bands: dict[str, tuple[int, int, int]] = {}
    teams: list[TeamFigure] = []
    for row in _fetch_hashed(sql, params):
        grouping, kind, risk, team_id, age_band, total, overdue, escalated, command, high, oldest = row
        if grouping == _TOTAL:
            headline = Headline(total, overdue, escalated, command, high, oldest)
        elif grouping == _BY_KIND_RISK:
            by_kind_risk.append(KindRiskFigure(kind, risk, total, overdue, escalated))
        elif grouping == _BY_BAND:
            bands[age_band] = (total, overdue, escalated)
        elif grouping == _BY_TEAM:
            teams.append(TeamFigure(team_id, "No team", total, overdue, escalated, high, oldest))
    names = dict(
        Team.objects.filter(pk__in=[t.team_id for t in teams if t.team_id]).values_list("pk", "name")
    )
    by_team = sorted(
        (replace(t, team_name=names.get(t.team_id, "No team")) if t.team_id else t for t in teams),
        key=lambda t: (-t.overdue, -t.open, t.team_name),
    )
    by_kind_risk.sort(key=lambda f: (f.kind, RISKS.index(f.risk) if f.risk in RISKS else len(RISKS)))
    by_age_band = [
        AgeBandFigure(str(code), AgeBand(code).label, *bands.get(str(code), (0, 0, 0)))
        for code, _ in AGE_BANDS
    ]
    return BacklogFigures(moment, headline, by_kind_risk, by_age_band, by_team)


def backlog_headline(filters: BacklogFilters, *, now: datetime | None = None) -> Headline:
    """Only the headline figures (for the home-page panel): one aggregate, no grouping."""
    moment = now or timezone.now()
    params: dict[str, Any] = {}
    open_duties = _open_duties_sql(
        filters, moment, params, "d.due_at <= %(now)s AS overdue, d.escalation_level, d.risk, d.opened_at"
    )
    sql = f"""
        SELECT count(*),
               count(*) FILTER (WHERE overdue),
               count(*) FILTER (WHERE escalation_level > 0),
               count(*) FILTER (WHERE escalation_level >= {int(EscalationLevel.COMMAND)}),
               count(*) FILTER (WHERE risk = 'high'),
               min(opened_at)
        FROM ({open_duties}) AS open_duty
    """
    return Headline(*_fetch(sql, params)[0])


# --- the priority slice ------------------------------------------------------------------------


def backlog_priority(filters: BacklogFilters, *, now: datetime | None = None) -> PrioritySlice:
    """Overdue domestic-abuse duties in the filters' team and kind, whatever risk or tag was chosen.

    This slice leads every backlog, so it ignores the risk and tag filters: a supervisor looking at
    standard-risk tasks still sees that high-risk domestic-abuse duties are late.
    """
    moment = now or timezone.now()
    scope = filters.narrowed(risk="", tag=str(PRIORITY_TAG), overdue=None, escalated=None, age_band="")
    params: dict[str, Any] = {}
    open_duties = _open_duties_sql(scope, moment, params, "d.risk, d.due_at <= %(now)s AS overdue")
    counts = {risk: 0 for risk in RISKS}
    open_total = 0
    for risk, total, overdue in _fetch(
        f"SELECT risk, count(*), count(*) FILTER (WHERE overdue) FROM ({open_duties}) AS tagged GROUP BY risk",
        params,
    ):
        counts[risk] = overdue
        open_total += total
    urgent: list[Duty] = []
    if any(counts.values()):
        late = scope.narrowed(overdue=True)
        urgent = duties_in_order(list(backlog_duty_ids(late, now=moment)[:PRIORITY_LIST_LENGTH]))
    return PrioritySlice(str(PRIORITY_TAG), DutyTag(PRIORITY_TAG).label, open_total, counts, urgent)


# --- trends from the daily snapshots -------------------------------------------------------------


def trend_unavailable_reason(filters: BacklogFilters) -> str:
    """Why there is no trend for these filters, or "" when there is one."""
    if filters.tag:
        return (
            "Daily snapshots are kept by kind, team and risk, not by tag, so there is no trend for "
            f"{DutyTag(filters.tag).label.lower()} duties alone. Clear the tag filter to see the trend."
        )
    if filters.overdue is not None or filters.escalated is not None or filters.age_band:
        return "Trends are shown for whole backlogs, not for an overdue, escalated or age slice."
    return ""


def backlog_trend(filters: BacklogFilters, *, today: date | None = None) -> Trend | None:
    """Open and overdue at the end of each of the last eight weeks' days, opened and closed by week.

    Read from ``DutySnapshot`` (one row per day, kind, team and risk). A day with no snapshot at all
    is None, not zero: it was not measured. The weeks are the seven-day spans ending yesterday.
    Snapshots change only when one is taken, so the answer is cached until the next one is.
    """
    if trend_unavailable_reason(filters):
        return None
    last = (today or timezone.localdate()) - timedelta(days=1)
    first = last - timedelta(days=7 * TREND_WEEKS - 1)
    version = _fetch("SELECT coalesce(max(id), 0) FROM duties_dutysnapshot", {})[0][0]
    key = "dashboards:trend:" + ":".join(
        str(part)
        for part in (
            ",".join(map(str, filters.team_ids)) if filters.team_ids is not None else "-",
            filters.no_team,
            filters.kind,
            filters.risk,
            last,
            version,
        )
    )
    trend: Trend | None = cache.get(key)
    if trend is None:
        trend = _trend_from_snapshots(filters, first, last)
        cache.set(key, trend, TREND_CACHE_SECONDS)
    return trend


def _trend_from_snapshots(filters: BacklogFilters, first: date, last: date) -> Trend:
    params: dict[str, Any] = {"first": first, "last": last}
    # The days with any snapshot, one index probe each rather than a scan of every row.
    measured_days = {
        row[0]
        for row in _fetch(
            """
            WITH RECURSIVE measured(day) AS (
                (SELECT day FROM duties_dutysnapshot WHERE day >= %(first)s ORDER BY day LIMIT 1)
                UNION ALL
                SELECT (SELECT s.day FROM duties_dutysnapshot s WHERE s.day > m.day ORDER BY s.day LIMIT 1)
                FROM measured m WHERE m.day <= %(last)s
            )
            SELECT day FROM measured WHERE day IS NOT NULL AND day <= %(last)s
            """,
            params,
        )
    }
    tests = ["s.day BETWEEN %(first)s AND %(last)s"]
    if filters.team_ids is not None:
        params["teams"] = list(filters.team_ids)
        tests.append("s.team_id = ANY(%(teams)s)")
    elif filters.no_team:
        tests.append("s.team_id IS NULL")
    if filters.kind:
        params["kind"] = filters.kind
        tests.append("s.kind = %(kind)s")
    if filters.risk:
        params["risk"] = filters.risk
        tests.append("s.risk = %(risk)s")
    sums = {
        row[0]: [int(value) for value in row[1:]]
        for row in _fetch(
            f"""
            SELECT s.day, sum(s.open_count), sum(s.overdue_count), sum(s.escalated_count),
                   sum(s.opened_count), sum(s.closed_count)
            FROM duties_dutysnapshot s
            WHERE {" AND ".join(tests)}
            GROUP BY s.day
            """,
            params,
        )
    }
    # A day measured but empty for these filters is zero, not "not measured".
    measured = {day: sums.get(day, [0, 0, 0, 0, 0]) for day in measured_days | set(sums)}
    days = []
    for offset in range(7 * TREND_WEEKS):
        day = first + timedelta(days=offset)
        values = measured.get(day)
        days.append(TrendDay(day, *(values[:3] if values else (None, None, None))))
    weeks = []
    for week in range(TREND_WEEKS):
        start = first + timedelta(days=7 * week)
        span = [measured.get(start + timedelta(days=d)) for d in range(7)]
        complete = all(v is not None for v in span)
        weeks.append(
            TrendWeek(
                start,
                start + timedelta(days=6),
                sum(v[3] for v in span if v) if complete else None,
                sum(v[4] for v in span if v) if complete else None,
            )
        )
    return Trend(days, weeks)


def backlog_dashboard(filters: BacklogFilters, *, now: datetime | None = None) -> BacklogDashboard:
    """Everything the backlog page and its API show, for one set of filters."""
    moment = now or timezone.now()
    return BacklogDashboard(
        filters=filters,
        figures=backlog_figures(filters, now=moment),
        priority=backlog_priority(filters, now=moment),
        trend=backlog_trend(filters, today=timezone.localdate(moment)),
        trend_note=trend_unavailable_reason(filters),
    )


# --- the drill-down list -----------------------------------------------------------------------


def backlog_duty_list(filters: BacklogFilters, *, now: datetime | None = None) -> QuerySet[Duty]:
    """The open duties a figure counted, most urgent (or oldest) first, with what a row shows."""
    moment = now or timezone.now()
    queryset = Duty.objects.filter(status=DutyStatus.OPEN, force_id=filters.force_id)
    if filters.team_ids is not None:
        members = User.objects.filter(team_id__in=filters.team_ids).values("pk")
        queryset = queryset.filter(
            Q(owner_team_id__in=filters.team_ids) | Q(owner_team__isnull=True, owner_user_id__in=members)
        )
    elif filters.no_team:
        queryset = queryset.filter(owner_team__isnull=True).exclude(
            owner_user_id__in=User.objects.filter(team__isnull=False).values("pk")
        )
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.risk:
        queryset = queryset.filter(risk=filters.risk)
    if filters.tag:
        queryset = queryset.filter(tags__contains=[filters.tag])
    if filters.overdue is True:
        queryset = queryset.filter(due_at__lte=moment)
    elif filters.overdue is False:
        queryset = queryset.filter(due_at__gt=moment)
    if filters.escalated is True:
        queryset = queryset.filter(escalation_level__gt=EscalationLevel.NONE)
    elif filters.escalated is False:
        queryset = queryset.filter(escalation_level=EscalationLevel.NONE)
    if filters.age_band:
        after, not_after = _age_band_range(filters.age_band, moment)
        if after is not None:
            queryset = queryset.filter(opened_at__gt=after)
        if not_after is not None:
            queryset = queryset.filter(opened_at__lte=not_after)
    queryset = queryset.select_related("owner_user", "owner_team", "owner_user__team", "escalated_to")
    if filters.order == ListOrder.OLDEST:
        return queryset.order_by("opened_at", "id")
    return most_urgent_first(queryset, moment)


def backlog_duty_ids(filters: BacklogFilters, *, now: datetime | None = None) -> QuerySet[Duty, int]:
    """The ids of ``backlog_duty_list``, in its order.

    Choosing a page by id alone lets PostgreSQL sort the open duties from the covering index
    without reading a row; only the page's rows are then fetched (``duties_in_order``).
    """
    return backlog_duty_list(filters, now=now).values_list("pk", flat=True)


def duties_in_order(ids: list[int]) -> list[Duty]:
    """The duties with these ids, in the order given, with what a list row shows."""
    rows = Duty.objects.select_related(
        "owner_user", "owner_team", "owner_user__team", "escalated_to"
    ).in_bulk(ids)
    return [rows[pk] for pk in ids if pk in rows]
