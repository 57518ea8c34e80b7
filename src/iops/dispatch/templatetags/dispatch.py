"""Template helpers for the live board: clock text, status tag colours, links that may not exist yet."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()

# GOV.UK tag colours per unit status: green free, blue moving, purple busy there, grey not working.
STATUS_TAGS = {
    "available": "govuk-tag--green",
    "assigned": "govuk-tag--yellow",
    "en_route": "govuk-tag--blue",
    "at_scene": "govuk-tag--purple",
    "committed": "govuk-tag--pink",
    "refreshment": "govuk-tag--grey",
    "off_duty": "govuk-tag--grey",
}
GRADE_TAGS = {"emergency": "govuk-tag--red", "priority": "govuk-tag--orange", "": "govuk-tag--grey"}


@register.filter
def minutes_seconds(seconds: Any) -> str:
    """``754`` -> ``12:34``; an hour or more -> ``1:02:34``. Negative values are shown unsigned."""
    if seconds is None:
        return ""
    total = abs(int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def since(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return ""
    return minutes_seconds(max(0, int((now - moment).total_seconds())))


@register.filter
def status_tag(status: str) -> str:
    return STATUS_TAGS.get(status, "govuk-tag--grey")


@register.filter
def grade_tag(grade: str) -> str:
    return GRADE_TAGS.get(grade, "govuk-tag--blue")


@register.filter
def iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else ""


@register.simple_tag
def incident_url(incident_id: int) -> str:
    """The incident's own page, if the incidents app offers one; empty otherwise."""
    try:
        return reverse("incidents:detail", args=[incident_id])
    except NoReverseMatch:
        return ""
