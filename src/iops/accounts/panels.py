"""Home-page panels for each role's work, in one reusable shape.

A role panel is a titled list of things waiting for the person, with an empty state that says
plainly that nothing is waiting. Until the apps that own the work exist, every panel shows its
empty state; an app fills one in by registering the same panel name with an ``items`` function::

    role_panel(Role.CALL_HANDLER, "calls_in_progress", "Calls you are taking",
               empty="You have no calls in progress.", items=my_open_calls, order=10)

Apps load after accounts (INSTALLED_APPS order), so the later registration replaces this one.
``items(request)`` returns dicts with ``label``, ``url`` and optionally ``meta`` (a line of detail).
The panel renders with ``platform/panels/role_work.html``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from iops.accounts.choices import Role
from iops.platform.shell import home_panel

TEMPLATE = "platform/panels/role_work.html"
Items = Callable[[HttpRequest], list[dict[str, Any]]]
Summary = Callable[[HttpRequest], str]


def request_roles(request: HttpRequest) -> set[str]:
    """The signed-in user's role codes, looked up once per request however many panels ask."""
    cached = getattr(request, "_iops_role_codes", None)
    if cached is None:
        user = request.user
        cached = set(user.role_codes) if user.is_authenticated else set()
        request._iops_role_codes = cached  # type: ignore[attr-defined]
    return cached


def _link(label: str, url_name: str) -> dict[str, str] | None:
    try:
        return {"label": label, "url": reverse(url_name)}
    except NoReverseMatch:
        return None


def role_panel(
    role: Role,
    slug: str,
    title: str,
    *,
    empty: str,
    items: Items | None = None,
    summary: Summary | None = None,
    links: list[tuple[str, str]] | tuple[tuple[str, str], ...] = (),
    permission: str | None = None,
    order: int = 100,
) -> None:
    """Register a panel shown to everyone holding ``role`` (and ``permission``, if given)."""

    def context(request: HttpRequest) -> dict[str, Any] | None:
        if role.value not in request_roles(request):
            return None
        return {
            "slug": slug,
            "title": title,
            "role": role.label,
            "summary": summary(request) if summary else "",
            "items": items(request) if items else [],
            "empty": empty,
            "links": [link for label, name in links if (link := _link(label, name))],
        }

    home_panel(slug, TEMPLATE, context=context, permission=permission, order=order)
