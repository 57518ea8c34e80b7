"""Links and home-page panels the duties app adds to the UI shell."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from iops.accounts.choices import Role
from iops.accounts.panels import request_roles
from iops.platform.shell import home_panel, nav_item

PANEL_LIMIT = 10


def _my_duties(request: HttpRequest) -> dict[str, Any] | None:
    from iops.duties.selectors import duties_for_user

    now = timezone.now()
    duties = list(duties_for_user(request.user, now=now)[: PANEL_LIMIT + 1])  # type: ignore[arg-type]
    return {"duties": duties[:PANEL_LIMIT], "more": len(duties) > PANEL_LIMIT, "now": now}


def _team_queues(request: HttpRequest) -> dict[str, Any] | None:
    from iops.duties.selectors import team_queue, teams_supervised_by

    teams = list(teams_supervised_by(request.user))  # type: ignore[arg-type]
    if not teams and Role.SUPERVISOR.value not in request_roles(request):
        return None  # e.g. an inspector, whose backlog panel covers more than a team
    now = timezone.now()
    queues = []
    for team in teams:
        queue = team_queue(team, now=now)
        queues.append({"team": team, "open": queue.count(), "overdue": queue.filter(due_at__lte=now).count()})
    return {"queues": queues}


nav_item("Duties", "duties:mine", permission="duties.view_duty", order=10)
home_panel(
    "my_duties", "duties/panels/my_duties.html", context=_my_duties, permission="duties.view_duty", order=5
)
# Named as the supervisor's placeholder panel in accounts, which this one replaces.
home_panel(
    "team_queue",
    "duties/panels/team_queues.html",
    context=_team_queues,
    permission="duties.view_team_queue",
    order=6,
)
