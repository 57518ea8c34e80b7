"""A small force with a known backlog, for the dashboards tests.

Two teams, each with a supervisor and an officer, an officer in no team, an inspector, and open,
discharged and cancelled duties across kinds, risks, age bands and owners, all opened through the
duties services. ``now`` is fixed so ages and overdue counts are exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from iops.accounts.models import Team, User
from iops.dashboards.choices import DutyTag
from iops.duties.models import Duty
from iops.duties.services import duties_sweep, duty_cancel, duty_discharge, duty_open
from iops.duties.tests.factories import TeamFactory, make_user

DA = [str(DutyTag.DOMESTIC_ABUSE)]


@dataclass
class Backlog:
    now: datetime
    team_a: Team
    team_b: Team
    sgt_a: User
    sgt_b: User
    pc_a: User
    pc_b: User
    loner: User
    inspector: User
    duties: dict[str, Duty] = field(default_factory=dict)


def _open(now: datetime, *, opened_hours_ago: float, due_in_hours: float, **fields: Any) -> Duty:
    opened = now - timedelta(hours=opened_hours_ago)
    return duty_open(
        opened_at=opened,
        due_at=opened + timedelta(hours=due_in_hours),
        title=fields.pop("title", "Synthetic duty"),
        **fields,
    )


def build_backlog() -> Backlog:
    now = timezone.now().replace(microsecond=0)
    team_a = TeamFactory(name="Alpha response")
    team_b = TeamFactory(name="Bravo response")
    sgt_a = make_user("sgt_a", "supervisor", team=team_a)
    sgt_b = make_user("sgt_b", "supervisor", team=team_b)
    team_a.supervisor, team_b.supervisor = sgt_a, sgt_b
    team_a.save()
    team_b.save()
    world = Backlog(
        now=now,
        team_a=team_a,
        team_b=team_b,
        sgt_a=sgt_a,
        sgt_b=sgt_b,
        pc_a=make_user("pc_a", "response_officer", team=team_a),
        pc_b=make_user("pc_b", "response_officer", team=team_b),
        loner=make_user("loner", "investigator"),
        inspector=make_user("insp", "command"),
    )
    d = world.duties
    # Alpha: a high-risk domestic-abuse duty 6 hours overdue, opened 30 hours ago.
    d["da_high"] = _open(
        now,
        opened_hours_ago=30,
        due_in_hours=24,
        kind="task",
        risk="high",
        owner_team=team_a,
        tags=DA,
        title="Complete the DASH risk assessment",
    )
    # Alpha by its owner's team (no owning team): medium, opened 2 days ago, due tomorrow.
    d["pc_a_medium"] = _open(
        now,
        opened_hours_ago=48,
        due_in_hours=72,
        kind="victim_referral",
        risk="medium",
        owner_user=world.pc_a,
    )
    # Bravo: standard, opened 10 days ago, overdue for 9 days (escalated by the sweeper below).
    d["bravo_old"] = _open(
        now, opened_hours_ago=240, due_in_hours=24, kind="task", risk="standard", owner_team=team_b
    )
    # Bravo owns it although its officer is in Alpha: the owning team wins.
    d["bravo_owned"] = _open(
        now,
        opened_hours_ago=2,
        due_in_hours=1,
        kind="task",
        risk="medium",
        owner_team=team_b,
        owner_user=world.pc_a,
        tags=DA,
    )
    # No team at all: an officer in no team, 40 days old, high risk, overdue.
    d["loner_ancient"] = _open(
        now,
        opened_hours_ago=960,
        due_in_hours=24,
        kind="victim_referral",
        risk="high",
        owner_user=world.loner,
    )
    # Closed duties never count.
    done = _open(
        now, opened_hours_ago=5, due_in_hours=1, kind="task", risk="high", owner_team=team_a, tags=DA
    )
    duty_discharge(duty=done, acting_user=sgt_a, note="Done on time")
    gone = _open(now, opened_hours_ago=5, due_in_hours=1, kind="task", risk="high", owner_team=team_b)
    duty_cancel(duty=gone, acting_user=sgt_b, reason="Opened twice for the same call")
    d["done"], d["gone"] = done, gone
    duties_sweep(now=now - timedelta(days=5))
    for key in ("bravo_old", "loner_ancient"):
        d[key].refresh_from_db()
    return world
