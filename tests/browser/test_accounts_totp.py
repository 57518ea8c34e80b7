"""Two-step verification in the browser: set it up from your account, then sign in with a code."""

from __future__ import annotations

from base64 import b32decode
from typing import Any

from django_otp.oath import totp
from playwright.sync_api import expect

from tests.browser.conftest import sign_in


def _code(secret: str, steps_ahead: int = 0) -> str:
    return f"{totp(b32decode(secret.replace(' ', '')), step=30, t0=-30 * steps_ahead):06d}"


def test_set_up_two_step_verification_and_sign_in_with_a_code(page: Any, make_user: Any) -> None:
    make_user("investigator1", "investigator")
    sign_in(page, "investigator1")
    page.get_by_test_id("signed-in-user").click()
    page.get_by_role("link", name="Set up two-step verification").click()
    expect(page.get_by_test_id("totp-qr").locator("svg")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text()

    page.get_by_label("Code from your authenticator app").fill("12")
    page.get_by_role("button", name="Turn on two-step verification").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The code must be 6 digits")

    page.get_by_label("Code from your authenticator app").fill(_code(secret))
    page.get_by_role("button", name="Turn on two-step verification").click()
    expect(page.get_by_test_id("totp-status")).to_contain_text("On.")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "investigator1")
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    # The code used to set it up cannot be used again; the app's next code can.
    page.get_by_label("Code from your authenticator app").fill(_code(secret, steps_ahead=1))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("region", name="Crimes allocated to you")).to_be_visible()
