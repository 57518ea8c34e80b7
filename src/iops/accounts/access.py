"""Reads of staff accounts that are logged: an administrator opening an account or searching them.

Staff records are personal data too, so opening one and each page of a search write a
consultation entry in the s.62 log, with the purpose (user administration by default).
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator

from iops.accounts.models import User
from iops.accounts.selectors import user_list_for
from iops.audit.access import access_record, check_permission, get_or_not_found
from iops.audit.choices import Action
from iops.audit.services import audit_record, clean_purpose

PER_PAGE = 25


def access_user(user: Any, pk: Any, *, purpose: str = "User administration") -> User:
    """One account, for someone who may see staff records; the consultation is logged."""
    check_permission(user, "accounts.view_user")
    account = get_or_not_found(
        User.objects.select_related("team", "district").prefetch_related("groups"), pk, label="user"
    )
    return access_record(
        user, account, purpose=purpose, permission="accounts.view_user", operation="accounts.user_view"
    )


def access_user_search(
    user: Any,
    *,
    query: str = "",
    role: str = "",
    team_id: int | None = None,
    status: str = "",
    page: Any = 1,
    per_page: int = PER_PAGE,
    purpose: str = "User administration",
) -> Page[User]:
    """One page of the user list; logs one entry naming the filters and the accounts shown."""
    purpose_text = clean_purpose(purpose)
    users = user_list_for(user, query=query, role=role, team_id=team_id, status=status)
    shown = Paginator(users, per_page).get_page(page)
    audit_record(
        actor=user,
        action=Action.CONSULTATION,
        operation="accounts.user_search",
        record_type="accounts.user",
        purpose=purpose_text,
        detail={
            "filters": {"query": query, "role": role, "team": team_id, "status": status},
            "page": shown.number,
            "ids": [account.pk for account in shown.object_list],
        },
    )
    return shown
