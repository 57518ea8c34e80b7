"""Links and home-page panels the accounts app adds to the UI shell.

Each role gets a panel for its kind of work. Most show their empty state until the app that owns
that work (incidents, crimes, custody...) registers the same panel name with real items; see
``accounts.panels``. The administrator's panel is real already: accounts that are locked out.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from iops.accounts.choices import Role
from iops.accounts.models import User
from iops.accounts.panels import role_panel
from iops.accounts.selectors import locked_usernames
from iops.platform.shell import nav_item

nav_item("Home", "platform:home", order=0)
nav_item("Users", "accounts:user_list", permission="accounts.manage_users", order=900)
nav_item("Roles", "accounts:role_list", permission="accounts.manage_users", order=910)


def _locked_accounts(request: HttpRequest) -> list[dict[str, Any]]:
    locked = locked_usernames()
    accounts = User.objects.filter(username__in=locked).order_by("username")[:20]
    return [
        {
            "label": f"{account.get_full_name() or account.username} ({account.username})",
            "url": reverse("accounts:user_detail", args=[account.pk]),
            "meta": "Locked out after repeated failed sign-ins",
        }
        for account in accounts
    ]


def _user_count(request: HttpRequest) -> str:
    active = User.objects.filter(is_active=True).count()
    return f"{active} active user{'s' if active != 1 else ''}. Accounts locked out are listed below."


def _team_summary(request: HttpRequest) -> str:
    team = getattr(request.user, "team", None)
    return f"Team: {team}" if team else "You are not in a team yet. Ask an administrator to add you to one."


role_panel(
    Role.CALL_HANDLER,
    "calls_in_progress",
    "Calls you are taking",
    empty="You have no calls in progress.",
    order=10,
)
role_panel(
    Role.DISPATCHER,
    "incidents_awaiting_unit",
    "Incidents waiting for a unit",
    empty="No incidents are waiting for a unit.",
    order=20,
)
role_panel(
    Role.RESPONSE_OFFICER,
    "incidents_assigned",
    "Incidents assigned to you",
    empty="You have no incidents assigned to you.",
    order=30,
)
role_panel(
    Role.INVESTIGATOR,
    "crimes_allocated",
    "Crimes allocated to you",
    empty="You have no crimes allocated to you.",
    order=40,
)
role_panel(
    Role.CUSTODY_OFFICER,
    "custody_detainees",
    "Detainees in your custody suite",
    empty="There are no detainees in your custody suite.",
    order=50,
)
role_panel(
    Role.INTELLIGENCE_OFFICER,
    "intelligence_to_evaluate",
    "Intelligence reports to evaluate",
    empty="There are no intelligence reports waiting for you.",
    order=60,
)
role_panel(
    Role.SAFEGUARDING_OFFICER,
    "referrals_waiting",
    "Referrals waiting",
    empty="No referrals are waiting.",
    order=70,
)
role_panel(
    Role.SUPERVISOR,
    "team_queue",
    "Your team's queue",
    empty="Nothing is waiting in your team's queue.",
    summary=_team_summary,
    order=80,
)
role_panel(
    Role.COMMAND,
    "backlogs",
    "Backlogs",
    empty="There are no backlogs to show yet.",
    order=90,
)
role_panel(
    Role.CRIME_REGISTRAR,
    "crime_decisions",
    "Crime-related incidents awaiting a decision",
    empty="No crime-related incidents are waiting for a recording decision.",
    order=100,
)
role_panel(
    Role.DATA_PROTECTION_OFFICER,
    "access_log",
    "Access log",
    empty="Search the log of every view and search of personal data.",
    links=[("Search the access log", "audit:search")],
    order=110,
)
role_panel(
    Role.DATA_PROTECTION_OFFICER,
    "break_glass_review",
    "Break-glass accesses to review",
    empty="There are no break-glass accesses waiting for review.",
    links=[("Review break-glass accesses", "audit:break_glass")],
    order=111,
)
role_panel(
    Role.ADMINISTRATOR,
    "users",
    "Users",
    empty="No accounts are locked out.",
    items=_locked_accounts,
    summary=_user_count,
    links=[
        ("Manage users", "accounts:user_list"),
        ("Add a user", "accounts:user_create"),
        ("Roles", "accounts:role_list"),
    ],
    order=120,
)
