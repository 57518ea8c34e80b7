"""Base models shared by every app: the owning force, and timestamps.

Every top-level record carries its owning force (DESIGN section 1), so one installation can serve a
regional collaboration and the database can later be distributed by force.
"""

from __future__ import annotations

from django.conf import settings
from django.db import DatabaseError, models, transaction


class Force(models.Model):
    """A police force served by this installation. One is configured; more may be added."""

    code = models.CharField(max_length=16, unique=True, help_text="Short code, e.g. GMP.")
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


def default_force() -> Force:
    """The configured force, created on first use so a fresh database always has one."""
    force, _ = Force.objects.get_or_create(
        code=settings.IOPS_FORCE_CODE, defaults={"name": settings.IOPS_FORCE_NAME}
    )
    return force


# The configured force's id, once it has been read back from the database (never one this
# process has just created: that transaction could still roll back). Forces are never deleted
# (PROTECT), so the id stays good; tests that empty the database call forget_default_force().
_default_force_ids: dict[str, int] = {}


def forget_default_force() -> None:
    _default_force_ids.clear()


def default_force_id() -> int | None:
    """Field default for ``force``: one query the first time, none after. None before the table
    exists (Django's system checks build model instances before any migration has run)."""
    code = settings.IOPS_FORCE_CODE
    cached = _default_force_ids.get(code)
    if cached is not None:
        return cached
    try:
        with transaction.atomic():
            found = Force.objects.filter(code=code).values_list("pk", flat=True).first()
    except DatabaseError:
        return None
    if found is not None:
        _default_force_ids[code] = found
        return found
    try:
        with transaction.atomic():
            return default_force().pk
    except DatabaseError:
        return None


class ForceOwned(models.Model):
    """Abstract base for top-level records: owned by a force, with creation and update times."""

    force = models.ForeignKey(Force, on_delete=models.PROTECT, default=default_force_id, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Restrictable(models.Model):
    """Abstract base for records that may be restricted to an access list (need-to-know).

    A restricted record is shown only to users with an ``audit.AccessGrant`` for it; others learn
    that it exists and whom to ask (``restriction_contact``), or break the glass with a reason.
    """

    restricted = models.BooleanField(default=False)
    restriction_contact = models.CharField(max_length=200, blank=True)

    class Meta:
        abstract = True
