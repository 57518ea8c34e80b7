"""Writers of the s.62 log. Every service in iOPS that touches personal data calls one of these in
its own transaction, so the record and its log entry commit or roll back together.

The log is evidence, so what is written must always be storable: text is cleaned of control
characters (the database refuses NUL, and U+001F separates fields in the hash), lengths are
checked with a clear error, and ``detail`` is turned into plain JSON before it reaches the table.
This module also holds the export of the log itself, which is a disclosure and logged as one.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from iops.audit.choices import Action, LogPurpose
from iops.audit.models import AccessGrant, AuditEntry
from iops.audit.permissions import EXPORT_LOG, check_permission
from iops.audit.selectors import AuditFilter, audit_count
from iops.platform import request_context
from iops.platform.errors import PurposeRequired, ValidationFailed

MAX_PURPOSE_LENGTH = 2000
# Rows one CSV export may hold; a larger result is cut to the newest rows and the page says so.
DEFAULT_EXPORT_LIMIT = 100_000

# C0 controls other than tab, line feed and carriage return, and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: Any) -> str:
    """Text as it will be stored: control characters shown as U+FFFD rather than silently dropped."""
    return _CONTROL.sub("\ufffd", str(value))


def _clean_json(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN or infinity; the database would refuse the entry
    if isinstance(value, dict):
        return {clean_text(key): _clean_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean_json(item) for item in value]
    return value


def clean_detail(detail: dict[str, Any] | None) -> dict[str, Any]:
    """``detail`` as plain JSON: dates, UUIDs and the like become text, strings are cleaned."""
    if not detail:
        return {}
    plain = json.loads(json.dumps(detail, default=str))
    cleaned: dict[str, Any] = _clean_json(plain)
    return cleaned


def record_type_of(record: models.Model | type[models.Model]) -> str:
    """``app_label.model`` of a record or model, the form the log stores."""
    meta = record._meta
    return f"{meta.app_label}.{meta.model_name}"


def clean_purpose(purpose: str | None) -> str:
    """A purpose is required for every read or disclosure of personal data, and kept as written."""
    text = clean_text(purpose or "").strip()
    if not text:
        raise PurposeRequired()
    if len(text) > MAX_PURPOSE_LENGTH:
        raise ValidationFailed(f"Keep the purpose under {MAX_PURPOSE_LENGTH} characters.", field="purpose")
    return text


def log_purpose(purpose: str | None) -> str:
    """The purpose of reading the log itself, one of s.62(4)'s, as the words the log records."""
    code = (purpose or "").strip()
    if not code:
        raise PurposeRequired("Choose why you are using the access log: it is recorded in the log.")
    if code not in LogPurpose.values:
        allowed = ", ".join(LogPurpose.values)
        raise ValidationFailed(
            f"The access log may be used only for the purposes in s.62(4) of the Data Protection Act "
            f"2018. Choose one of: {allowed}.",
            field="purpose",
        )
    return str(LogPurpose(code).label)


def _bounded(value: Any, *, field: str, limit: int) -> str:
    text = clean_text(value).strip()
    if len(text) > limit:
        raise ValidationFailed(f"Keep the {field.replace('_', ' ')} under {limit} characters.", field=field)
    return text


def _entry_values(
    *,
    actor: Any,
    action: Action | str,
    operation: str,
    record_type: str,
    record_id: str | int,
    purpose: str,
    recipient: str,
    detail: dict[str, Any] | None,
    break_glass: bool,
) -> dict[str, Any]:
    """An entry's column values (by attribute name), checked and cleaned, with who, when and the
    request it came from."""
    try:
        action = Action(action)
    except ValueError as error:
        raise ValidationFailed(f"'{action}' is not an action the log records.", field="action") from error
    recipient_text = _bounded(recipient, field="recipient", limit=200)
    if action == Action.DISCLOSURE and not recipient_text:
        raise ValidationFailed("A disclosure must name its recipient.", field="recipient")
    purpose_text = clean_text(purpose).strip()
    if len(purpose_text) > MAX_PURPOSE_LENGTH:
        raise ValidationFailed(f"Keep the purpose under {MAX_PURPOSE_LENGTH} characters.", field="purpose")
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return {
        "occurred_at": timezone.now(),
        "actor_id": actor.pk if authenticated else None,
        "actor_username": clean_text(actor.get_username()) if authenticated else "system",
        "action": action,
        "operation": _bounded(operation, field="operation", limit=64),
        "record_type": _bounded(record_type, field="record_type", limit=64),
        "record_id": _bounded(record_id, field="record_id", limit=64),
        "purpose": purpose_text,
        "recipient": recipient_text,
        "detail": clean_detail(detail),
        "break_glass": break_glass,
        "request_id": clean_text(request_context.request_id())[:64],
        "client_address": clean_text(request_context.client_address())[:64],
    }


def _entry(**draft: Any) -> AuditEntry:
    """An unsaved entry, checked and cleaned (``_entry_values``' keyword arguments)."""
    entry = AuditEntry(**_entry_values(**draft))
    if entry.actor_id is not None:
        entry.actor = draft["actor"]
    return entry


def audit_record(
    *,
    actor: Any,
    action: Action | str,
    operation: str,
    record_type: str = "",
    record_id: str | int = "",
    purpose: str = "",
    recipient: str = "",
    detail: dict[str, Any] | None = None,
    break_glass: bool = False,
) -> AuditEntry:
    """Append one entry to the log, inside the caller's transaction (or as its own if there is none).

    ``actor`` is the user who acted, or None for the system (a worker, an import). Disclosures
    must name the ``recipient``. The database fills in the chain fields; call
    ``refresh_from_db()`` on the result if you need them.
    """
    entry = _entry(
        actor=actor,
        action=action,
        operation=operation,
        record_type=record_type,
        record_id=record_id,
        purpose=purpose,
        recipient=recipient,
        detail=detail,
        break_glass=break_glass,
    )
    # One INSERT, no savepoint: if it fails, the caller's transaction fails with it, which is
    # what the log needs (no record without its entry).
    entry.save(force_insert=True)
    return entry


_DRAFT_DEFAULTS: dict[str, Any] = {
    "record_type": "",
    "record_id": "",
    "purpose": "",
    "recipient": "",
    "detail": None,
    "break_glass": False,
}


def audit_rows(*drafts: dict[str, Any]) -> list[dict[str, Any]]:
    """Entries checked and ready to write, as column values for ``Batch.insert_rows``: for a
    service that sends its rows in one batch (the entries go in the same query, so in the same
    transaction, as the rows they record). Each draft takes ``audit_record``'s keyword arguments."""
    return [_entry_values(**{**_DRAFT_DEFAULTS, **draft}) for draft in drafts]


def audit_records(*drafts: dict[str, Any]) -> list[AuditEntry]:
    """Several entries, about any records, in one INSERT (a service that creates a call and the
    incident it opens logs both at once). Each draft takes ``audit_record``'s keyword arguments."""
    entries = [_entry(**{**_DRAFT_DEFAULTS, **draft}) for draft in drafts]
    return AuditEntry.objects.bulk_create(entries) if entries else []


def audit_many(
    *,
    actor: Any,
    action: Action | str,
    operation: str,
    record_type: str,
    record_ids: Iterable[str | int],
    purpose: str = "",
    detail: dict[str, Any] | None = None,
) -> list[AuditEntry]:
    """One entry per record (each person merged, each record in a bulk disclosure), in one INSERT."""
    entries = [
        _entry(
            actor=actor,
            action=action,
            operation=operation,
            record_type=record_type,
            record_id=record_id,
            purpose=purpose,
            recipient="",
            detail=detail,
            break_glass=False,
        )
        for record_id in record_ids
    ]
    return AuditEntry.objects.bulk_create(entries) if entries else []


def access_grant_add(
    *, acting_user: Any, record: models.Model, user: Any, reason: str, permission: str
) -> AccessGrant:
    """Put ``user`` on a restricted record's access list. ``permission`` is the one the record's own
    app requires for managing its access list (e.g. ``intelligence.manage_handling``)."""
    check_permission(acting_user, permission)
    reason_text = clean_text(reason).strip()
    if not reason_text:
        raise ValidationFailed("Say why this person needs to see the record.", field="reason")
    record_type = record_type_of(record)
    with transaction.atomic():
        grant, created = AccessGrant.objects.get_or_create(
            record_type=record_type,
            record_id=str(record.pk),
            user=user,
            defaults={"granted_by": acting_user, "reason": reason_text},
        )
        if created:
            audit_record(
                actor=acting_user,
                action=Action.ALTERATION,
                operation="audit.access_grant_add",
                record_type=record_type,
                record_id=record.pk,
                purpose=reason_text,
                detail={"user": user.get_username()},
            )
    return grant


def access_grant_remove(*, acting_user: Any, record: models.Model, user: Any, permission: str) -> bool:
    """Take ``user`` off a record's access list. Returns whether they were on it."""
    check_permission(acting_user, permission)
    record_type = record_type_of(record)
    with transaction.atomic():
        removed, _ = AccessGrant.objects.filter(
            record_type=record_type, record_id=str(record.pk), user=user
        ).delete()
        if removed:
            audit_record(
                actor=acting_user,
                action=Action.ALTERATION,
                operation="audit.access_grant_remove",
                record_type=record_type,
                record_id=record.pk,
                purpose="Access list changed",
                detail={"user": user.get_username()},
            )
    return bool(removed)


def export_limit() -> int:
    return int(getattr(settings, "IOPS_AUDIT_EXPORT_LIMIT", DEFAULT_EXPORT_LIMIT))


@dataclass(frozen=True)
class AuditExport:
    """A CSV export the log has already recorded: what to write and how many rows it holds."""

    filters: AuditFilter
    rows: int
    truncated: bool
    entry: AuditEntry


def audit_export_start(*, acting_user: Any, filters: AuditFilter, purpose: str | None) -> AuditExport:
    """Record the export of a search result as a *disclosure* to the person exporting it.

    The entry is written before the first row leaves, with the filter and the number of rows, so
    a download that fails half-way is still on the record. At most ``export_limit()`` rows go out,
    the newest first.
    """
    check_permission(acting_user, EXPORT_LOG)
    purpose_text = log_purpose(purpose)
    filters = filters.validated()
    limit = export_limit()
    matching = audit_count(user=acting_user, filters=filters, cap=limit + 1)
    rows = min(matching, limit)
    name = acting_user.get_full_name() or acting_user.get_username()
    with transaction.atomic():
        entry = audit_record(
            actor=acting_user,
            action=Action.DISCLOSURE,
            operation="audit.export_csv",
            record_type="audit.auditentry",
            purpose=purpose_text,
            recipient=f"{name} ({acting_user.get_username()})",
            detail={"filters": filters.as_detail(), "rows": rows, "truncated": matching > limit},
        )
    return AuditExport(filters=filters, rows=rows, truncated=matching > limit, entry=entry)
