"""Factories for audit tests: synthetic people (Faker en_GB), roles found by what they may do, entries.

The audit app sits below accounts, so its tests make users through ``get_user_model()`` and find a
role's group by a permission the role holds (as ``accounts.roles`` grants it), never by importing
accounts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import factory
from django.conf import settings
from django.contrib.auth.models import Group
from django.db.models import Q

from iops.audit.choices import Action
from iops.audit.models import AuditEntry
from iops.audit.services import audit_record


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = settings.AUTH_USER_MODEL
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n:04d}")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.police.uk")


def role_holding(permission: str) -> Group:
    """The role (group) ``accounts.roles`` grants ``permission`` to."""
    app_label, codename = permission.split(".", 1)
    group = Group.objects.filter(
        permissions__content_type__app_label=app_label, permissions__codename=codename
    ).first()
    assert group is not None, f"no role holds {permission}; has roles_sync run?"
    return group


def role_without_audit() -> Group:
    """Some role that holds no permission of the audit app (a call handler, say)."""
    group = Group.objects.exclude(Q(permissions__content_type__app_label="audit")).order_by("name").first()
    assert group is not None, "no role without audit permissions; has roles_sync run?"
    return group


def make_dpo(username: str = "dpo", **fields: Any) -> Any:
    user = UserFactory(username=username, **fields)
    user.groups.add(role_holding("audit.search_auditentry"))
    return user


def make_staff(username: str = "staff", **fields: Any) -> Any:
    user = UserFactory(username=username, **fields)
    user.groups.add(role_without_audit())
    return user


def make_entry(**fields: Any) -> AuditEntry:
    """An entry written the only way entries are written: through ``audit_record``."""
    values: dict[str, Any] = {
        "actor": None,
        "action": Action.CONSULTATION,
        "operation": "people.view",
        "record_type": "people.nominal",
        "record_id": "1",
        "purpose": "Checking a caller's warning markers",
    }
    values.update(fields)
    entry = audit_record(**values)
    entry.refresh_from_db()
    return entry


def make_entry_at(when: datetime, **fields: Any) -> AuditEntry:
    """An entry as it was written at ``when`` (last month, a minute before midnight...).

    ``audit_record`` always stamps the present, so history is built with the model directly; the
    database still chains it, exactly as it chains entries from the service.
    """
    values: dict[str, Any] = {
        "occurred_at": when,
        "actor_username": "system",
        "action": Action.CONSULTATION,
        "operation": "people.view",
        "record_type": "people.nominal",
        "record_id": "1",
        "purpose": "Checking a caller's warning markers",
    }
    values.update(fields)
    actor = values.get("actor")
    if actor is not None:
        values["actor_username"] = actor.get_username()
    return AuditEntry.objects.create(**values)
