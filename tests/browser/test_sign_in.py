"""Signing in, as a person would: right and wrong passwords, the lockout, signing out."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import sign_in

WRONG = "The username or password is not right"


def test_sign_in_shows_the_users_home(page: Any, make_user: Any) -> None:
    make_user("handler1", "call_handler", first_name="Asha", last_name="Patel", collar_number="S4001")
    sign_in(page, "handler1")
    expect(page.get_by_role("heading", name="Your work")).to_be_visible()
    expect(page.get_by_test_id("signed-in-user")).to_contain_text("Asha Patel")
    expect(page.get_by_test_id("signed-in-user")).to_contain_text("S4001")


def test_wrong_password_gives_a_clear_error(page: Any, make_user: Any) -> None:
    make_user("handler2", "call_handler")
    sign_in(page, "handler2", "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text(WRONG)
    expect(page.get_by_role("heading", name="Sign in to iOPS")).to_be_visible()
    # The error summary takes focus, so a screen reader announces the problem first.
    expect(page.locator(".govuk-error-summary")).to_be_focused()


def test_the_sixth_attempt_is_refused_with_a_lockout_message(page: Any, make_user: Any) -> None:
    make_user("handler3", "call_handler")
    for attempt in range(1, 6):
        sign_in(page, "handler3", f"wrong-{attempt}")
        expect(page.get_by_role("alert")).to_contain_text(WRONG)
        expect(page.get_by_test_id("lockout-message")).to_have_count(0)
    sign_in(page, "handler3")  # the right password, but too late
    expect(page.get_by_role("heading", name="Your account is locked")).to_be_visible()
    expect(page.get_by_test_id("lockout-message")).to_contain_text("too many failed attempts")
    expect(page.get_by_text("Try again in 30 minutes")).to_be_visible()
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in to iOPS")).to_be_visible()


def test_sign_out(page: Any, make_user: Any) -> None:
    make_user("handler4", "call_handler")
    sign_in(page, "handler4")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in to iOPS")).to_be_visible()
