"""The force crime registrar's journey: open the audit of crime-related incidents awaiting a
decision, see one that is overdue, decide it (a rationale, or a crime), and watch it leave the list."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from playwright.sync_api import expect

from iops.accounts.choices import Role
from iops.crimes.tests.factories import crime_incident, person_user, team
from tests.browser.conftest import sign_in


def waiting_incident(hours: float, summary: str) -> Any:
    team("response", "D1-RESP")
    handler = person_user("handler_b", Role.CALL_HANDLER)
    return crime_incident(handler, opened_at=timezone.now() - timedelta(hours=hours), summary=summary)


def test_the_registrar_records_a_rationale_and_the_incident_leaves_the_list(
    page: Any, make_user: Any
) -> None:
    make_user("registrar", Role.CRIME_REGISTRAR.value, first_name="Rhian", last_name="Evans")
    incident = waiting_incident(30, "Caller reports a bike stolen from the garden")
    sign_in(page, "registrar")

    panel = page.get_by_role("region", name="Crime-related incidents awaiting a decision")
    expect(panel).to_contain_text(f"Incident {incident.reference}")
    expect(panel).to_contain_text("1 awaiting a decision, 1 past 24 hours")
    panel.get_by_role("link", name="Open the crime recording audit").click()

    expect(page.get_by_role("heading", name="Crime-related incidents awaiting a decision")).to_be_visible()
    row = page.get_by_test_id("unresolved-row").filter(has_text=incident.reference)
    expect(row).to_contain_text("Overdue")
    expect(row).to_contain_text("1 day 6 h")
    row.get_by_role("link", name=f"Record a rationale for incident {incident.reference}").click()

    expect(page.get_by_text("Caller reports a bike stolen from the garden")).to_be_visible()
    page.get_by_role("button", name="Record the rationale").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Give the reason no crime is recorded")
    page.get_by_label("Why is no crime to be recorded?").fill(
        "The caller's son had borrowed the bike and has brought it back; no offence."
    )
    page.get_by_role("button", name="Record the rationale").click()

    expect(
        page.get_by_text(f"Non-crime rationale recorded for incident {incident.reference}.")
    ).to_be_visible()
    expect(page.get_by_test_id("unresolved-empty")).to_be_visible()
    expect(page.get_by_test_id("unresolved-row")).to_have_count(0)


def test_the_registrar_records_a_crime_from_the_list(page: Any, make_user: Any) -> None:
    make_user("registrar2", Role.CRIME_REGISTRAR.value)
    incident = waiting_incident(3, "Shed broken into overnight, tools taken")
    sign_in(page, "registrar2")
    page.goto("/crimes/registrar/")

    row = page.get_by_test_id("unresolved-row").filter(has_text=incident.reference)
    expect(row).to_contain_text("Due")
    row.get_by_role("link", name=f"Record a crime for incident {incident.reference}").click()

    expect(page.get_by_role("heading", name="Record a crime")).to_be_visible()
    expect(page.get_by_text("Shed broken into overnight, tools taken")).to_be_visible()
    page.get_by_label("Offence (Home Office classification)").select_option("28E")
    page.get_by_role("button", name="Record the crime").click()

    expect(page.get_by_test_id("crime-number")).to_contain_text("CR/")
    expect(page.get_by_test_id("crime-category")).to_have_text("Burglary")
    expect(page.get_by_test_id("crime-recorded")).to_contain_text("Within 24 hours")
    page.get_by_role("link", name="Crime recording", exact=True).click()
    expect(page.get_by_test_id("unresolved-row")).to_have_count(0)
    expect(page.get_by_test_id("compliance-share")).to_have_text("100%")
