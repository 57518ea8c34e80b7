"""Links and home-page panels dispatch adds to the UI shell: the live board, the figures, a crew
member's unit, and the work panels of dispatchers (incidents waiting for a unit) and response
officers (incidents their unit is assigned to)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from iops.accounts.choices import Role
from iops.accounts.panels import role_panel
from iops.platform.shell import nav_item

PANEL_LIMIT = 10


def _awaiting_unit(request: HttpRequest) -> list[dict[str, Any]]:
    from iops.dispatch.selectors import awaiting_unit
    from iops.dispatch.templatetags.dispatch import minutes_seconds

    if not request.user.has_perm("dispatch.view_board"):
        return []
    board = reverse("dispatch:board")
    return [
        {
            "label": f"{row.grade_name}: {row.category_name} ({row.incident.reference})",
            "url": f"{board}#incident-{row.incident.pk}",
            "meta": f"Waiting {minutes_seconds(row.waiting_seconds)}; {row.incident.location_text}",
        }
        for row in awaiting_unit(request.user, limit=PANEL_LIMIT)  # type: ignore[arg-type]
    ]


def _assigned(request: HttpRequest) -> list[dict[str, Any]]:
    from iops.dispatch.selectors import assigned_to

    now = timezone.now()
    return [
        {
            "label": f"{assignment.unit.call_sign}: incident {assignment.incident.reference}",
            "url": reverse("dispatch:unit", args=[assignment.unit_id]),
            "meta": f"{assignment.get_status_display()} for {int((now - assignment.assigned_at).total_seconds() // 60)} min; "
            f"{assignment.incident.location_text}",
        }
        for assignment in assigned_to(request.user)  # type: ignore[arg-type]
    ]


nav_item("Live board", "dispatch:board", permission="dispatch.view_board", order=30)
nav_item("Your unit", "dispatch:my_unit", permission="dispatch.view_unit", order=35)
nav_item("Calls and attendance", "dispatch:figures", permission="dispatch.view_figures", order=60)

role_panel(
    Role.DISPATCHER,
    "incidents_awaiting_unit",
    "Incidents waiting for a unit",
    empty="No incidents are waiting for a unit.",
    items=_awaiting_unit,
    links=(("Open the live board", "dispatch:board"),),
    order=20,
)
role_panel(
    Role.RESPONSE_OFFICER,
    "incidents_assigned",
    "Incidents assigned to you",
    empty="You have no incidents assigned to you.",
    items=_assigned,
    links=(("Your unit", "dispatch:my_unit"),),
    order=30,
)
