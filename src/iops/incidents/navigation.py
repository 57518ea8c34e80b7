"""Links and the call handler's home panel that the incidents app adds to the UI shell."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from iops.accounts.choices import Role
from iops.accounts.panels import role_panel
from iops.incidents.choices import Channel
from iops.platform.shell import nav_item

PANEL_LIMIT = 15
# DESIGN section 9: 90% of 999 calls answered within 10 seconds of connection.
EMERGENCY_ANSWER_TARGET_SECONDS = 10

nav_item("New call", "incidents:new", permission="incidents.add_call", order=4)
nav_item("Incidents", "incidents:list", permission="incidents.view_incident", order=5)


def _answer(seconds: float | None) -> str:
    return "answer time not measured" if seconds is None else f"answered in {seconds:.0f} s"


def _todays_calls(request: HttpRequest) -> list[Any]:
    cached = getattr(request, "_iops_calls_today", None)
    if cached is None:
        from iops.incidents.selectors import calls_taken_today

        cached = list(calls_taken_today(request.user, now=timezone.now()))
        request._iops_calls_today = cached  # type: ignore[attr-defined]
    return cached


def _calls_today_items(request: HttpRequest) -> list[dict[str, Any]]:
    items = []
    for call in _todays_calls(request)[:PANEL_LIMIT]:
        label = f"{timezone.localtime(call.connected_at):%H:%M} {call.get_channel_display()}"
        if call.incident is not None:
            label += f": incident {call.incident.reference}"
            url = reverse("incidents:detail", args=[call.incident_id])
        else:
            label += ": no incident"
            url = reverse("incidents:new")
        items.append({"label": label, "url": url, "meta": _answer(call.answer_seconds).capitalize()})
    return items


def _calls_today_summary(request: HttpRequest) -> str:
    calls = _todays_calls(request)
    if not calls:
        return ""
    emergency = [
        call.answer_seconds
        for call in calls
        if call.channel == Channel.EMERGENCY and call.answer_seconds is not None
    ]
    text = f"{len(calls)} call{'s' if len(calls) != 1 else ''} today."
    if emergency:
        within = sum(1 for seconds in emergency if seconds <= EMERGENCY_ANSWER_TARGET_SECONDS)
        text += (
            f" 999 calls answered in {sum(emergency) / len(emergency):.0f} s on average;"
            f" {within} of {len(emergency)} within {EMERGENCY_ANSWER_TARGET_SECONDS} s."
        )
    return text


role_panel(
    Role.CALL_HANDLER,
    "calls_taken_today",
    "Calls you have taken today",
    empty="You have not taken any calls today.",
    items=_calls_today_items,
    summary=_calls_today_summary,
    links=[("Take a new call", "incidents:new"), ("Open incidents", "incidents:list")],
    order=11,
)
