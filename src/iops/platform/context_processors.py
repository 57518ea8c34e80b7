"""Template context for the UI shell: service name, navigation, force, CSP nonce."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from iops.platform.shell import navigation_for


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    roles: list[str] = []
    if user is not None and user.is_authenticated:
        roles = [group.name for group in user.groups.all()]
    return {
        "service_name": "iOPS",
        "force_name": settings.IOPS_FORCE_NAME,
        "navigation": navigation_for(request) if user is not None else [],
        "user_roles": roles,
        "csp_nonce": getattr(request, "csp_nonce", ""),
    }
