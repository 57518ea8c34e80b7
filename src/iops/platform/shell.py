"""The UI shell's registries: navigation links and home-page panels that apps contribute.

Apps register in their ``AppConfig.ready``::

    nav_item("Search people", "people:search", permission="people.search_nominal", order=20)
    home_panel("my_duties", "duties/panels/my_duties.html", context=my_duties_context,
               permission="duties.view_duty", order=10)

The shell shows a user the links and panels their permissions allow, so each role's header and
home page are built from what the installed apps offer rather than from a list kept in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    permission: str | None
    order: int

    def url(self) -> str | None:
        try:
            return reverse(self.url_name)
        except NoReverseMatch:
            return None


@dataclass(frozen=True)
class HomePanel:
    """A block on a home page. ``context(request)`` returns the template context, or None to hide it."""

    name: str
    template: str
    permission: str | None
    order: int
    context: Callable[[HttpRequest], dict[str, Any] | None]


_nav: dict[str, NavItem] = {}
_panels: dict[str, HomePanel] = {}


def nav_item(label: str, url_name: str, *, permission: str | None = None, order: int = 100) -> None:
    _nav[url_name] = NavItem(label=label, url_name=url_name, permission=permission, order=order)


def home_panel(
    name: str,
    template: str,
    *,
    context: Callable[[HttpRequest], dict[str, Any] | None],
    permission: str | None = None,
    order: int = 100,
) -> None:
    _panels[name] = HomePanel(
        name=name, template=template, permission=permission, order=order, context=context
    )


def _allowed(user: Any, permission: str | None) -> bool:
    return bool(user.is_authenticated) and (permission is None or user.has_perm(permission))


def navigation_for(request: HttpRequest) -> list[dict[str, Any]]:
    """The links the signed-in user may follow, with the current one marked."""
    items = []
    for item in sorted(_nav.values(), key=lambda nav: (nav.order, nav.label)):
        if not _allowed(request.user, item.permission):
            continue
        url = item.url()
        if url is None:
            continue
        current = request.path == url or (url != "/" and request.path.startswith(url))
        items.append({"label": item.label, "url": url, "current": current})
    return items


def panels_for(request: HttpRequest) -> list[dict[str, Any]]:
    """Home-page panels for this user, each with its rendered context; hidden ones are left out."""
    rendered = []
    for panel in sorted(_panels.values(), key=lambda p: (p.order, p.name)):
        if not _allowed(request.user, panel.permission):
            continue
        context = panel.context(request)
        if context is None:
            continue
        rendered.append({"name": panel.name, "template": panel.template, "context": context})
    return rendered
