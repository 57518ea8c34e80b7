"""Each role's home page shows a panel for that role's work, empty until later parts of iOPS
fill it, and says so."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from iops.accounts.choices import Role
from tests.browser.conftest import sign_in

# The panel every role sees first, and what it says while there is nothing to show.
PANELS = {
    Role.CALL_HANDLER: ("Calls you are taking", "You have no calls in progress."),
    Role.DISPATCHER: ("Incidents waiting for a unit", "No incidents are waiting for a unit."),
    Role.RESPONSE_OFFICER: ("Incidents assigned to you", "You have no incidents assigned to you."),
    Role.INVESTIGATOR: ("Crimes allocated to you", "You have no crimes allocated to you."),
    Role.CUSTODY_OFFICER: (
        "Detainees in your custody suite",
        "There are no detainees in your custody suite.",
    ),
    Role.INTELLIGENCE_OFFICER: (
        "Intelligence reports to evaluate",
        "There are no intelligence reports waiting for you.",
    ),
    Role.SAFEGUARDING_OFFICER: ("Referrals waiting", "No referrals are waiting."),
    Role.SUPERVISOR: ("Your team's queue", "Nothing is waiting in your team's queue."),
    Role.COMMAND: ("Backlogs", "There are no backlogs to show yet."),
    Role.CRIME_REGISTRAR: (
        "Crime-related incidents awaiting a decision",
        "No crime-related incidents are waiting for a recording decision.",
    ),
    Role.DATA_PROTECTION_OFFICER: (
        "Break-glass accesses to review",
        "There are no break-glass accesses waiting for review.",
    ),
    Role.ADMINISTRATOR: ("Users", "No accounts are locked out."),
}


def test_every_role_has_a_panel() -> None:
    assert set(PANELS) == set(Role)


@pytest.mark.parametrize("role", list(Role), ids=[role.value for role in Role])
def test_each_roles_home_page_shows_its_work(page: Any, make_user: Any, role: Role) -> None:
    make_user(f"user_{role.value}"[:30], role.value, first_name="Sam", last_name="Okoro")
    sign_in(page, f"user_{role.value}"[:30])
    heading, empty = PANELS[role]
    expect(page.get_by_role("heading", name="Your work")).to_be_visible()
    panel = page.get_by_role("region", name=heading)
    expect(panel).to_be_visible()
    expect(panel).to_contain_text(empty)
    # No other role's work is shown.
    for other, (other_heading, _) in PANELS.items():
        if other != role and other_heading != heading:
            expect(page.get_by_role("heading", name=other_heading, exact=True)).to_have_count(0)


def test_data_protection_officer_can_go_to_the_access_log(page: Any, make_user: Any) -> None:
    make_user("dpo1", "data_protection_officer")
    sign_in(page, "dpo1")
    panel = page.get_by_role("region", name="Access log")
    panel.get_by_role("link", name="Search the access log").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Access log")
