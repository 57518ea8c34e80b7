"""Writers for accounts: roles, users, passwords, second factors and API tokens.

Each service runs in one transaction with its audit entry, so an account never changes without
the log saying who changed it. ``acting_user=None`` means the system (the ``iops`` command, demo
data); any other acting user must hold the permission the change needs, checked here and not only
in the views.
"""

from __future__ import annotations

import re
import secrets
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import Any

from django.apps import apps as django_apps
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_otp.plugins.otp_totp.models import TOTPDevice

from iops.accounts.choices import Rank, Role
from iops.accounts.models import ApiToken, District, RoleGrantOverride, Team, User, hash_token
from iops.audit.access import check_permission
from iops.audit.choices import Action
from iops.audit.services import audit_record
from iops.platform.errors import Conflict, PermissionRefused, ValidationFailed
from iops.platform.prepared import planned_once

TOKEN_PREFIX = "iops_"  # noqa: S105  (a marker, not a secret)
MANAGE_USERS = "accounts.manage_users"
MANAGE_ROLES = "accounts.manage_roles"
PURPOSE = "User administration"

# Administrators must always be able to manage users and roles, or nobody could put it right.
ADMINISTRATOR_KEEPS = frozenset({MANAGE_USERS, MANAGE_ROLES})

COLLAR_NUMBER = re.compile(r"^[A-Z0-9]{1,16}$")
TOTP_CODE = re.compile(r"^[0-9]{6}$")


# --- roles --------------------------------------------------------------------------------------


def role_grants() -> dict[str, set[str]]:
    """Every installed app's ``roles.GRANTS``, merged: role code -> permission names."""
    merged: dict[str, set[str]] = defaultdict(set)
    for config in django_apps.get_app_configs():
        if not config.name.startswith("iops."):
            continue
        try:
            grants = import_string(f"{config.name}.roles.GRANTS")
        except ImportError:
            continue
        for role, permissions in grants.items():
            merged[str(role)].update(permissions)
    return merged


def permission_name(permission: Permission) -> str:
    return f"{permission.content_type.app_label}.{permission.codename}"


def assignable_permissions() -> dict[str, Permission]:
    """Permissions of our own apps (``app_label.codename`` -> row): what a role may be given."""
    labels = [config.label for config in django_apps.get_app_configs() if config.name.startswith("iops.")]
    rows = Permission.objects.filter(content_type__app_label__in=labels).select_related("content_type")
    return {permission_name(row): row for row in rows}


def _overrides_exist() -> bool:
    # During a partial migrate the table may not exist yet; the code's grants still apply.
    return RoleGrantOverride._meta.db_table in connection.introspection.table_names()


def role_overrides() -> dict[str, dict[str, bool]]:
    """Administrators' changes: role code -> permission name -> granted."""
    result: dict[str, dict[str, bool]] = defaultdict(dict)
    if not _overrides_exist():
        return result
    for row in RoleGrantOverride.objects.select_related("permission__content_type"):
        result[row.role][permission_name(row.permission)] = row.granted
    return result


def role_effective_grants() -> dict[str, set[str]]:
    """What each role holds: the code's grants with administrators' overrides applied on top."""
    grants = role_grants()
    overrides = role_overrides()
    effective: dict[str, set[str]] = {}
    for role in Role:
        wanted = set(grants.get(role.value, set()))
        for name, granted in overrides.get(role.value, {}).items():
            if granted:
                wanted.add(name)
            else:
                wanted.discard(name)
        effective[role.value] = wanted
    return effective


def roles_sync() -> dict[str, int]:
    """Make one group per role holding exactly its grants (code, then overrides). Idempotent."""
    effective = role_effective_grants()
    counts: dict[str, int] = {}
    with transaction.atomic():
        known = {permission_name(row): row for row in Permission.objects.select_related("content_type")}
        for role in Role:
            group, _ = Group.objects.get_or_create(name=role.label)
            # A grant naming a permission of an app not installed yet is skipped, not an error:
            # the next migrate that creates it will sync again.
            permissions = [known[name] for name in sorted(effective[role.value]) if name in known]
            group.permissions.set(permissions)
            counts[role.value] = len(permissions)
    return counts


def roles_sync_after_migrate(sender: Any, **kwargs: Any) -> None:
    """post_migrate handler. Permissions are created app by app, so sync after each; it is cheap."""
    roles_sync()


def role_permissions_set(*, acting_user: User, role: str, permissions: Iterable[str]) -> set[str]:
    """Give ``role`` exactly ``permissions``, kept as overrides of the code's grants so they survive
    the sync after each migrate. Returns the role's permissions afterwards."""
    check_permission(acting_user, MANAGE_ROLES)
    try:
        role_enum = Role(role)
    except ValueError as error:
        raise ValidationFailed(f"Unknown role '{role}'.", field="role") from error
    wanted = {str(name) for name in permissions}
    available = assignable_permissions()
    unknown = sorted(wanted - set(available))
    if unknown:
        raise ValidationFailed(f"Unknown permission {unknown[0]}.", field="permissions")
    if role_enum == Role.ADMINISTRATOR and not wanted >= ADMINISTRATOR_KEEPS:
        raise ValidationFailed(
            "Administrators must keep 'manage users' and 'manage roles', or nobody could manage accounts.",
            field="permissions",
        )
    with transaction.atomic():
        before = role_effective_grants()[role_enum.value]
        code = role_grants().get(role_enum.value, set())
        RoleGrantOverride.objects.filter(role=role_enum.value).delete()
        now = timezone.now()
        RoleGrantOverride.objects.bulk_create(
            [
                RoleGrantOverride(
                    role=role_enum.value,
                    permission=available[name],
                    granted=name in wanted,
                    changed_by=acting_user,
                    changed_at=now,
                )
                for name in sorted(wanted ^ code)
                if name in available
            ]
        )
        group, _ = Group.objects.get_or_create(name=role_enum.label)
        group.permissions.set([available[name] for name in sorted(wanted)])
        added, removed = sorted(wanted - before), sorted(before - wanted)
        if added or removed:
            audit_record(
                actor=acting_user,
                action=Action.ALTERATION,
                operation="accounts.role_permissions_set",
                record_type="auth.group",
                record_id=group.pk,
                purpose=PURPOSE,
                detail={"role": role_enum.value, "added": added, "removed": removed},
            )
    return wanted


# --- validation ---------------------------------------------------------------------------------


def _role_groups(roles: Iterable[str]) -> list[Group]:
    groups = []
    for code in roles:
        try:
            role = Role(code)
        except ValueError as error:
            valid = ", ".join(r.value for r in Role)
            raise ValidationFailed(f"Unknown role '{code}'. Roles are: {valid}.", field="roles") from error
        groups.append(Group.objects.get_or_create(name=role.label)[0])
    return groups


def _clean_username(username: str) -> str:
    username = (username or "").strip()
    if not username:
        raise ValidationFailed("Enter a username.", field="username")
    if len(username) > 150:
        raise ValidationFailed("Username must be 150 characters or fewer.", field="username")
    try:
        User.username_validator(username)
    except DjangoValidationError as error:
        raise ValidationFailed(
            "Username can only contain letters, numbers and the characters @ . + - _", field="username"
        ) from error
    return username


def _clean_name(value: str, field: str, label: str) -> str:
    value = (value or "").strip()
    if len(value) > 150:
        raise ValidationFailed(f"{label} must be 150 characters or fewer.", field=field)
    if any(not character.isprintable() for character in value):
        raise ValidationFailed(f"{label} must not contain control characters.", field=field)
    return value


def clean_collar_number(value: str) -> str:
    """Collar and staff numbers are compared as written on a warrant card: no spaces, upper case."""
    value = re.sub(r"\s+", "", value or "").upper()
    if value and not COLLAR_NUMBER.match(value):
        raise ValidationFailed(
            "Staff or collar number can only contain letters and numbers, up to 16 characters.",
            field="collar_number",
        )
    return value


def _clean_email(value: str) -> str:
    value = (value or "").strip()
    if value:
        try:
            validate_email(value)
        except DjangoValidationError as error:
            raise ValidationFailed(
                "Enter an email address in the correct format, like name@example.police.uk.", field="email"
            ) from error
    return value


def _clean_rank(rank: str) -> str:
    if rank not in Rank.values:
        raise ValidationFailed(f"Unknown rank '{rank}'.", field="rank")
    return rank


def _check_password(password: str, user: User, field: str = "password") -> None:
    if not password:
        raise ValidationFailed("Enter a password.", field=field)
    try:
        validate_password(password, user)
    except DjangoValidationError as error:
        raise ValidationFailed(" ".join(error.messages), field=field) from error


def _collar_number_taken(collar_number: str, *, excluding: User | None = None) -> bool:
    if not collar_number:
        return False
    others = User.objects.filter(collar_number=collar_number)
    if excluding is not None:
        others = others.exclude(pk=excluding.pk)
    return others.exists()


def _check_acting(acting_user: User | None, permission: str) -> None:
    if acting_user is not None:
        check_permission(acting_user, permission)


# --- users --------------------------------------------------------------------------------------


def user_create(
    *,
    acting_user: User | None,
    username: str,
    password: str | None,
    roles: Iterable[str] = (),
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    collar_number: str = "",
    rank: str = Rank.POLICE_STAFF,
    team: Team | None = None,
    district: District | None = None,
    must_change_password: bool = False,
    validate: bool = True,
) -> User:
    """Create an account with its roles. ``password=None`` makes an account that cannot sign in yet."""
    _check_acting(acting_user, MANAGE_USERS)
    username = _clean_username(username)
    first_name = _clean_name(first_name, "first_name", "First name")
    last_name = _clean_name(last_name, "last_name", "Last name")
    email = _clean_email(email)
    collar_number = clean_collar_number(collar_number)
    rank = _clean_rank(rank)
    roles = list(roles)
    with transaction.atomic():
        groups = _role_groups(roles)
        if User.objects.filter(username__iexact=username).exists():
            raise Conflict(f"A user called '{username}' already exists.", field="username")
        if _collar_number_taken(collar_number):
            raise Conflict(
                f"Staff or collar number {collar_number} is already in use.", field="collar_number"
            )
        user = User(
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=email,
            collar_number=collar_number,
            rank=rank,
            team=team,
            district=district or (team.district if team else None),
            must_change_password=must_change_password and password is not None,
        )
        if password is None:
            user.set_unusable_password()
        else:
            if validate:
                _check_password(password, user)
            user.set_password(password)
        try:
            # The checks above answer the usual case; the constraints answer a race between two
            # administrators, and must give the same 409, not a 500.
            with transaction.atomic():
                user.save()
        except IntegrityError as error:
            raise Conflict(
                "That username or collar number was taken a moment ago.", field="username"
            ) from error
        user.groups.set(groups)
        audit_record(
            actor=acting_user,
            action=Action.COLLECTION,
            operation="accounts.user_create",
            record_type="accounts.user",
            record_id=user.pk,
            purpose=PURPOSE,
            detail={"username": user.username, "roles": sorted(roles)},
        )
    return user


def _display(value: Any) -> Any:
    if isinstance(value, Team | District):
        return value.code
    return value


def user_update(
    *,
    acting_user: User | None,
    user: User,
    first_name: str,
    last_name: str,
    email: str,
    collar_number: str,
    rank: str,
    team: Team | None,
    district: District | None,
    roles: Iterable[str],
) -> User:
    """Change an account's details and roles. The username never changes: the log names people by it."""
    _check_acting(acting_user, MANAGE_USERS)
    new_values: dict[str, Any] = {
        "first_name": _clean_name(first_name, "first_name", "First name"),
        "last_name": _clean_name(last_name, "last_name", "Last name"),
        "email": _clean_email(email),
        "collar_number": clean_collar_number(collar_number),
        "rank": _clean_rank(rank),
        "team": team,
        "district": district,
    }
    roles = sorted(set(roles))
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        groups = _role_groups(roles)
        old_roles = sorted(user.role_codes)
        if (
            acting_user is not None
            and acting_user.pk == user.pk
            and Role.ADMINISTRATOR.value in old_roles
            and Role.ADMINISTRATOR.value not in roles
        ):
            raise ValidationFailed(
                "You cannot remove your own administrator role. Ask another administrator.", field="roles"
            )
        if _collar_number_taken(new_values["collar_number"], excluding=user):
            raise Conflict(
                f"Staff or collar number {new_values['collar_number']} is already in use.",
                field="collar_number",
            )
        changes: dict[str, list[Any]] = {}
        for field, value in new_values.items():
            old = getattr(user, field)
            if old != value:
                changes[field] = [_display(old), _display(value)]
                setattr(user, field, value)
        if old_roles != roles:
            changes["roles"] = [old_roles, roles]
        if not changes:
            return user
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError as error:
            raise Conflict("That collar number was taken a moment ago.", field="collar_number") from error
        user.groups.set(groups)
        audit_record(
            actor=acting_user,
            action=Action.ALTERATION,
            operation="accounts.user_update",
            record_type="accounts.user",
            record_id=user.pk,
            purpose=PURPOSE,
            detail={"username": user.username, "changes": changes},
        )
    return user


def user_set_active(*, acting_user: User | None, user: User, active: bool) -> User:
    """Deactivate or reactivate an account. Accounts are never deleted: the log refers to them."""
    _check_acting(acting_user, MANAGE_USERS)
    if acting_user is not None and acting_user.pk == user.pk and not active:
        raise ValidationFailed("You cannot deactivate your own account.", field="is_active")
    with transaction.atomic():
        changed = User.objects.filter(pk=user.pk, is_active=not active).update(is_active=active)
        user.refresh_from_db()
        if changed:
            audit_record(
                actor=acting_user,
                action=Action.ALTERATION,
                operation="accounts.user_activate" if active else "accounts.user_deactivate",
                record_type="accounts.user",
                record_id=user.pk,
                purpose=PURPOSE,
                detail={"username": user.username, "is_active": active},
            )
    return user


def user_password_set(
    *, acting_user: User | None, user: User, password: str, must_change: bool = True
) -> User:
    """An administrator sets someone's password, normally one they must replace at next sign-in."""
    _check_acting(acting_user, MANAGE_USERS)
    _check_password(password, user)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.set_password(password)
        user.must_change_password = must_change
        user.save(update_fields=["password", "must_change_password"])
        audit_record(
            actor=acting_user,
            action=Action.ALTERATION,
            operation="accounts.password_reset",
            record_type="accounts.user",
            record_id=user.pk,
            purpose=PURPOSE,
            detail={"username": user.username, "must_change_password": must_change},
        )
    return user


def user_password_change(*, acting_user: User, current_password: str, new_password: str) -> User:
    """Someone changes their own password, proving they know the current one."""
    if not acting_user.is_authenticated:
        raise PermissionRefused("Sign in to change your password.")
    if not acting_user.check_password(current_password or ""):
        raise ValidationFailed("Your current password is not right.", field="current_password")
    if new_password == current_password:
        raise ValidationFailed("Choose a password different from your current one.", field="new_password")
    _check_password(new_password, acting_user, field="new_password")
    with transaction.atomic():
        acting_user.set_password(new_password)
        acting_user.must_change_password = False
        acting_user.save(update_fields=["password", "must_change_password"])
        audit_record(
            actor=acting_user,
            action=Action.ALTERATION,
            operation="accounts.password_change",
            record_type="accounts.user",
            record_id=acting_user.pk,
            purpose="Own account",
            detail={"username": acting_user.username},
        )
    return acting_user


def user_unlock(*, acting_user: User | None, user: User) -> int:
    """Clear the failed sign-in attempts that locked an account. Returns how many were cleared."""
    from axes.utils import reset

    _check_acting(acting_user, MANAGE_USERS)
    with transaction.atomic():
        cleared = int(reset(username=user.username))
        audit_record(
            actor=acting_user,
            action=Action.ALTERATION,
            operation="accounts.user_unlock",
            record_type="accounts.user",
            record_id=user.pk,
            purpose=PURPOSE,
            detail={"username": user.username, "attempts_cleared": cleared},
        )
    return cleared


# --- second factor (TOTP) -----------------------------------------------------------------------


def clean_totp_code(value: str) -> str:
    """A code as people type it ("123 456", "123-456") -> "123456", or a clear error."""
    code = re.sub(r"[\s-]", "", value or "")
    if not code:
        raise ValidationFailed("Enter the 6-digit code from your authenticator app.", field="code")
    if not TOTP_CODE.match(code):
        raise ValidationFailed("The code must be 6 digits, like 123456.", field="code")
    return code


def totp_device_for(user: User, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("-pk").first()


def totp_enrol_start(*, acting_user: User) -> TOTPDevice:
    """The unconfirmed device someone is setting up, made once so a reload keeps the same secret."""
    if totp_device_for(acting_user) is not None:
        raise Conflict("Two-step verification is already set up for your account.")
    with transaction.atomic():
        device = totp_device_for(acting_user, confirmed=False)
        if device is None:
            device = TOTPDevice.objects.create(user=acting_user, name="Authenticator app", confirmed=False)
    return device


def totp_enrol_confirm(*, acting_user: User, code: str) -> TOTPDevice:
    """Turn on two-step verification once the person proves their app makes the right codes."""
    code = clean_totp_code(code)
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=acting_user, confirmed=False)
            .order_by("-pk")
            .first()
        )
        if device is None:
            raise Conflict("Start setting up two-step verification again.", field="code")
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            raise ValidationFailed("Too many wrong codes. Wait a minute and try again.", field="code")
        if not device.verify_token(code):
            raise ValidationFailed("That code is not right. Enter the code your app shows now.", field="code")
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=acting_user).exclude(pk=device.pk).delete()
        audit_record(
            actor=acting_user,
            action=Action.ALTERATION,
            operation="accounts.totp_enrol",
            record_type="accounts.user",
            record_id=acting_user.pk,
            purpose="Own account",
            detail={"username": acting_user.username},
        )
    return device


def totp_remove(*, acting_user: User, password: str) -> None:
    """Someone turns off their own two-step verification, re-entering their password to prove it."""
    if not acting_user.check_password(password or ""):
        raise ValidationFailed("Your password is not right.", field="password")
    with transaction.atomic():
        removed, _ = TOTPDevice.objects.filter(user=acting_user).delete()
        if removed:
            audit_record(
                actor=acting_user,
                action=Action.ALTERATION,
                operation="accounts.totp_remove",
                record_type="accounts.user",
                record_id=acting_user.pk,
                purpose="Own account",
                detail={"username": acting_user.username},
            )


def totp_reset(*, acting_user: User | None, user: User) -> bool:
    """An administrator removes someone's second factor (a lost phone). Returns whether there was one."""
    _check_acting(acting_user, MANAGE_USERS)
    with transaction.atomic():
        removed, _ = TOTPDevice.objects.filter(user=user).delete()
        if removed:
            audit_record(
                actor=acting_user,
                action=Action.ALTERATION,
                operation="accounts.totp_reset",
                record_type="accounts.user",
                record_id=user.pk,
                purpose=PURPOSE,
                detail={"username": user.username},
            )
    return bool(removed)


# --- API tokens ---------------------------------------------------------------------------------


def token_create(
    *, acting_user: User | None, user: User, name: str = "", expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Make an API token for ``user``. Returns the row and the raw token, which is never stored."""
    if acting_user is not None and acting_user.pk != user.pk:
        check_permission(acting_user, MANAGE_USERS)
    name = (name or "").strip()
    if len(name) > 100:
        raise ValidationFailed("Keep the token's name under 100 characters.", field="name")
    if not user.is_active:
        raise ValidationFailed(f"User '{user.username}' is deactivated.", field="username")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed("The expiry must be in the future.", field="expires_at")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, prefix=raw[:12], key_hash=hash_token(raw), expires_at=expires_at
        )
        audit_record(
            actor=acting_user,
            action=Action.ALTERATION,
            operation="accounts.token_create",
            record_type="accounts.user",
            record_id=user.pk,
            purpose="API access",
            detail={"token_prefix": token.prefix, "name": name},
        )
    return token, raw


def token_revoke(*, acting_user: User | None, token: ApiToken) -> ApiToken:
    """Stop a token working. Its owner or a user administrator may; revoking twice changes nothing."""
    if acting_user is not None and acting_user.pk != token.user_id:
        check_permission(acting_user, MANAGE_USERS)
    with transaction.atomic():
        now = timezone.now()
        changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
        token.refresh_from_db()
        if changed:
            audit_record(
                actor=acting_user,
                action=Action.ALTERATION,
                operation="accounts.token_revoke",
                record_type="accounts.user",
                record_id=token.user_id,
                purpose="API access",
                detail={"token_prefix": token.prefix, "name": token.name},
            )
    return token


# Every permission of a token's user, direct or through a role, as "app_label.codename".
_PERMISSION_NAMES_SQL = """
    ARRAY(
        SELECT ct.app_label || '.' || p.codename
        FROM auth_permission p JOIN django_content_type ct ON ct.id = p.content_type_id
        WHERE p.id IN (
            SELECT up.permission_id FROM accounts_user_user_permissions up
            WHERE up.user_id = t.user_id
            UNION
            SELECT gp.permission_id FROM auth_group_permissions gp
            JOIN accounts_user_groups ug ON ug.group_id = gp.group_id
            WHERE ug.user_id = t.user_id
        )
    )
"""


@cache
def _token_query() -> tuple[str, list[str], list[str]]:
    """The token lookup, as constant SQL built once from the models: the token's columns, its
    user's, and the user's permissions. The ORM took longer to compile this query on every API
    request than PostgreSQL took to run it."""
    quote = connection.ops.quote_name
    token_fields = [field.attname for field in ApiToken._meta.concrete_fields]
    user_fields = [field.attname for field in User._meta.concrete_fields]
    columns = [f"t.{quote(field.column)}" for field in ApiToken._meta.concrete_fields]
    columns += [f"u.{quote(field.column)}" for field in User._meta.concrete_fields]
    sql = (
        f"SELECT {', '.join(columns)}, {_PERMISSION_NAMES_SQL} "
        f"FROM {quote(ApiToken._meta.db_table)} t JOIN {quote(User._meta.db_table)} u ON u.id = t.user_id "
        "WHERE t.key_hash = %s LIMIT 1"
    )
    return sql, token_fields, user_fields


def token_authenticate(raw: str) -> User | None:
    """The active user a bearer token belongs to, or None. Records when the token was last used."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    # One round trip: the token, its user and the user's permissions (which Django would otherwise
    # fetch in two more queries at the first permission check of the request).
    sql, token_fields, user_fields = _token_query()
    with planned_once() as cursor:
        cursor.execute(sql, [hash_token(raw)])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(token_fields)
    token = ApiToken.from_db(connection.alias, token_fields, row[:split])
    user = User.from_db(connection.alias, user_fields, row[split : split + len(user_fields)])
    token.user = user
    if not token.is_usable:
        return None
    # The cache ModelBackend.get_all_permissions fills on first use: the same set, already fetched.
    user._perm_cache = set(row[-1])  # type: ignore[attr-defined]
    now = timezone.now()
    # Write last use at most once a minute: a busy client must not turn every read into a write.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return user
