"""The link and home-page panel the dashboards app adds to the UI shell."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from iops.platform.shell import home_panel, nav_item


def _backlog_panel(request: HttpRequest) -> dict[str, Any] | None:
    from iops.dashboards.filters import backlog_filters, dashboard_url
    from iops.dashboards.selectors import backlog_headline, backlog_priority
    from iops.dashboards.templatetags.backlog import age_text

    filters = backlog_filters(request.user)
    now = timezone.now()
    headline = backlog_headline(filters, now=now)
    priority = backlog_priority(filters, now=now)
    oldest = headline.oldest_age(now)
    return {
        "filters": filters,
        "headline": headline,
        "priority": priority,
        "oldest": age_text(oldest) if oldest is not None else "",
        "href": dashboard_url(filters),
    }


nav_item("Backlog", "dashboards:backlog", permission="duties.view_backlog", order=30)
home_panel(
    "backlog",
    "dashboards/panels/backlog.html",
    context=_backlog_panel,
    permission="duties.view_backlog",
    order=4,
)
