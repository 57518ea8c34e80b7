"""The accounts API: /me with a bearer token or a session, and a person's own tokens."""

from __future__ import annotations

import pytest
from django.test import Client

from iops.accounts.choices import Role
from iops.accounts.models import ApiToken
from iops.accounts.services import token_create
from iops.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_me_with_a_bearer_token() -> None:
    _, raw = token_create(acting_user=None, user=UserFactory(username="ben", roles=[Role.DISPATCHER]))
    response = Client().get("/api/v1/me", **_bearer(raw))
    assert response.status_code == 200
    assert response.json()["username"] == "ben"
    assert response.json()["roles"] == ["dispatcher"]


def test_me_with_a_session() -> None:
    user = UserFactory(username="asha", first_name="Asha", last_name="Patel", collar_number="S4001")
    client = Client()
    client.force_login(user)
    body = client.get("/api/v1/me").json()
    assert body["name"] == "Asha Patel"
    assert body["collar_number"] == "S4001"


@pytest.mark.parametrize(
    "header", [{}, {"HTTP_AUTHORIZATION": "Bearer iops_nope"}, {"HTTP_AUTHORIZATION": "Basic x"}]
)
def test_me_without_valid_credentials_is_a_json_401(header: dict[str, str]) -> None:
    response = Client().get("/api/v1/me", **header)
    assert response.status_code == 401
    assert response.json() == {
        "code": "unauthenticated",
        "message": "Sign in, or send a valid token as 'Authorization: Bearer <token>'.",
        "field": None,
    }


def test_list_your_own_tokens_only() -> None:
    user, other = UserFactory(), UserFactory()
    mine, raw = token_create(acting_user=None, user=user, name="export")
    token_create(acting_user=None, user=other, name="theirs")
    body = Client().get("/api/v1/me/tokens", **_bearer(raw)).json()
    assert [token["name"] for token in body] == ["export"]
    assert body[0]["prefix"] == mine.prefix
    assert body[0]["usable"] is True
    assert "key_hash" not in body[0]


def test_revoke_your_own_token() -> None:
    user = UserFactory()
    _, keep_raw = token_create(acting_user=None, user=user, name="keep")
    old, old_raw = token_create(acting_user=None, user=user, name="old")
    response = Client().post(f"/api/v1/me/tokens/{old.pk}/revoke", **_bearer(keep_raw))
    assert response.status_code == 200
    assert response.json()["usable"] is False
    assert Client().get("/api/v1/me", **_bearer(old_raw)).status_code == 401
    assert Client().get("/api/v1/me", **_bearer(keep_raw)).status_code == 200


def test_someone_elses_token_is_not_found() -> None:
    _, raw = token_create(acting_user=None, user=UserFactory())
    theirs, _ = token_create(acting_user=None, user=UserFactory())
    response = Client().post(f"/api/v1/me/tokens/{theirs.pk}/revoke", **_bearer(raw))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert ApiToken.objects.get(pk=theirs.pk).revoked_at is None


def test_session_writes_need_the_csrf_token() -> None:
    user = UserFactory()
    token, _ = token_create(acting_user=None, user=user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(f"/api/v1/me/tokens/{token.pk}/revoke")
    assert response.status_code in (401, 403)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_revoking_from_the_profile_page() -> None:
    user = UserFactory()
    token, _ = token_create(acting_user=None, user=user, name="laptop script")
    client = Client()
    client.force_login(user)
    assert "laptop script" in client.get("/accounts/profile/").content.decode()
    response = client.post(f"/accounts/profile/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    other, _ = token_create(acting_user=None, user=UserFactory())
    assert client.post(f"/accounts/profile/tokens/{other.pk}/revoke/").status_code == 404
