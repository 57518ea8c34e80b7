"""Account services: what administrators and the CLI rely on when they create and change accounts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iops.accounts.choices import Rank, Role
from iops.accounts.models import ApiToken, RoleGrantOverride, User
from iops.accounts.services import (
    clean_collar_number,
    clean_totp_code,
    role_grants,
    role_permissions_set,
    roles_sync,
    token_authenticate,
    token_create,
    token_revoke,
    user_create,
    user_password_change,
    user_password_set,
    user_set_active,
    user_update,
)
from iops.accounts.tests.factories import PASSWORD, TeamFactory, UserFactory
from iops.audit.models import AuditEntry
from iops.platform.errors import Conflict, DomainError, PermissionRefused, ValidationFailed

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "lantern-quarry-meadow-81"


def _entries(operation: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(operation=operation).order_by("id"))


# --- user_create ---------------------------------------------------------------------------------


def test_create_makes_an_account_with_its_roles_and_an_audit_entry(admin: User) -> None:
    team = TeamFactory()
    user = user_create(
        acting_user=admin,
        username="jpatel",
        password=GOOD_PASSWORD,
        roles=[Role.CALL_HANDLER, Role.DISPATCHER],
        first_name="Jaya",
        last_name="Patel",
        collar_number=" s 4001 ",
        rank=Rank.POLICE_STAFF,
        team=team,
    )
    user.refresh_from_db()
    assert user.check_password(GOOD_PASSWORD)
    assert user.password.startswith("argon2")
    assert user.role_codes == {"call_handler", "dispatcher"}
    assert user.collar_number == "S4001"
    assert user.district == team.district
    [entry] = _entries("accounts.user_create")
    assert entry.actor_id == admin.pk
    assert entry.record_id == str(user.pk)
    assert entry.detail["roles"] == ["call_handler", "dispatcher"]
    assert GOOD_PASSWORD not in str(entry.detail)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"username": "  "}, "username", "Enter a username"),
        ({"username": "has space"}, "username", "can only contain"),
        ({"collar_number": "40-12"}, "collar_number", "letters and numbers"),
        ({"rank": "general"}, "rank", "Unknown rank"),
        ({"roles": ["sheriff"]}, "roles", "Unknown role 'sheriff'"),
        ({"email": "not-an-email"}, "email", "correct format"),
        ({"password": "short"}, "password", "too short"),
        ({"password": "password123456"}, "password", "too common"),
    ],
)
def test_create_refuses_bad_input_with_the_field_at_fault(
    admin: User, fields: dict[str, Any], field: str, message: str
) -> None:
    arguments: dict[str, Any] = {"username": "newuser", "password": GOOD_PASSWORD, **fields}
    with pytest.raises(ValidationFailed) as raised:
        user_create(acting_user=admin, **arguments)
    assert raised.value.field == field
    assert message in raised.value.message
    assert not User.objects.filter(username="newuser").exists()
    assert not _entries("accounts.user_create")


def test_duplicate_username_is_refused_whatever_the_case(admin: User) -> None:
    user_create(acting_user=admin, username="rjones", password=GOOD_PASSWORD)
    with pytest.raises(Conflict) as raised:
        user_create(acting_user=admin, username="RJones", password=GOOD_PASSWORD)
    assert raised.value.field == "username"
    assert raised.value.status == 409
    assert User.objects.filter(username__iexact="rjones").count() == 1


def test_duplicate_collar_number_is_refused(admin: User) -> None:
    user_create(acting_user=admin, username="first", password=GOOD_PASSWORD, collar_number="4012")
    with pytest.raises(Conflict) as raised:
        user_create(acting_user=admin, username="second", password=GOOD_PASSWORD, collar_number="4012")
    assert raised.value.field == "collar_number"
    assert not User.objects.filter(username="second").exists()


def test_only_user_administrators_may_create_accounts(make_user: Any) -> None:
    supervisor = make_user(Role.SUPERVISOR)
    with pytest.raises(PermissionRefused):
        user_create(acting_user=supervisor, username="sneaky", password=GOOD_PASSWORD)
    assert not User.objects.filter(username="sneaky").exists()


def test_without_a_password_the_account_cannot_sign_in() -> None:
    user = user_create(acting_user=None, username="pending", password=None)
    assert not user.has_usable_password()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    username=st.text(max_size=160),
    collar=st.text(max_size=20),
    first_name=st.text(max_size=160),
)
def test_any_input_gives_an_account_or_a_domain_error(
    admin: User, username: str, collar: str, first_name: str
) -> None:
    """Whatever is typed, the answer is an account or a clear error: never a crash (a 500)."""
    try:
        user = user_create(
            acting_user=admin,
            username=username,
            password=GOOD_PASSWORD,
            collar_number=collar,
            first_name=first_name,
        )
    except DomainError as error:
        assert error.message
        assert error.field in {"username", "collar_number", "first_name", "password"}
    else:
        assert user.pk is not None
        User.objects.filter(pk=user.pk).delete()


@given(st.text(max_size=30))
def test_collar_numbers_are_normalised_or_refused(value: str) -> None:
    try:
        cleaned = clean_collar_number(value)
    except ValidationFailed as error:
        assert error.field == "collar_number"
    else:
        assert cleaned == cleaned.strip().upper()
        assert " " not in cleaned
        assert len(cleaned) <= 16


@given(st.integers(min_value=0, max_value=999_999), st.sampled_from(["", " ", "-"]))
def test_totp_codes_are_accepted_as_people_type_them(number: int, separator: str) -> None:
    digits = f"{number:06d}"
    assert clean_totp_code(f" {digits[:3]}{separator}{digits[3:]} ") == digits


@pytest.mark.parametrize("value", ["", "12345", "1234567", "12a456", "١٢٣٤٥٦"])
def test_totp_codes_that_are_not_six_digits_are_refused(value: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        clean_totp_code(value)
    assert raised.value.field == "code"


# --- user_update, activation, passwords -----------------------------------------------------------


def test_update_changes_details_and_roles_and_records_what_changed(admin: User) -> None:
    user = UserFactory(roles=[Role.CALL_HANDLER], collar_number="1234")
    team = TeamFactory()
    user_update(
        acting_user=admin,
        user=user,
        first_name="Nia",
        last_name=user.last_name,
        email="",
        collar_number="1234",
        rank=Rank.SERGEANT,
        team=team,
        district=team.district,
        roles=[Role.SUPERVISOR],
    )
    user.refresh_from_db()
    assert user.first_name == "Nia"
    assert user.rank == Rank.SERGEANT
    assert user.role_codes == {"supervisor"}
    [entry] = _entries("accounts.user_update")
    changes = entry.detail["changes"]
    assert changes["rank"] == ["pc", "ps"]
    assert changes["roles"] == [["call_handler"], ["supervisor"]]
    assert changes["team"] == [None, team.code]
    assert "last_name" not in changes


def test_update_refuses_a_collar_number_someone_else_has(admin: User) -> None:
    UserFactory(collar_number="7777")
    user = UserFactory(collar_number="1111")
    with pytest.raises(Conflict):
        user_update(
            acting_user=admin,
            user=user,
            first_name="A",
            last_name="B",
            email="",
            collar_number="7777",
            rank=Rank.CONSTABLE,
            team=None,
            district=None,
            roles=[],
        )
    user.refresh_from_db()
    assert user.collar_number == "1111"


def test_administrators_cannot_remove_their_own_administrator_role(admin: User) -> None:
    with pytest.raises(ValidationFailed) as raised:
        user_update(
            acting_user=admin,
            user=admin,
            first_name="A",
            last_name="B",
            email="",
            collar_number=admin.collar_number,
            rank=admin.rank,
            team=None,
            district=None,
            roles=[Role.CALL_HANDLER],
        )
    assert raised.value.field == "roles"
    assert admin.has_role(Role.ADMINISTRATOR)


def test_deactivate_and_reactivate_never_delete(admin: User) -> None:
    user = UserFactory()
    user_set_active(acting_user=admin, user=user, active=False)
    assert User.objects.get(pk=user.pk).is_active is False
    user_set_active(acting_user=admin, user=user, active=False)  # twice: no second entry
    user_set_active(acting_user=admin, user=user, active=True)
    assert User.objects.get(pk=user.pk).is_active is True
    assert len(_entries("accounts.user_deactivate")) == 1
    assert len(_entries("accounts.user_activate")) == 1


def test_administrators_cannot_deactivate_themselves(admin: User) -> None:
    with pytest.raises(ValidationFailed):
        user_set_active(acting_user=admin, user=admin, active=False)


def test_password_reset_by_an_administrator_must_be_changed(admin: User) -> None:
    user = UserFactory()
    user_password_set(acting_user=admin, user=user, password=GOOD_PASSWORD)
    user.refresh_from_db()
    assert user.check_password(GOOD_PASSWORD)
    assert user.must_change_password
    [entry] = _entries("accounts.password_reset")
    assert GOOD_PASSWORD not in str(entry.detail)


def test_changing_your_own_password_needs_the_current_one() -> None:
    user = UserFactory(must_change_password=True)
    with pytest.raises(ValidationFailed) as raised:
        user_password_change(acting_user=user, current_password="wrong", new_password=GOOD_PASSWORD)
    assert raised.value.field == "current_password"
    with pytest.raises(ValidationFailed) as raised:
        user_password_change(acting_user=user, current_password=PASSWORD, new_password=PASSWORD)
    assert raised.value.field == "new_password"
    user_password_change(acting_user=user, current_password=PASSWORD, new_password=GOOD_PASSWORD)
    user.refresh_from_db()
    assert user.check_password(GOOD_PASSWORD)
    assert not user.must_change_password
    assert len(_entries("accounts.password_change")) == 1


# --- roles ---------------------------------------------------------------------------------------


def _group_permissions(role: Role) -> set[str]:
    group = Group.objects.get(name=role.label)
    return {
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
    }


def test_roles_sync_gives_each_role_exactly_its_grants() -> None:
    # Someone fiddled with a group by hand: the sync puts it back.
    Group.objects.get(name=Role.CALL_HANDLER.label).permissions.set(
        Group.objects.get(name=Role.ADMINISTRATOR.label).permissions.all()
    )
    roles_sync()
    grants = role_grants()
    for role in Role:
        assert _group_permissions(role) == grants.get(role.value, set()), role


def test_an_administrators_change_to_a_role_survives_the_sync(admin: User) -> None:
    granted = _group_permissions(Role.SUPERVISOR)
    wanted = (granted - {"accounts.view_team"}) | {"accounts.view_district"}
    role_permissions_set(acting_user=admin, role=Role.SUPERVISOR, permissions=wanted)
    assert _group_permissions(Role.SUPERVISOR) == wanted
    roles_sync()  # as after the next upgrade's migrate
    assert _group_permissions(Role.SUPERVISOR) == wanted
    overrides = {
        (o.permission.codename, o.granted) for o in RoleGrantOverride.objects.filter(role="supervisor")
    }
    assert overrides == {("view_team", False), ("view_district", True)}
    [entry] = _entries("accounts.role_permissions_set")
    assert entry.detail == {
        "role": "supervisor",
        "added": ["accounts.view_district"],
        "removed": ["accounts.view_team"],
    }


def test_setting_a_role_back_to_the_codes_grants_leaves_no_overrides(admin: User) -> None:
    original = _group_permissions(Role.SUPERVISOR)
    role_permissions_set(acting_user=admin, role=Role.SUPERVISOR, permissions=set())
    role_permissions_set(acting_user=admin, role=Role.SUPERVISOR, permissions=original)
    assert not RoleGrantOverride.objects.exists()
    assert _group_permissions(Role.SUPERVISOR) == original


def test_administrators_keep_the_power_to_manage_accounts(admin: User) -> None:
    with pytest.raises(ValidationFailed) as raised:
        role_permissions_set(
            acting_user=admin, role=Role.ADMINISTRATOR, permissions={"accounts.manage_users"}
        )
    assert raised.value.field == "permissions"
    assert "accounts.manage_roles" in _group_permissions(Role.ADMINISTRATOR)


def test_changing_roles_needs_manage_roles_and_known_permissions(admin: User, make_user: Any) -> None:
    with pytest.raises(PermissionRefused):
        role_permissions_set(acting_user=make_user(Role.SUPERVISOR), role="supervisor", permissions=set())
    with pytest.raises(ValidationFailed):
        role_permissions_set(acting_user=admin, role="supervisor", permissions={"accounts.fly"})
    with pytest.raises(ValidationFailed):
        role_permissions_set(acting_user=admin, role="sheriff", permissions=set())


# --- tokens --------------------------------------------------------------------------------------


def test_a_token_authenticates_its_owner_and_is_stored_only_as_a_hash() -> None:
    user = UserFactory()
    token, raw = token_create(acting_user=None, user=user, name="nightly export")
    assert token_authenticate(raw) == user
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw not in (stored.key_hash, stored.prefix)
    assert stored.last_used_at is not None


def test_a_token_user_carries_exactly_the_permissions_of_its_roles_and_grants(
    django_assert_num_queries: Any,
) -> None:
    from django.contrib.auth.models import Permission

    user = user_create(
        acting_user=None, username="tokenuser", password=None, roles=[Role.CALL_HANDLER, Role.DISPATCHER]
    )
    user.user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    _, raw = token_create(acting_user=None, user=user)
    token_authenticate(raw)  # first use writes last_used_at

    with django_assert_num_queries(1):
        authenticated = token_authenticate(raw)
        assert authenticated is not None
        granted = authenticated.get_all_permissions()
        assert authenticated.has_perm("audit.view_auditentry")
    assert granted == User.objects.get(pk=user.pk).get_all_permissions()
    assert "audit.view_auditentry" in granted and len(granted) > 1


def test_the_token_lookup_is_planned_once_per_connection_not_on_every_request() -> None:
    from django.db import connection

    user = user_create(acting_user=None, username="plannedonce", password=None, roles=[Role.CALL_HANDLER])
    _, raw = token_create(acting_user=None, user=user)
    for _ in range(3):
        assert token_authenticate(raw) == user
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%%accounts_apitoken%%key_hash%%'"
        )
        assert cursor.fetchone()[0] == 1


@pytest.mark.parametrize("raw", ["", "nonsense", "iops_not-a-real-token"])
def test_unknown_tokens_authenticate_nobody(raw: str) -> None:
    assert token_authenticate(raw) is None


def test_revoked_expired_and_deactivated_tokens_do_not_work(admin: User) -> None:
    revoked_owner, expired_owner, leaver = UserFactory(), UserFactory(), UserFactory()
    revoked, revoked_raw = token_create(acting_user=None, user=revoked_owner)
    token_revoke(acting_user=revoked_owner, token=revoked)
    assert token_authenticate(revoked_raw) is None

    expired, expired_raw = token_create(acting_user=None, user=expired_owner)
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert token_authenticate(expired_raw) is None

    _, leaver_raw = token_create(acting_user=None, user=leaver)
    assert token_authenticate(leaver_raw) == leaver
    user_set_active(acting_user=admin, user=leaver, active=False)
    assert token_authenticate(leaver_raw) is None


def test_only_the_owner_or_an_administrator_may_revoke_a_token(admin: User) -> None:
    owner, other = UserFactory(), UserFactory()
    token, _ = token_create(acting_user=None, user=owner)
    with pytest.raises(PermissionRefused):
        token_revoke(acting_user=other, token=token)
    token_revoke(acting_user=admin, token=token)
    token_revoke(acting_user=admin, token=token)
    assert len(_entries("accounts.token_revoke")) == 1


def test_tokens_are_not_made_for_deactivated_users() -> None:
    user = UserFactory(is_active=False)
    with pytest.raises(ValidationFailed):
        token_create(acting_user=None, user=user)
