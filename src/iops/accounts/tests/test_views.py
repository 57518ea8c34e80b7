"""Administrators' pages and the permission matrix: who may open what."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from iops.accounts.choices import Rank, Role
from iops.accounts.models import RoleGrantOverride, User
from iops.accounts.services import role_effective_grants
from iops.accounts.tests.factories import PASSWORD, TeamFactory, UserFactory
from iops.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def _client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


ADMIN_PAGES = [
    ("accounts:user_list", False),
    ("accounts:user_create", False),
    ("accounts:user_detail", True),
    ("accounts:user_edit", True),
    ("accounts:user_password", True),
    ("accounts:role_list", False),
]


@pytest.mark.parametrize(("name", "needs_pk"), ADMIN_PAGES)
def test_permission_matrix_for_administrators_pages(make_user: Any, name: str, needs_pk: bool) -> None:
    subject = UserFactory()
    url = reverse(name, args=[subject.pk] if needs_pk else [])

    anonymous = _client(None).get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/?next=")

    wrong_role = _client(make_user(Role.SUPERVISOR)).get(url)
    assert wrong_role.status_code == 403
    assert "You do not have access to this page" in wrong_role.content.decode()

    assert _client(make_user(Role.ADMINISTRATOR)).get(url).status_code == 200


def test_changing_a_role_needs_manage_roles(admin: User, make_user: Any) -> None:
    url = reverse("accounts:role_edit", args=["supervisor"])
    assert _client(None).get(url).status_code == 302
    assert _client(make_user(Role.DATA_PROTECTION_OFFICER)).get(url).status_code == 403
    assert _client(admin).get(url).status_code == 200
    assert _client(admin).get(reverse("accounts:role_edit", args=["sheriff"])).status_code == 404


@pytest.mark.parametrize("name", ["accounts:user_unlock", "accounts:user_totp_reset", "accounts:user_active"])
def test_account_actions_are_posts_for_administrators_only(make_user: Any, name: str) -> None:
    subject = UserFactory()
    url = reverse(name, args=[subject.pk])
    assert _client(None).post(url).status_code == 302
    assert _client(make_user(Role.CALL_HANDLER)).post(url).status_code == 403
    assert _client(make_user(Role.ADMINISTRATOR)).get(url).status_code == 405


def test_own_pages_need_only_sign_in(make_user: Any) -> None:
    for name in ["accounts:profile", "accounts:password_change", "accounts:totp_enrol"]:
        url = reverse(name)
        assert _client(None).get(url).status_code == 302
        assert _client(make_user(Role.CALL_HANDLER)).get(url).status_code == 200


def test_a_missing_user_is_a_friendly_404(admin_client: Client) -> None:
    response = admin_client.get(reverse("accounts:user_detail", args=[999999]))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_user_list_searches_names_usernames_and_collar_numbers(admin_client: Client) -> None:
    UserFactory(first_name="Asha", last_name="Patel", username="apatel", collar_number="S4001")
    UserFactory(first_name="Ben", last_name="Okafor", username="bokafor", collar_number="4002")
    for query, expected in [
        ("patel", "apatel"),
        ("asha patel", "apatel"),
        ("bokafor", "bokafor"),
        ("4002", "bokafor"),
        ("s4001", "apatel"),
    ]:
        body = admin_client.get(reverse("accounts:user_list"), {"q": query}).content.decode()
        assert expected in body, query
        other = "bokafor" if expected == "apatel" else "apatel"
        assert other not in body, query


def test_user_list_filters_by_role_team_and_status(admin_client: Client) -> None:
    team = TeamFactory()
    UserFactory(username="handler", roles=[Role.CALL_HANDLER], team=team)
    UserFactory(username="investigator", roles=[Role.INVESTIGATOR])
    UserFactory(username="leaver", roles=[Role.CALL_HANDLER], is_active=False)
    url = reverse("accounts:user_list")

    def usernames(**filters: Any) -> set[str]:
        body = admin_client.get(url, filters).content.decode()
        return {name for name in ["handler", "investigator", "leaver", "admin"] if f">{name}<" in body}

    assert usernames(role="call_handler") == {"handler", "leaver"}
    assert usernames(team=team.pk) == {"handler"}
    assert usernames(status="deactivated") == {"leaver"}
    assert usernames(role="call_handler", status="active") == {"handler"}
    assert usernames() == {"handler", "investigator", "leaver", "admin"}


def test_user_list_is_paginated_and_each_page_is_logged(admin_client: Client, admin: User) -> None:
    for number in range(30):
        UserFactory(username=f"officer{number:02d}", last_name=f"Zed{number:02d}")
    first = admin_client.get(reverse("accounts:user_list"))
    assert "31 users" in first.content.decode()
    assert 'aria-label="Page 2"' in first.content.decode()
    second = admin_client.get(reverse("accounts:user_list"), {"page": 2})
    assert second.status_code == 200
    assert "officer29" in second.content.decode()
    assert admin_client.get(reverse("accounts:user_list"), {"page": "nonsense"}).status_code == 200
    entries = AuditEntry.objects.filter(operation="accounts.user_search", actor=admin).order_by("id")
    assert entries.count() == 3
    assert len(entries[0].detail["ids"]) == 25
    assert len(entries[1].detail["ids"]) == 6


def test_user_list_queries_do_not_grow_with_the_page(
    admin_client: Client, django_assert_max_num_queries: Any
) -> None:
    team = TeamFactory()
    for _ in range(25):
        UserFactory(roles=[Role.CALL_HANDLER], team=team)
    with django_assert_max_num_queries(20):
        admin_client.get(reverse("accounts:user_list"))


def test_administrator_creates_a_user(admin_client: Client, admin: User) -> None:
    team = TeamFactory()
    response = admin_client.post(
        reverse("accounts:user_create"),
        {
            "username": "cwilliams",
            "first_name": "Cerys",
            "last_name": "Williams",
            "email": "",
            "collar_number": "4321",
            "rank": Rank.CONSTABLE,
            "team": team.pk,
            "district": "",
            "roles": [Role.RESPONSE_OFFICER, Role.INVESTIGATOR],
            "password": "kestrel-orchard-violet-19",
            "must_change_password": "on",
        },
    )
    user = User.objects.get(username="cwilliams")
    assert response["Location"] == reverse("accounts:user_detail", args=[user.pk])
    assert user.role_codes == {"response_officer", "investigator"}
    assert user.team == team
    assert user.district == team.district
    assert user.must_change_password
    assert AuditEntry.objects.filter(operation="accounts.user_create", actor=admin).count() == 1


def test_create_form_shows_service_errors_on_the_field(admin_client: Client) -> None:
    UserFactory(username="taken", collar_number="4321")
    body = admin_client.post(
        reverse("accounts:user_create"),
        {
            "username": "taken",
            "first_name": "A",
            "last_name": "B",
            "rank": Rank.CONSTABLE,
            "password": "kestrel-orchard-violet-19",
        },
    ).content.decode()
    assert 'href="#id_username">A user called &#x27;taken&#x27; already exists.' in body
    body = admin_client.post(
        reverse("accounts:user_create"),
        {"username": "new", "first_name": "", "last_name": "B", "rank": "general", "password": "short"},
    ).content.decode()
    assert 'href="#id_first_name">Enter their first name.' in body
    assert 'href="#id_rank">' in body
    assert not User.objects.filter(username="new").exists()


def test_administrator_edits_a_user(admin_client: Client) -> None:
    user = UserFactory(roles=[Role.CALL_HANDLER], collar_number="1000")
    page = admin_client.get(reverse("accounts:user_edit", args=[user.pk])).content.decode()
    assert 'value="call_handler" checked' in page
    response = admin_client.post(
        reverse("accounts:user_edit", args=[user.pk]),
        {
            "first_name": user.first_name,
            "last_name": "Newname",
            "email": "",
            "collar_number": "1000",
            "rank": Rank.SERGEANT,
            "team": "",
            "district": "",
            "roles": [Role.SUPERVISOR],
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.last_name == "Newname"
    assert user.role_codes == {"supervisor"}


def test_administrator_resets_a_password(admin_client: Client) -> None:
    user = UserFactory(username="asha")
    response = admin_client.post(
        reverse("accounts:user_password", args=[user.pk]),
        {"password": "kestrel-orchard-violet-19", "must_change_password": "on"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("kestrel-orchard-violet-19")
    assert user.must_change_password
    body = admin_client.post(
        reverse("accounts:user_password", args=[user.pk]), {"password": "123"}
    ).content.decode()
    assert "too short" in body


def test_administrator_deactivates_and_reactivates(admin_client: Client, admin: User) -> None:
    user = UserFactory(username="leaver")
    admin_client.post(reverse("accounts:user_active", args=[user.pk]), {"active": "0"})
    user.refresh_from_db()
    assert not user.is_active
    assert Client().post("/accounts/login/", {"username": "leaver", "password": PASSWORD}).status_code == 200
    admin_client.post(reverse("accounts:user_active", args=[user.pk]), {"active": "1"})
    user.refresh_from_db()
    assert user.is_active
    # Their own account: refused with a message, nothing changes.
    response = admin_client.post(
        reverse("accounts:user_active", args=[admin.pk]), {"active": "0"}, follow=True
    )
    assert "You cannot deactivate your own account." in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active


def test_administrator_unlocks_a_locked_account(admin_client: Client) -> None:
    user = UserFactory(username="asha")
    for _ in range(5):
        Client().post("/accounts/login/", {"username": "asha", "password": "wrong"})
    detail = admin_client.get(reverse("accounts:user_detail", args=[user.pk])).content.decode()
    assert "Locked out" in detail
    assert "Unlock account" in detail
    admin_client.post(reverse("accounts:user_unlock", args=[user.pk]))
    assert (
        "Unlock account"
        not in admin_client.get(reverse("accounts:user_detail", args=[user.pk])).content.decode()
    )
    assert Client().post("/accounts/login/", {"username": "asha", "password": PASSWORD}).status_code == 302


def test_roles_page_lists_each_role_with_its_permissions(admin_client: Client) -> None:
    body = admin_client.get(reverse("accounts:role_list")).content.decode()
    for role in Role:
        assert f'id="role-{role.value}"' in body
    assert "(accounts.manage_users)" in body


def test_administrator_changes_a_roles_permissions(admin_client: Client, admin: User) -> None:
    url = reverse("accounts:role_edit", args=["supervisor"])
    page = admin_client.get(url).content.decode()
    assert 'value="accounts.view_team" checked' in page
    # Keep what other apps grant supervisors; change two of the accounts permissions.
    wanted = (role_effective_grants()["supervisor"] - {"accounts.view_team"}) | {"accounts.view_district"}
    form: dict[str, list[str]] = {}
    for name in wanted:
        form.setdefault(f"app_{name.split('.')[0]}", []).append(name)
    response = admin_client.post(url, form)
    assert response.status_code == 302
    supervisor = UserFactory(roles=[Role.SUPERVISOR])
    assert supervisor.has_perm("accounts.view_district")
    assert not supervisor.has_perm("accounts.view_team")
    assert RoleGrantOverride.objects.filter(role="supervisor").count() == 2
    assert AuditEntry.objects.filter(operation="accounts.role_permissions_set", actor=admin).count() == 1
    assert "Changed by an administrator" in admin_client.get(reverse("accounts:role_list")).content.decode()


def test_removing_administrators_own_powers_is_refused_on_the_form(admin_client: Client) -> None:
    url = reverse("accounts:role_edit", args=["administrator"])
    body = admin_client.post(url, {"app_accounts": ["accounts.view_user"]}).content.decode()
    assert "Administrators must keep" in body


def test_home_page_shows_each_roles_panel(make_user: Any) -> None:
    for role in Role:
        body = _client(make_user(role)).get("/").content.decode()
        assert 'class="iops-panel"' in body, role
    body = _client(make_user(Role.DATA_PROTECTION_OFFICER)).get("/").content.decode()
    assert "Break-glass accesses to review" in body
    assert reverse("audit:search") in body
    assert "Calls you are taking" not in body


def test_a_user_with_no_role_sees_that_nothing_needs_them() -> None:
    body = _client(UserFactory()).get("/").content.decode()
    assert "Nothing needs you right now" in body


def test_administrators_home_lists_locked_accounts(make_user: Any) -> None:
    UserFactory(username="asha", first_name="Asha", last_name="Patel")
    admin = make_user(Role.ADMINISTRATOR)
    assert "No accounts are locked out." in _client(admin).get("/").content.decode()
    for _ in range(5):
        Client().post("/accounts/login/", {"username": "asha", "password": "wrong"})
    body = _client(admin).get("/").content.decode()
    assert "Asha Patel (asha)" in body


def test_navigation_follows_permissions(make_user: Any) -> None:
    admin_body = _client(make_user(Role.ADMINISTRATOR)).get("/").content.decode()
    handler_body = _client(make_user(Role.CALL_HANDLER)).get("/").content.decode()
    assert f'href="{reverse("accounts:user_list")}"' in admin_body
    assert f'href="{reverse("accounts:user_list")}"' not in handler_body
