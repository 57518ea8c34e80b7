"""An administrator managing accounts in the browser, and the new user's first sign-in."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import sign_in

NEW_PASSWORD = "kestrel-orchard-violet-19"
OWN_PASSWORD = "juniper-beacon-granite-77"


def test_administrator_creates_a_user_who_then_chooses_a_password(page: Any, make_user: Any) -> None:
    make_user("admin1", "administrator", first_name="Priya", last_name="Shah")
    sign_in(page, "admin1")
    page.get_by_role("link", name="Users", exact=True).first.click()
    page.get_by_role("link", name="Add a user").click()
    expect(page.get_by_role("heading", name="Add a user")).to_be_visible()

    # Submitting with nothing filled in: the error summary names each problem and links to it.
    page.get_by_role("button", name="Create account").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Enter a username.")
    summary.get_by_role("link", name="Enter a username.").click()
    expect(page.get_by_label("Username")).to_be_focused()

    page.get_by_label("Username").fill("tnguyen")
    page.get_by_label("First name").fill("Thi")
    page.get_by_label("Last name").fill("Nguyen")
    page.get_by_label("Staff or collar number").fill("4567")
    page.get_by_label("Rank or grade").select_option(label="Constable")
    page.get_by_role("group", name="Roles").get_by_label("Response officer").check()
    page.get_by_label("Initial password").fill(NEW_PASSWORD)
    expect(page.get_by_label("Ask them to choose their own password when they first sign in")).to_be_checked()
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_text("Account created for Thi Nguyen (tnguyen).")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thi Nguyen")
    expect(page.get_by_test_id("account-roles")).to_have_text("Response officer")
    expect(page.get_by_test_id("account-status")).to_contain_text("Must choose a new password")

    # The list finds them by collar number.
    page.get_by_role("link", name="Back to users").click()
    page.get_by_label("Name, username or collar number").fill("4567")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_test_id("user-count")).to_have_text("1 user")
    expect(page.get_by_role("link", name="Thi Nguyen")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    # The new user signs in and must choose their own password before anything else.
    sign_in(page, "tnguyen", NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Choose your own password")).to_be_visible()
    page.goto("/")
    expect(page.get_by_role("heading", name="Choose your own password")).to_be_visible()
    page.get_by_label("Current password").fill(NEW_PASSWORD)
    page.get_by_label("New password", exact=True).fill(OWN_PASSWORD)
    page.get_by_label("Type the new password again").fill(OWN_PASSWORD)
    page.get_by_role("button", name="Save new password").click()
    expect(page.get_by_text("Your password has been changed.")).to_be_visible()
    expect(page.get_by_role("region", name="Incidents assigned to you")).to_be_visible()


def test_administrator_unlocks_a_locked_out_user(page: Any, make_user: Any) -> None:
    make_user("admin2", "administrator")
    make_user("locked1", "call_handler", first_name="Ola", last_name="Ade")
    for _ in range(5):
        sign_in(page, "locked1", "wrong")
    sign_in(page, "locked1")
    expect(page.get_by_role("heading", name="Your account is locked")).to_be_visible()

    sign_in(page, "admin2")
    panel = page.get_by_role("region", name="Users")
    panel.get_by_role("link", name="Ola Ade (locked1)").click()
    expect(page.get_by_test_id("account-status")).to_contain_text("Locked out")
    page.get_by_role("button", name="Unlock account").click()
    expect(page.get_by_text("locked1 is unlocked and can sign in again.")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "locked1")
    expect(page.get_by_role("heading", name="Your work")).to_be_visible()
