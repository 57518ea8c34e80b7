"""Signing in and out: wrong passwords, the lockout on the sixth attempt, the idle timeout, and
the forced password change."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from iops.accounts.choices import Role
from iops.accounts.middleware import SESSION_KEY
from iops.accounts.models import User
from iops.accounts.selectors import locked_usernames
from iops.accounts.services import user_unlock
from iops.accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
WRONG = "The username or password is not right"
LOCKED = "Your account is locked"


def _sign_in(client: Client, username: str, password: str, **extra: Any) -> Any:
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def test_the_right_password_signs_in_and_goes_home() -> None:
    UserFactory(username="asha", roles=[Role.CALL_HANDLER])
    client = Client()
    response = _sign_in(client, "asha", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "Calls you are taking" in home.content.decode()


def test_after_signing_in_you_go_where_you_were_heading_but_never_off_site() -> None:
    UserFactory(username="asha")
    client = Client()
    assert _sign_in(client, "asha", PASSWORD, next="/accounts/profile/")["Location"] == "/accounts/profile/"
    client.post("/accounts/logout/")
    assert _sign_in(client, "asha", PASSWORD, next="https://evil.example/")["Location"] == "/"


def test_a_wrong_password_gives_a_clear_error() -> None:
    UserFactory(username="asha")
    response = _sign_in(Client(), "asha", "not-it")
    assert response.status_code == 200
    body = response.content.decode()
    assert WRONG in body
    assert "govuk-error-summary" in body
    assert "_auth_user_id" not in Client().session


def test_empty_fields_are_named_in_the_error_summary() -> None:
    body = _sign_in(Client(), "", "").content.decode()
    assert 'href="#id_username">Enter your username.' in body
    assert 'href="#id_password">Enter your password.' in body


def test_five_wrong_passwords_each_say_so_and_the_sixth_attempt_is_refused() -> None:
    UserFactory(username="asha")
    client = Client()
    for attempt in range(1, 6):
        response = _sign_in(client, "asha", f"wrong-{attempt}")
        assert response.status_code == 200, attempt
        assert WRONG in response.content.decode(), attempt
        assert LOCKED not in response.content.decode(), attempt
    # The sixth attempt is refused even with the right password.
    response = _sign_in(client, "asha", PASSWORD)
    assert response.status_code == 403
    body = response.content.decode()
    assert LOCKED in body
    assert "Try again in 30 minutes" in body
    assert "_auth_user_id" not in client.session
    # And it stays locked, from another browser too.
    assert _sign_in(Client(), "asha", PASSWORD).status_code == 403
    assert locked_usernames() == {"asha"}


def test_the_lock_is_per_account() -> None:
    UserFactory(username="asha")
    UserFactory(username="ben")
    client = Client()
    for _ in range(5):
        _sign_in(client, "asha", "wrong")
    assert _sign_in(client, "ben", PASSWORD).status_code == 302


def test_a_success_before_the_limit_starts_the_count_again() -> None:
    UserFactory(username="asha")
    client = Client()
    for _ in range(4):
        _sign_in(client, "asha", "wrong")
    assert _sign_in(client, "asha", PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(4):
        assert _sign_in(client, "asha", "wrong").status_code == 200
    assert _sign_in(client, "asha", PASSWORD).status_code == 302


def test_an_administrator_unlocks_an_account(admin: User) -> None:
    user = UserFactory(username="asha")
    for _ in range(5):
        _sign_in(Client(), "asha", "wrong")
    assert _sign_in(Client(), "asha", PASSWORD).status_code == 403
    user_unlock(acting_user=admin, user=user)
    assert locked_usernames() == set()
    assert _sign_in(Client(), "asha", PASSWORD).status_code == 302


def test_our_count_of_locked_accounts_agrees_with_axes() -> None:
    UserFactory(username="asha")
    for attempt in range(5):
        assert locked_usernames() == set(), attempt
        _sign_in(Client(), "asha", "wrong")
    assert locked_usernames() == {"asha"}
    assert _sign_in(Client(), "asha", PASSWORD).status_code == 403


def test_a_deactivated_account_is_told_so_only_with_the_right_password() -> None:
    UserFactory(username="leaver", is_active=False)
    assert "has been deactivated" in _sign_in(Client(), "leaver", PASSWORD).content.decode()
    body = _sign_in(Client(), "leaver", "guess").content.decode()
    assert "deactivated" not in body
    assert WRONG in body


def test_sign_out_is_a_post_and_get_asks_to_confirm() -> None:
    user = UserFactory()
    client = Client()
    client.force_login(user)
    page = client.get("/accounts/logout/")
    assert page.status_code == 200
    assert client.get("/").status_code == 200  # still signed in
    response = client.post("/accounts/logout/")
    assert response["Location"] == reverse("accounts:login")
    assert client.get("/").status_code == 302


def test_an_idle_session_is_signed_out(settings: Any) -> None:
    settings.IOPS_IDLE_TIMEOUT_SECONDS = 60
    user = UserFactory()
    client = Client()
    client.force_login(user)
    assert client.get("/").status_code == 200
    session = client.session
    session[SESSION_KEY] = time.time() - 61
    session.save()
    response = client.get("/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Faccounts%2Fprofile%2F"
    login_page = client.get(response["Location"])
    assert "You were signed out after 1 minute without activity" in login_page.content.decode()
    assert client.get("/").status_code == 302


def test_activity_within_the_timeout_keeps_the_session(settings: Any) -> None:
    settings.IOPS_IDLE_TIMEOUT_SECONDS = 60
    client = Client()
    client.force_login(UserFactory())
    client.get("/")
    session = client.session
    session[SESSION_KEY] = time.time() - 59
    session.save()
    assert client.get("/accounts/profile/").status_code == 200


def test_an_idle_api_session_gets_a_json_401(settings: Any) -> None:
    settings.IOPS_IDLE_TIMEOUT_SECONDS = 60
    client = Client()
    client.force_login(UserFactory())
    client.get("/api/v1/me")
    session = client.session
    session[SESSION_KEY] = time.time() - 3600
    session.save()
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "session_expired"


def test_a_password_given_by_an_administrator_must_be_replaced_first() -> None:
    user = UserFactory(username="newstarter", must_change_password=True)
    client = Client()
    assert _sign_in(client, "newstarter", PASSWORD)["Location"] == "/"
    response = client.get("/")
    assert response["Location"] == reverse("accounts:password_change")
    assert client.get("/api/v1/me").json()["code"] == "password_change_required"
    page = client.get(reverse("accounts:password_change"))
    assert "Choose your own password" in page.content.decode()
    response = client.post(
        reverse("accounts:password_change"),
        {
            "current_password": PASSWORD,
            "new_password": "kestrel-orchard-violet-19",
            "confirm_password": "kestrel-orchard-violet-19",
        },
    )
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200  # still signed in after the change
    user.refresh_from_db()
    assert not user.must_change_password


def test_password_change_form_errors() -> None:
    client = Client()
    client.force_login(UserFactory())
    body = client.post(
        reverse("accounts:password_change"),
        {"current_password": "wrong", "new_password": "kestrel-orchard-violet-19", "confirm_password": "x"},
    ).content.decode()
    assert "The passwords do not match." in body
    body = client.post(
        reverse("accounts:password_change"),
        {
            "current_password": "wrong",
            "new_password": "kestrel-orchard-violet-19",
            "confirm_password": "kestrel-orchard-violet-19",
        },
    ).content.decode()
    assert "Your current password is not right." in body
