"""Two-step verification: enrolling from your account, signing in with a code, removing it, and an
administrator resetting it. Codes are computed from the device's key, as the person's app would."""

from __future__ import annotations

import re
import time
from base64 import b32decode
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from iops.accounts.models import User
from iops.accounts.tests.factories import PASSWORD, UserFactory
from iops.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
CODE = "/accounts/login/code/"


def code_for(key: bytes, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows, ``steps_ahead`` 30-second steps from now.

    A device never accepts the same time step twice, so a test that already used this step's
    code uses the next one (within the device's tolerance of one step)."""
    return f"{totp(key, step=30, t0=-30 * steps_ahead):06d}"


def _enrolled(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


@pytest.fixture
def no_throttle(settings: Any) -> None:
    # django-otp waits 1 s, 2 s, 4 s... after each wrong code; a person never notices, a test would.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def test_enrol_from_your_account_with_the_secret_typed_by_hand() -> None:
    user = UserFactory()
    client = Client()
    client.force_login(user)
    page = client.get(reverse("accounts:totp_enrol"))
    body = page.content.decode()
    assert "<svg" in body  # the QR code, inline
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', body)
    assert secret is not None
    key = b32decode(secret.group(1).replace(" ", ""))
    # Reloading keeps the same secret, so a code scanned a moment ago still fits.
    assert secret.group(1) in client.get(reverse("accounts:totp_enrol")).content.decode()

    wrong = client.post(
        reverse("accounts:totp_enrol"), {"code": "000000" if code_for(key) != "000000" else "111111"}
    )
    assert "That code is not right" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def test_enrol_confirm_turns_it_on_and_records_it(no_throttle: None) -> None:
    user = UserFactory()
    client = Client()
    client.force_login(user)
    client.get(reverse("accounts:totp_enrol"))
    device = TOTPDevice.objects.get(user=user)
    response = client.post(reverse("accounts:totp_enrol"), {"code": code_for(device.bin_key)})
    assert response["Location"] == reverse("accounts:profile")
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEntry.objects.filter(operation="accounts.totp_enrol", record_id=str(user.pk)).count() == 1
    assert "On. You enter a code" in client.get(reverse("accounts:profile")).content.decode()


def test_sign_in_asks_for_the_code_after_the_password() -> None:
    user = UserFactory(username="asha")
    device = _enrolled(user)
    client = Client()
    response = client.post(LOGIN, {"username": "asha", "password": PASSWORD, "next": "/accounts/profile/"})
    assert response["Location"] == CODE
    assert client.get("/").status_code == 302  # not signed in yet
    assert "Enter your code" in client.get(CODE).content.decode()
    response = client.post(CODE, {"code": code_for(device.bin_key)})
    assert response["Location"] == "/accounts/profile/"
    assert client.get("/").status_code == 200


def test_a_wrong_code_is_an_error_and_the_right_one_then_works(no_throttle: None) -> None:
    user = UserFactory(username="asha")
    device = _enrolled(user)
    client = Client()
    client.post(LOGIN, {"username": "asha", "password": PASSWORD})
    right = code_for(device.bin_key)
    wrong = "123456" if right != "123456" else "654321"
    body = client.post(CODE, {"code": wrong}).content.decode()
    assert "That code is not right" in body
    body = client.post(CODE, {"code": "12ab"}).content.decode()
    assert "The code must be 6 digits" in body
    assert client.get("/").status_code == 302
    assert client.post(CODE, {"code": right}).status_code == 302
    assert client.get("/").status_code == 200


def test_codes_typed_too_fast_after_a_wrong_one_are_held_back() -> None:
    user = UserFactory(username="asha")
    device = _enrolled(user)
    client = Client()
    client.post(LOGIN, {"username": "asha", "password": PASSWORD})
    right = code_for(device.bin_key)
    client.post(CODE, {"code": "123456" if right != "123456" else "654321"})
    body = client.post(CODE, {"code": right}).content.decode()
    assert "too many wrong codes" in body
    assert client.get("/").status_code == 302


def test_wrong_codes_count_towards_the_lockout(no_throttle: None) -> None:
    user = UserFactory(username="asha")
    device = _enrolled(user)
    client = Client()
    client.post(LOGIN, {"username": "asha", "password": PASSWORD})
    wrong = "123456" if code_for(device.bin_key) != "123456" else "654321"
    for attempt in range(5):
        response = client.post(CODE, {"code": wrong})
        assert response.status_code == 200, attempt
        assert "That code is not right" in response.content.decode()
    response = client.post(CODE, {"code": code_for(device.bin_key)})
    assert response.status_code == 403
    assert "Your account is locked" in response.content.decode()


def test_the_code_step_expires() -> None:
    user = UserFactory(username="asha")
    device = _enrolled(user)
    client = Client()
    client.post(LOGIN, {"username": "asha", "password": PASSWORD})
    session = client.session
    session["iops_pending_sign_in"]["started"] = time.time() - 301
    session.save()
    response = client.post(CODE, {"code": code_for(device.bin_key)})
    assert response["Location"] == LOGIN
    assert client.get("/").status_code == 302


def test_the_code_step_without_a_password_first_goes_back_to_sign_in() -> None:
    assert Client().get(CODE)["Location"] == LOGIN


def test_removing_it_needs_your_password() -> None:
    user = UserFactory()
    _enrolled(user)
    client = Client()
    client.force_login(user)
    body = client.post(reverse("accounts:totp_remove"), {"password": "guess"}).content.decode()
    assert "Your password is not right" in body
    assert TOTPDevice.objects.filter(user=user).exists()
    response = client.post(reverse("accounts:totp_remove"), {"password": PASSWORD})
    assert response["Location"] == reverse("accounts:profile")
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert AuditEntry.objects.filter(operation="accounts.totp_remove").count() == 1


def test_an_administrator_resets_it_for_a_lost_phone(admin_client: Client) -> None:
    user = UserFactory(username="asha")
    _enrolled(user)
    response = admin_client.post(reverse("accounts:user_totp_reset", args=[user.pk]))
    assert response["Location"] == reverse("accounts:user_detail", args=[user.pk])
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert AuditEntry.objects.filter(operation="accounts.totp_reset", record_id=str(user.pk)).count() == 1
    # Now the password alone signs in.
    assert Client().post(LOGIN, {"username": "asha", "password": PASSWORD})["Location"] == "/"
