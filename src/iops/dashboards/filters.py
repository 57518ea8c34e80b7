"""Backlog filters: what a dashboard, its drill-down list and its API are asked for, checked once.

The page's form, the JSON API and every drill-down link go through ``backlog_filters``, so a bad
value gets the same field error everywhere, and a number's link asks the list for exactly the duties
that number counted. A duty's team is its owning team, or its owner's team when no team owns it.
Supervisors start on the teams they supervise; command and anyone without a team start on the force.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from iops.accounts.models import Team
from iops.dashboards.choices import DutyTag, ListOrder
from iops.duties.choices import AgeBand, Risk
from iops.platform.errors import ValidationFailed
from iops.platform.models import default_force

TEAM_MINE = "mine"
TEAM_ALL = "all"
TEAM_NONE = "none"

KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class BacklogFilters:
    """A checked request for backlog figures or a backlog list.

    ``team_ids`` is None for every team (the whole force, duties with no team included); ``no_team``
    asks for the duties that no team owns and whose owner is in no team.
    """

    force_id: int
    team: str
    scope_label: str
    team_ids: tuple[int, ...] | None = None
    no_team: bool = False
    kind: str = ""
    risk: str = ""
    tag: str = ""
    overdue: bool | None = None
    escalated: bool | None = None
    age_band: str = ""
    order: str = ListOrder.URGENT

    def narrowed(self, **changes: Any) -> BacklogFilters:
        return replace(self, **changes)

    def params(self, **cell: Any) -> dict[str, str]:
        """The query-string form of these filters, with ``cell`` on top; empty values are left out.

        The team is always written out, so a link shows the same duties whoever's default it meets.
        """
        values: dict[str, Any] = {
            "team": self.team,
            "kind": self.kind,
            "risk": self.risk,
            "tag": self.tag,
            "overdue": self.overdue,
            "escalated": self.escalated,
            "age_band": self.age_band,
            "order": "" if self.order == ListOrder.URGENT else self.order,
            **cell,
        }
        out: dict[str, str] = {}
        for key, value in values.items():
            if value is None or value == "":
                continue
            out[key] = ("1" if value else "0") if isinstance(value, bool) else str(value)
        return out

    def dashboard_params(self) -> dict[str, str]:
        """Only what the dashboard itself is filtered by (the list adds overdue, age band...)."""
        return self.params(overdue=None, escalated=None, age_band="", order="")


def list_url(filters: BacklogFilters, **cell: Any) -> str:
    """The drill-down list for ``filters`` narrowed by ``cell`` (e.g. ``risk="high", overdue=True``)."""
    return f"{reverse('dashboards:backlog_duties')}?{urlencode(filters.params(**cell))}"


def dashboard_url(filters: BacklogFilters) -> str:
    return f"{reverse('dashboards:backlog')}?{urlencode(filters.dashboard_params())}"


def teams_for(user: Any) -> list[Team]:
    """The teams a person looks after: those they supervise, else their own."""
    supervised = list(Team.objects.filter(supervisor_id=user.pk).order_by("name"))
    if supervised:
        return supervised
    if getattr(user, "team_id", None):
        return list(Team.objects.filter(pk=user.team_id))
    return []


def default_team(user: Any, mine: list[Team] | None = None) -> str:
    """Command sees the force; a supervisor their teams; someone with no team, the force."""
    if user.has_perm("duties.view_command_queue"):
        return TEAM_ALL
    return TEAM_MINE if (teams_for(user) if mine is None else mine) else TEAM_ALL


def _flag(value: Any, field: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if not text:
        return None
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValidationFailed(f"{field} must be 1 or 0 (yes or no).", field=field)


def _choice(value: Any, field: str, allowed: list[str]) -> str:
    text = str(value or "").strip()
    if text and text not in allowed:
        raise ValidationFailed(f"{field} must be one of {', '.join(allowed)}.", field=field)
    return text


def force_id_of(user: Any) -> int:
    return int(getattr(user, "force_id", None) or default_force().pk)


def backlog_filters(
    user: Any,
    *,
    team: Any = "",
    kind: Any = "",
    risk: Any = "",
    tag: Any = "",
    overdue: Any = None,
    escalated: Any = None,
    age_band: Any = "",
    order: Any = "",
) -> BacklogFilters:
    """Check the filters asked for and resolve the team scope for ``user``, or raise ValidationFailed."""
    force_id = force_id_of(user)
    team_text = str(team or "").strip().lower()
    mine: list[Team] | None = None
    if team_text in ("", TEAM_MINE):
        mine = teams_for(user)
        team_text = team_text or default_team(user, mine)
    team_ids: tuple[int, ...] | None = None
    no_team = False
    if team_text == TEAM_MINE:
        if mine:
            team_ids = tuple(t.pk for t in mine)
            names = ", ".join(t.name for t in mine)
            label = f"Your team{'s' if len(mine) > 1 else ''}: {names}"
        else:
            team_text, label = TEAM_ALL, "Whole force"
    elif team_text == TEAM_ALL:
        label = "Whole force"
    elif team_text == TEAM_NONE:
        no_team, label = True, "No team"
    elif team_text.isdigit() and len(team_text) < 12:
        found = Team.objects.filter(pk=int(team_text), force_id=force_id).first()
        if found is None:
            raise ValidationFailed(f"There is no team with reference {team_text}.", field="team")
        team_ids, label = (found.pk,), found.name
    else:
        raise ValidationFailed(
            "team must be 'mine', 'all', 'none' or a team's reference number.", field="team"
        )
    kind_text = str(kind or "").strip()
    if kind_text and not KIND_PATTERN.match(kind_text):
        raise ValidationFailed(
            "kind must be a duty kind's code: lower-case letters, digits and underscores.", field="kind"
        )
    return BacklogFilters(
        force_id=force_id,
        team=team_text,
        scope_label=label,
        team_ids=team_ids,
        no_team=no_team,
        kind=kind_text,
        risk=_choice(risk, "risk", list(Risk.values)),
        tag=_choice(tag, "tag", list(DutyTag.values)),
        overdue=_flag(overdue, "overdue"),
        escalated=_flag(escalated, "escalated"),
        age_band=_choice(age_band, "age_band", list(AgeBand.values)),
        order=_choice(order, "order", list(ListOrder.values)) or ListOrder.URGENT,
    )
