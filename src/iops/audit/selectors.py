"""Reads of the s.62 log for the data protection officer: filters, pages, capped counts, export batches.

The log grows by millions of rows a year, so every read here walks an index newest first and stops
early: pages are keyset pages on ``(occurred_at, id)`` (no OFFSET), counts stop at a cap (no
``COUNT(*)`` over the table), and exports go out in keyset batches. Each filter has an index that
starts with it (see ``AuditEntry.Meta.indexes``). Selectors check permission but write nothing;
the consultation entry for a search is written by ``access.access_audit_log``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.apps import apps
from django.db.models import Q, QuerySet
from django.utils import timezone

from iops.audit.choices import Action
from iops.audit.models import AuditEntry
from iops.audit.permissions import EXPORT_LOG, SEARCH_LOG, check_permission
from iops.platform.errors import ValidationFailed

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
COUNT_CAP = 1000
RECORD_TYPE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"^(-?\d{1,18})\.(\d{1,18})$")


def _start_of(day: date) -> datetime:
    """Midnight at the start of ``day`` in the force's time zone: dates mean local days."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _text(value: str, *, field: str, label: str, limit: int) -> str:
    text = (value or "").strip()
    if "\x00" in text:
        raise ValidationFailed(f"{label} cannot contain a null character.", field=field)
    if len(text) > limit:
        raise ValidationFailed(f"{label} must be {limit} characters or fewer.", field=field)
    return text


@dataclass(frozen=True)
class AuditFilter:
    """What the data protection officer asked for. Empty values mean "any"."""

    username: str = ""
    record_type: str = ""
    record_id: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None
    break_glass: bool = False

    def validated(self) -> AuditFilter:
        """The same filter trimmed and checked; raises ``ValidationFailed`` naming the field."""
        username = _text(self.username, field="username", label="Username", limit=150)
        record_type = _text(self.record_type, field="record_type", label="Record type", limit=64).lower()
        record_id = _text(self.record_id, field="record_id", label="Record reference", limit=64)
        action = _text(self.action, field="action", label="Action", limit=16).lower()
        if record_type and not RECORD_TYPE.match(record_type):
            raise ValidationFailed(
                "Record type must look like app.model, for example accounts.user.", field="record_type"
            )
        if record_id and not record_type:
            raise ValidationFailed("Choose the type of record as well as its reference.", field="record_type")
        if action and action not in Action.values:
            raise ValidationFailed(f"Action must be one of: {', '.join(Action.values)}.", field="action")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValidationFailed("Date to must be the same as or after date from.", field="date_to")
        return replace(self, username=username, record_type=record_type, record_id=record_id, action=action)

    def as_detail(self) -> dict[str, Any]:
        """The filter as the log records it: only what was set."""
        detail: dict[str, Any] = {}
        for name in ("username", "record_type", "record_id", "action"):
            if getattr(self, name):
                detail[name] = getattr(self, name)
        if self.date_from:
            detail["date_from"] = self.date_from.isoformat()
        if self.date_to:
            detail["date_to"] = self.date_to.isoformat()
        if self.break_glass:
            detail["break_glass"] = True
        return detail


@dataclass(frozen=True)
class Cursor:
    """A place in the log, newest first: the entry a page ends (or starts) at."""

    occurred_at: datetime
    entry_id: int

    @classmethod
    def of(cls, entry: AuditEntry) -> Cursor:
        return cls(entry.occurred_at, entry.pk)

    def encode(self) -> str:
        micros = (self.occurred_at - _EPOCH) // timedelta(microseconds=1)
        return f"{micros}.{self.entry_id}"

    @classmethod
    def decode(cls, text: str, *, field: str = "cursor") -> Cursor:
        match = _CURSOR.match((text or "").strip())
        if match is None:
            raise ValidationFailed(
                "That page link is not valid. Search again from the first page.", field=field
            )
        try:
            when = _EPOCH + timedelta(microseconds=int(match.group(1)))
        except OverflowError as error:
            raise ValidationFailed(
                "That page link is not valid. Search again from the first page.", field=field
            ) from error
        return cls(when, int(match.group(2)))


@dataclass(frozen=True)
class AuditPage:
    """One page of entries, newest first, with the cursors to the pages either side."""

    entries: list[AuditEntry]
    newer: Cursor | None
    older: Cursor | None
    matches: int
    matches_capped: bool


def audit_search(*, user: Any, filters: AuditFilter) -> QuerySet[AuditEntry]:
    """Entries matching every filter given, newest first. Needs ``audit.search_auditentry``."""
    check_permission(user, SEARCH_LOG)
    filters = filters.validated()
    entries = AuditEntry.objects.all()
    if filters.username:
        # Matches the functional index on UPPER(actor_username).
        entries = entries.filter(actor_username__iexact=filters.username)
    if filters.record_type:
        entries = entries.filter(record_type=filters.record_type)
    if filters.record_id:
        entries = entries.filter(record_id=filters.record_id)
    if filters.action:
        entries = entries.filter(action=filters.action)
    if filters.break_glass:
        entries = entries.filter(break_glass=True)
    if filters.date_from:
        entries = entries.filter(occurred_at__gte=_start_of(filters.date_from))
    if filters.date_to:
        entries = entries.filter(occurred_at__lt=_start_of(filters.date_to + timedelta(days=1)))
    return entries.order_by("-occurred_at", "-id")


def _older_than(entries: QuerySet[AuditEntry], cursor: Cursor) -> QuerySet[AuditEntry]:
    # The first condition bounds the index range; the second breaks ties on the same instant.
    return entries.filter(occurred_at__lte=cursor.occurred_at).filter(
        Q(occurred_at__lt=cursor.occurred_at) | Q(id__lt=cursor.entry_id)
    )


def _newer_than(entries: QuerySet[AuditEntry], cursor: Cursor) -> QuerySet[AuditEntry]:
    return entries.filter(occurred_at__gte=cursor.occurred_at).filter(
        Q(occurred_at__gt=cursor.occurred_at) | Q(id__gt=cursor.entry_id)
    )


def audit_count(*, user: Any, filters: AuditFilter, cap: int = COUNT_CAP) -> int:
    """How many entries match, counting no further than ``cap``."""
    return audit_search(user=user, filters=filters).order_by().values("id")[:cap].count()


def audit_page(
    *,
    user: Any,
    filters: AuditFilter,
    after: Cursor | None = None,
    before: Cursor | None = None,
    size: int = PAGE_SIZE,
) -> AuditPage:
    """A page of matching entries older than ``after``, or newer than ``before``, or the newest."""
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValidationFailed(f"A page holds 1 to {MAX_PAGE_SIZE} entries.", field="limit")
    entries = audit_search(user=user, filters=filters)
    matches = audit_count(user=user, filters=filters, cap=COUNT_CAP + 1)
    page = AuditPage([], None, None, min(matches, COUNT_CAP), matches > COUNT_CAP)
    if before is not None:
        rows = list(_newer_than(entries, before).order_by("occurred_at", "id")[: size + 1])
        if rows:
            more_newer = len(rows) > size
            rows = rows[:size][::-1]
            return replace(
                page,
                entries=rows,
                newer=Cursor.of(rows[0]) if more_newer else None,
                older=Cursor.of(rows[-1]),
            )
        # Nothing newer than the link: start again from the newest.
    if after is not None and before is None:
        entries = _older_than(entries, after)
    rows = list(entries[: size + 1])
    more_older = len(rows) > size
    rows = rows[:size]
    return replace(
        page,
        entries=rows,
        newer=Cursor.of(rows[0]) if after is not None and before is None and rows else None,
        older=Cursor.of(rows[-1]) if more_older else None,
    )


def audit_export_batches(
    *, user: Any, filters: AuditFilter, limit: int, batch: int = 2000
) -> Iterator[list[AuditEntry]]:
    """The newest ``limit`` matching entries, in keyset batches, for streaming a CSV."""
    check_permission(user, EXPORT_LOG)
    entries = audit_search(user=user, filters=filters)
    remaining = limit
    cursor: Cursor | None = None
    while remaining > 0:
        chunk = entries if cursor is None else _older_than(entries, cursor)
        rows = list(chunk[: min(batch, remaining)])
        if not rows:
            return
        yield rows
        remaining -= len(rows)
        if len(rows) < batch:
            return
        cursor = Cursor.of(rows[-1])


def record_types() -> list[tuple[str, str]]:
    """Every kind of record iOPS keeps, as ``(app_label.model, "App: model")`` choices."""
    choices = []
    for model in apps.get_models():
        meta = model._meta
        if not meta.app_config or not meta.app_config.name.startswith("iops."):
            continue
        choices.append(
            (f"{meta.app_label}.{meta.model_name}", f"{meta.app_config.verbose_name}: {meta.verbose_name}")
        )
    return sorted(choices, key=lambda choice: choice[1].lower())
