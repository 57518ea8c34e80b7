"""The permission check every service, selector and access helper makes before anything else.

Kept apart from ``access.py`` so selectors (which ``services`` use) can check permissions without
importing the services that ``access.py`` needs.
"""

from __future__ import annotations

from typing import Any

from iops.platform.errors import PermissionRefused

SEARCH_LOG = "audit.search_auditentry"
EXPORT_LOG = "audit.export_auditentry"


def check_permission(user: Any, permission: str) -> None:
    """Raise ``PermissionRefused`` unless ``user`` is signed in, active and holds ``permission``."""
    if user is None or not user.is_authenticated or not user.is_active:
        raise PermissionRefused("Sign in to do this.")
    if not user.has_perm(permission):
        raise PermissionRefused("Your role does not allow this. Ask your supervisor if you need it.")
