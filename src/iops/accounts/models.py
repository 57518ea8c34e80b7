"""People who use iOPS, where they sit in the force, and the tokens scripts use to call the API."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser, Permission
from django.db import models
from django.utils import timezone

from iops.accounts.choices import Rank, Role, TeamKind
from iops.platform.models import Force, default_force_id


class District(models.Model):
    """An organisational district (basic command unit). Its map boundary lives in ``geo``."""

    force = models.ForeignKey(Force, on_delete=models.PROTECT, default=default_force_id, related_name="+")
    code = models.CharField(max_length=16)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["force", "code"], name="district_code_unique_in_force")
        ]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A team or unit people belong to; supervisors see their team's queues."""

    force = models.ForeignKey(Force, on_delete=models.PROTECT, default=default_force_id, related_name="+")
    code = models.CharField(max_length=32)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=32, choices=TeamKind.choices)
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, null=True, blank=True, related_name="teams"
    )
    supervisor = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="supervised_teams"
    )

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["force", "code"], name="team_code_unique_in_force")]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A member of staff or officer. Roles are groups (``Role``); ``collar_number`` is the staff or
    collar number shown beside every action they take."""

    force = models.ForeignKey(Force, on_delete=models.PROTECT, default=default_force_id, related_name="+")
    collar_number = models.CharField("Staff or collar number", max_length=16, blank=True)
    rank = models.CharField(max_length=8, choices=Rank.choices, default=Rank.POLICE_STAFF)
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="members")
    district = models.ForeignKey(
        District, on_delete=models.SET_NULL, null=True, blank=True, related_name="staff"
    )
    # Set when an administrator gives someone a password: it is known to two people until the
    # owner replaces it, so nothing else is usable until they do.
    must_change_password = models.BooleanField(default=False)

    class Meta:
        ordering = ["last_name", "first_name", "username"]
        constraints = [
            models.UniqueConstraint(
                fields=["force", "collar_number"],
                condition=~models.Q(collar_number=""),
                name="collar_number_unique_in_force",
            )
        ]
        permissions = [
            ("manage_users", "Create and change user accounts and their roles"),
            ("manage_roles", "Change which permissions each role has"),
        ]

    def __str__(self) -> str:
        label = self.get_full_name() or self.username
        return f"{label} ({self.collar_number})" if self.collar_number else label

    @property
    def role_codes(self) -> set[str]:
        labels = {group.name for group in self.groups.all()}
        return {role.value for role in Role if role.label in labels}

    def has_role(self, role: Role | str) -> bool:
        code = role.value if isinstance(role, Role) else role
        return code in self.role_codes

    @property
    def display_rank(self) -> str:
        return Rank(self.rank).label if self.rank else ""


class RoleGrantOverride(models.Model):
    """An administrator's change to what a role may do, kept on top of the code's ``GRANTS``.

    ``roles_sync`` (run after every migrate) rebuilds each role's group from the code and then
    applies these rows, so a change made on the roles page survives upgrades. ``granted=False``
    takes away a permission the code grants; ``granted=True`` adds one it does not.
    """

    role = models.CharField(max_length=32, choices=Role.choices)
    permission = models.ForeignKey(Permission, on_delete=models.CASCADE, related_name="+")
    granted = models.BooleanField()
    changed_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["role", "permission_id"]
        constraints = [
            models.UniqueConstraint(fields=["role", "permission"], name="role_grant_override_unique")
        ]

    def __str__(self) -> str:
        verb = "grants" if self.granted else "withholds"
        return f"{Role(self.role).label} {verb} {self.permission_id}"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the token is shown once, at creation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return (
            self.revoked_at is None
            and (self.expires_at is None or self.expires_at > now)
            and self.user.is_active
        )
