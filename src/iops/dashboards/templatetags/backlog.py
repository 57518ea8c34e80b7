"""Template filters for the backlog pages: figures with thousands separators and ages in words."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import template
from django.utils import timezone

register = template.Library()


def age_text(age: timedelta) -> str:
    """An age the way a supervisor would say it: '12 days', '5 hours', '20 minutes'."""
    seconds = max(int(age.total_seconds()), 0)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count:,} {unit}{'' if count == 1 else 's'}"
    return "under a minute"


@register.filter
def figure(value: Any) -> str:
    """12345 -> '12,345'; None (not measured) -> 'No snapshot'."""
    if value is None:
        return "No snapshot"
    return f"{int(value):,}"


@register.filter
def since(value: datetime | None, now: datetime | None = None) -> str:
    """How long ago ``value`` was, in words."""
    if value is None:
        return ""
    return age_text((now or timezone.now()) - value)
