"""Links and home-page panels the crimes app adds to the UI shell.

The investigator's and the registrar's role panels (registered empty by accounts) are filled in
here with real work: the crimes allocated to the investigator, and the crime-related incidents
awaiting a recording decision with their count and the oldest's age.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from iops.accounts.choices import Role
from iops.accounts.panels import role_panel
from iops.crimes import codes
from iops.crimes.selectors import age_text, crimes_allocated_to, unresolved_incidents, unresolved_summary
from iops.platform.shell import nav_item

PANEL_LIMIT = 8


def _allocated(request: HttpRequest) -> list[dict[str, Any]]:

    user: Any = request.user
    if not user.has_perm("crimes.view_crime"):
        return []
    items = []
    for crime in crimes_allocated_to(user)[:PANEL_LIMIT]:
        known = crime.offence_code in codes.offences()
        items.append(
            {
                "label": f"{crime.number}: {codes.offence(crime.offence_code).description if known else crime.offence_code}",
                "url": reverse("crimes:detail", args=[crime.pk]),
                "meta": f"Reported {timezone.localtime(crime.reported_at):%d %b %Y}; "
                f"{crime.get_investigation_status_display().lower()}",
            }
        )
    return items


def _allocated_summary(request: HttpRequest) -> str:
    user: Any = request.user
    if not user.has_perm("crimes.view_crime"):
        return ""
    count = crimes_allocated_to(user).count()
    return f"{count} crime{'s' if count != 1 else ''} under investigation." if count else ""


def _awaiting(request: HttpRequest) -> list[dict[str, Any]]:
    now = timezone.now()
    items = []
    for incident in unresolved_incidents(now=now)[:PANEL_LIMIT]:
        overdue = incident.decision_status == "open" and incident.decision_due_at <= now
        items.append(
            {
                "label": f"Incident {incident.reference}",
                "url": reverse("crimes:rationale", args=[incident.pk])
                if request.user.has_perm("crimes.record_noncrime_rationale")
                else reverse("crimes:registrar"),
                "meta": f"Reported {age_text(now - incident.opened_at)} ago"
                + ("; past the 24 hours" if overdue else ""),
            }
        )
    return items


def _awaiting_summary(request: HttpRequest) -> str:
    summary = unresolved_summary()
    if not summary.count:
        return ""
    oldest = age_text(summary.oldest_age) if summary.oldest_age else ""
    return f"{summary.count} awaiting a decision, {summary.overdue} past 24 hours; the oldest was reported {oldest} ago."


nav_item("Crimes", "crimes:list", permission="crimes.view_crime", order=40)
nav_item("Crime recording", "crimes:registrar", permission="crimes.view_registrar_audit", order=45)

role_panel(
    Role.INVESTIGATOR,
    "crimes_allocated",
    "Crimes allocated to you",
    empty="You have no crimes allocated to you.",
    items=_allocated,
    summary=_allocated_summary,
    links=[("All your crimes", "crimes:list")],
    order=40,
)
role_panel(
    Role.CRIME_REGISTRAR,
    "crime_decisions",
    "Crime-related incidents awaiting a decision",
    empty="No crime-related incidents are waiting for a recording decision.",
    items=_awaiting,
    summary=_awaiting_summary,
    links=[("Open the crime recording audit", "crimes:registrar")],
    order=100,
)
