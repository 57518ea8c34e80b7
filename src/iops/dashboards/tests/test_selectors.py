"""Backlog figures: the counts a supervisor reads, and the lists behind them, on a known backlog."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from iops.dashboards.choices import DutyTag, ListOrder
from iops.dashboards.filters import backlog_filters
from iops.dashboards.selectors import (
    backlog_duty_list,
    backlog_figures,
    backlog_headline,
    backlog_priority,
    backlog_trend,
)
from iops.dashboards.services import backlog_snapshots_backfill
from iops.dashboards.tests.factories import Backlog, build_backlog
from iops.duties.models import DutySnapshot
from iops.duties.services import duties_snapshot
from iops.platform.errors import ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> Backlog:
    return build_backlog()


def _ids(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


def test_headline_counts_open_duties_only(world: Backlog) -> None:
    figures = backlog_figures(backlog_filters(world.inspector), now=world.now)
    head = figures.headline
    assert (head.open, head.overdue, head.escalated, head.with_command) == (5, 4, 2, 2)
    assert head.high_risk == 2
    assert head.oldest_opened_at == world.duties["loner_ancient"].opened_at
    assert head.oldest_age(world.now) == timedelta(days=40)
    assert backlog_headline(backlog_filters(world.inspector), now=world.now) == head


def test_by_kind_and_risk(world: Backlog) -> None:
    figures = backlog_figures(backlog_filters(world.inspector), now=world.now)
    table = {(f.kind, f.risk): (f.open, f.overdue, f.escalated) for f in figures.by_kind_risk}
    assert table == {
        ("task", "high"): (1, 1, 0),
        ("task", "medium"): (1, 1, 0),
        ("task", "standard"): (1, 1, 1),
        ("victim_referral", "high"): (1, 1, 1),
        ("victim_referral", "medium"): (1, 0, 0),
    }


def test_by_age_band(world: Backlog) -> None:
    figures = backlog_figures(backlog_filters(world.inspector), now=world.now)
    assert [(b.band, b.open, b.overdue) for b in figures.by_age_band] == [
        ("lt1d", 1, 1),
        ("1to7d", 2, 1),
        ("1to4w", 1, 1),
        ("gt4w", 1, 1),
    ]


def test_by_team_uses_the_owning_team_else_the_owners_team(world: Backlog) -> None:
    figures = backlog_figures(backlog_filters(world.inspector), now=world.now)
    table = {t.team_name: (t.open, t.overdue, t.escalated, t.high_risk) for t in figures.by_team}
    assert table == {
        "Alpha response": (2, 1, 0, 1),
        "Bravo response": (2, 2, 1, 0),
        "No team": (1, 1, 1, 1),
    }
    # Most overdue team first.
    assert figures.by_team[0].team_name == "Bravo response"


def test_every_number_drills_down_to_a_list_of_the_same_length(world: Backlog) -> None:
    filters = backlog_filters(world.inspector)
    figures = backlog_figures(filters, now=world.now)

    def listed(**cell) -> int:
        return backlog_duty_list(filters.narrowed(**cell), now=world.now).count()

    head = figures.headline
    assert listed() == head.open
    assert listed(overdue=True) == head.overdue
    assert listed(overdue=False) == head.open - head.overdue
    assert listed(escalated=True) == head.escalated
    assert listed(risk="high") == head.high_risk
    assert listed(tag=str(DutyTag.DOMESTIC_ABUSE)) == backlog_priority(filters, now=world.now).open == 2
    for f in figures.by_kind_risk:
        assert listed(kind=f.kind, risk=f.risk) == f.open
        assert listed(kind=f.kind, risk=f.risk, overdue=True) == f.overdue
        assert listed(kind=f.kind, risk=f.risk, escalated=True) == f.escalated
    for b in figures.by_age_band:
        assert listed(age_band=b.band) == b.open
        assert listed(age_band=b.band, overdue=True) == b.overdue
    for t in figures.by_team:
        team = backlog_filters(world.inspector, team=str(t.team_id) if t.team_id else "none")
        assert backlog_duty_list(team, now=world.now).count() == t.open
        assert backlog_duty_list(team.narrowed(overdue=True), now=world.now).count() == t.overdue
        assert backlog_figures(team, now=world.now).headline.open == t.open


def test_the_list_is_most_urgent_first_or_oldest_first(world: Backlog) -> None:
    d = world.duties
    filters = backlog_filters(world.inspector)
    urgent = list(backlog_duty_list(filters, now=world.now))
    # Overdue before due, then high risk first, then the earliest due.
    assert urgent == [d["loner_ancient"], d["da_high"], d["bravo_owned"], d["bravo_old"], d["pc_a_medium"]]
    oldest = list(backlog_duty_list(filters.narrowed(order=ListOrder.OLDEST), now=world.now))
    assert oldest == [d["loner_ancient"], d["bravo_old"], d["pc_a_medium"], d["da_high"], d["bravo_owned"]]


def test_tag_filter_keeps_domestic_abuse_duties(world: Backlog) -> None:
    filters = backlog_filters(world.inspector, tag="domestic_abuse")
    assert _ids(backlog_duty_list(filters, now=world.now)) == {
        world.duties["da_high"].pk,
        world.duties["bravo_owned"].pk,
    }
    assert backlog_figures(filters, now=world.now).headline.open == 2


def test_a_supervisor_starts_on_their_teams_and_can_widen(world: Backlog) -> None:
    mine = backlog_filters(world.sgt_a)
    assert mine.team == "mine" and mine.scope_label == "Your team: Alpha response"
    assert _ids(backlog_duty_list(mine, now=world.now)) == {
        world.duties["da_high"].pk,
        world.duties["pc_a_medium"].pk,
    }
    assert backlog_figures(mine, now=world.now).headline.open == 2
    force = backlog_filters(world.sgt_a, team="all")
    assert backlog_figures(force, now=world.now).headline.open == 5
    assert backlog_filters(world.inspector).team == "all"


def test_priority_slice_is_overdue_domestic_abuse_high_risk_first(world: Backlog) -> None:
    priority = backlog_priority(backlog_filters(world.inspector, risk="standard"), now=world.now)
    assert priority.overdue_by_risk == {"high": 1, "medium": 1, "standard": 0}
    assert priority.high == 1 and priority.total == 2 and priority.open == 2
    assert priority.most_urgent == [world.duties["da_high"], world.duties["bravo_owned"]]
    alpha = backlog_priority(backlog_filters(world.sgt_a), now=world.now)
    assert alpha.overdue_by_risk == {"high": 1, "medium": 0, "standard": 0}


@pytest.mark.parametrize(
    ("asked", "field"),
    [
        ({"risk": "extreme"}, "risk"),
        ({"tag": "burglary"}, "tag"),
        ({"team": "9999999"}, "team"),
        ({"team": "everyone"}, "team"),
        ({"kind": "DROP TABLE"}, "kind"),
        ({"overdue": "maybe"}, "overdue"),
        ({"age_band": "ancient"}, "age_band"),
        ({"order": "random"}, "order"),
    ],
)
def test_bad_filters_name_the_field(world: Backlog, asked: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        backlog_filters(world.inspector, **asked)
    assert error.value.field == field


def test_trend_reads_snapshots_and_marks_days_not_measured(world: Backlog) -> None:
    today = timezone.localdate(world.now)
    yesterday = today - timedelta(days=1)
    duties_snapshot(day=yesterday)
    duties_snapshot(day=yesterday - timedelta(days=1))
    trend = backlog_trend(backlog_filters(world.inspector), today=today)
    assert trend is not None
    assert len(trend.days) == 56 and len(trend.weeks) == 8
    assert trend.days[-1].day == yesterday
    assert trend.days[0].open is None  # never measured
    last = trend.days[-1]
    expected = sum(DutySnapshot.objects.filter(day=yesterday).values_list("open_count", flat=True))
    assert last.open == expected and last.open > 0
    assert trend.weeks[-1].opened is None  # five days of that week were never measured
    alpha = backlog_trend(backlog_filters(world.sgt_a), today=today)
    assert alpha is not None
    alpha_open = sum(
        DutySnapshot.objects.filter(day=yesterday, team=world.team_a).values_list("open_count", flat=True)
    )
    assert alpha.days[-1].open == alpha_open
    # A day measured but empty for this filter is zero, not "not measured".
    nothing = backlog_trend(backlog_filters(world.inspector, kind="never_opened"), today=today)
    assert nothing is not None and nothing.days[-1].open == 0


def test_trend_counts_a_duty_for_its_owners_team_when_no_team_owns_it(world: Backlog) -> None:
    yesterday = timezone.localdate(world.now) - timedelta(days=1)
    duties_snapshot(day=yesterday)
    alpha_medium = DutySnapshot.objects.get(day=yesterday, team=world.team_a, kind="victim_referral")
    assert alpha_medium.open_count == 1


def test_backfill_fills_whole_weeks(world: Backlog) -> None:
    written = backlog_snapshots_backfill(days=56, last=timezone.localdate(world.now) - timedelta(days=1))
    assert len(written) == 56
    trend = backlog_trend(backlog_filters(world.inspector), today=timezone.localdate(world.now))
    assert trend is not None
    # A snapshot has rows once any duty exists; before the first duty there is nothing to record.
    first = timezone.localdate(world.duties["loner_ancient"].opened_at)
    assert all(day.open is not None for day in trend.days if day.day >= first)
    assert all(day.open is None for day in trend.days if day.day < first)
    week = trend.weeks[-1]
    opened_that_week = [
        d for d in world.duties.values() if week.start <= timezone.localdate(d.opened_at) <= week.end
    ]
    assert week.opened == len(opened_that_week) > 0


def test_no_trend_by_tag(world: Backlog) -> None:
    assert backlog_trend(backlog_filters(world.inspector, tag="domestic_abuse")) is None


def test_backfill_command_and_its_refusals(world: Backlog, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("backlog_snapshots", "--days", "3")
    assert "Snapshots taken for 3 days" in capsys.readouterr().out
    yesterday = timezone.localdate() - timedelta(days=1)
    assert DutySnapshot.objects.filter(day=yesterday).exists()
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("backlog_snapshots", "--last", "yesterday")
    with pytest.raises(CommandError, match="before today"):
        call_command("backlog_snapshots", "--last", timezone.localdate().isoformat())
    with pytest.raises(CommandError, match="between 1 and"):
        call_command("backlog_snapshots", "--days", "0")
