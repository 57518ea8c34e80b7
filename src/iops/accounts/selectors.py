"""Reads for accounts: the user list with its filters, locked-out accounts, roles and tokens.

The user list is for people who may see staff records (``accounts.view_user``); the page that
shows it logs the search through ``access.access_user_search``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps as django_apps
from django.contrib.auth.models import Permission
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from iops.accounts.choices import Role
from iops.accounts.models import ApiToken, User
from iops.accounts.services import assignable_permissions, role_effective_grants, role_grants
from iops.audit.access import check_permission

USER_STATUSES = {"active": "Active", "deactivated": "Deactivated", "locked": "Locked out"}


def user_list_for(
    user: Any, *, query: str = "", role: str = "", team_id: int | None = None, status: str = ""
) -> QuerySet[User]:
    """Accounts matching every filter, by surname. Each word of ``query`` must match a name,
    the username or the collar number, so "asha 4001" finds Asha Patel (S4001)."""
    check_permission(user, "accounts.view_user")
    users = User.objects.select_related("team", "district").prefetch_related("groups")
    for word in query.split():
        users = users.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(username__icontains=word)
            | Q(collar_number__icontains=word)
        )
    if role:
        try:
            users = users.filter(groups__name=Role(role).label)
        except ValueError:
            return users.none()
    if team_id is not None:
        users = users.filter(team_id=team_id)
    if status == "active":
        users = users.filter(is_active=True)
    elif status == "deactivated":
        users = users.filter(is_active=False)
    elif status == "locked":
        users = users.filter(username__in=locked_usernames())
    return users.order_by("last_name", "first_name", "username").distinct()


def locked_usernames(usernames: Iterable[str] | None = None) -> set[str]:
    """Usernames django-axes refuses now, in one query.

    Mirrors axes' database handler for our settings (lockout by username): the failures of
    attempts newer than the cool-off, summed, reach the failure limit. A test checks that this
    agrees with axes itself after a real lockout.
    """
    from axes.conf import settings as axes_settings
    from axes.helpers import get_cool_off
    from axes.models import AccessAttempt

    limit = axes_settings.AXES_FAILURE_LIMIT
    if not isinstance(limit, int):
        raise TypeError("locked_usernames expects AXES_FAILURE_LIMIT to be a number")
    attempts = AccessAttempt.objects.all()
    cool_off = get_cool_off()
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    if usernames is not None:
        attempts = attempts.filter(username__in=list(usernames))
    totals = attempts.values("username").annotate(failures=Sum("failures_since_start"))
    return {row["username"] for row in totals if (row["failures"] or 0) >= limit}


@dataclass
class RoleSummary:
    """One role for the roles page: its group's permissions, and which differ from the code."""

    role: Role
    permissions: list[Permission]
    added: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)
    members: int = 0


def roles_overview(user: Any) -> list[RoleSummary]:
    check_permission(user, "accounts.manage_users")
    effective = role_effective_grants()
    code = role_grants()
    available = assignable_permissions()
    counts = {
        row["groups__name"]: row["members"]
        for row in User.objects.filter(is_active=True, groups__name__in=[role.label for role in Role])
        .values("groups__name")
        .annotate(members=Count("pk"))
    }
    summaries = []
    for role in Role:
        names = effective[role.value]
        permissions = sorted(
            (available[name] for name in names if name in available),
            key=lambda permission: (permission.content_type.app_label, permission.name),
        )
        summaries.append(
            RoleSummary(
                role=role,
                permissions=permissions,
                added=names - code.get(role.value, set()),
                removed=code.get(role.value, set()) - names,
                members=int(counts.get(role.label, 0)),
            )
        )
    return summaries


def permissions_by_app() -> list[tuple[str, str, list[Permission]]]:
    """Assignable permissions grouped by app: (app label, app name, permissions), for the form."""
    groups: dict[str, list[Permission]] = {}
    for permission in assignable_permissions().values():
        groups.setdefault(permission.content_type.app_label, []).append(permission)
    result = []
    for label in sorted(groups):
        config = django_apps.get_app_config(label)
        rows = sorted(
            groups[label], key=lambda permission: (permission.codename.split("_", 1)[-1], permission.codename)
        )
        result.append((label, str(config.verbose_name), rows))
    return result


def tokens_of(user: Any) -> QuerySet[ApiToken]:
    """A person's own API tokens, newest first."""
    return ApiToken.objects.filter(user_id=user.pk).order_by("-created_at")
