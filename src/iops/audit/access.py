"""Need-to-know: the pattern every app's ``access.py`` follows to read personal data.

An access helper takes the user, the record and a purpose; it checks the user's permission and,
for a restricted record, the access list; it writes a *consultation* entry in the s.62 log; and it
returns the record or raises. Views, API handlers and other services read personal records only
through these helpers, never through ``Model.objects.get`` directly::

    def access_nominal(user, pk, *, purpose, break_glass_reason=None) -> Nominal:
        nominal = get_or_not_found(Nominal.objects.all(), pk)
        return access_record(user, nominal, purpose=purpose, permission="people.view_nominal",
                             operation="people.view", break_glass_reason=break_glass_reason)

Someone outside a restricted record's access list learns that it exists and whom to ask
(``RestrictedRecord``), or breaks the glass with a written reason, which is logged and flagged for
review by the data protection officer.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models, transaction

from iops.audit.choices import Action, LogPurpose
from iops.audit.models import AccessGrant
from iops.audit.permissions import SEARCH_LOG, check_permission
from iops.audit.selectors import PAGE_SIZE, AuditFilter, AuditPage, Cursor, audit_page
from iops.audit.services import audit_record, clean_purpose, log_purpose, record_type_of
from iops.audit.verify import VerifyResult, verify_chain
from iops.platform.errors import DomainError, NotFound, ValidationFailed

__all__ = [
    "RestrictedRecord",
    "access_audit_log",
    "access_record",
    "check_permission",
    "get_or_not_found",
    "has_grant",
    "is_restricted",
    "verify_audit_log",
]

MIN_BREAK_GLASS_REASON = 10

RecordT = TypeVar("RecordT", bound=models.Model)


class RestrictedRecord(DomainError):
    """The record exists but is restricted; the message says whom to ask, nothing more."""

    code = "restricted"
    status = 403

    def __init__(self, record_type: str, record_id: str, contact: str) -> None:
        who = contact or "the record's owner"
        super().__init__(
            f"This record is restricted. Ask {who} for access, or break the glass with a reason.",
            field=None,
        )
        self.record_type = record_type
        self.record_id = record_id
        self.contact = contact


def get_or_not_found(queryset: models.QuerySet[RecordT], pk: Any, *, label: str = "record") -> RecordT:
    """Fetch by primary key, or raise NotFound (a friendly 404) for a missing or malformed id."""
    try:
        return queryset.get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError) as error:
        raise NotFound(f"There is no {label} with reference {pk}.") from error


def is_restricted(record: models.Model) -> bool:
    """Restricted records (``platform.models.Restrictable``) are for their access list only."""
    return bool(getattr(record, "restricted", False))


def has_grant(user: Any, record: models.Model) -> bool:
    """The user is on the record's access list (an ``AccessGrant``)."""
    return AccessGrant.objects.filter(
        record_type=record_type_of(record), record_id=str(record.pk), user_id=user.pk
    ).exists()


def access_record(
    user: Any,
    record: RecordT,
    *,
    purpose: str | None,
    permission: str,
    operation: str,
    break_glass_reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> RecordT:
    """Check permission and need-to-know, log the consultation, and return the record.

    Raises ``PermissionRefused`` (no permission), ``PurposeRequired`` (no purpose),
    ``RestrictedRecord`` (restricted, not on the access list, no break-glass reason) or
    ``ValidationFailed`` (a break-glass reason too short to say anything). A break-glass access is
    flagged in the log with its reason, for the data protection officer to review.
    """
    check_permission(user, permission)
    purpose_text = clean_purpose(purpose)
    record_type = record_type_of(record)
    break_glass = False
    if is_restricted(record) and not has_grant(user, record):
        reason = (break_glass_reason or "").strip()
        if not reason:
            raise RestrictedRecord(record_type, str(record.pk), getattr(record, "restriction_contact", ""))
        if len(reason) < MIN_BREAK_GLASS_REASON:
            raise ValidationFailed(
                "Say why you need this record (at least a sentence).", field="break_glass_reason"
            )
        break_glass = True
        detail = {**(detail or {}), "break_glass_reason": reason}
    with transaction.atomic():
        audit_record(
            actor=user,
            action=Action.CONSULTATION,
            operation=operation,
            record_type=record_type,
            record_id=record.pk,
            purpose=purpose_text,
            detail=detail,
            break_glass=break_glass,
        )
    return record


def access_audit_log(
    user: Any,
    filters: AuditFilter,
    *,
    purpose: str | None,
    after: Cursor | None = None,
    before: Cursor | None = None,
    size: int = PAGE_SIZE,
) -> AuditPage:
    """A page of the log for the data protection officer, itself logged as a consultation.

    ``purpose`` is one of ``LogPurpose`` (s.62(4) allows no other use of the log). The entry
    records the filter, the page asked for and the ids of the entries shown.
    """
    check_permission(user, SEARCH_LOG)
    purpose_text = log_purpose(purpose)
    filters = filters.validated()
    page = audit_page(user=user, filters=filters, after=after, before=before, size=size)
    detail: dict[str, Any] = {
        "filters": filters.as_detail(),
        "entry_ids": [entry.pk for entry in page.entries],
    }
    if after is not None:
        detail["after"] = after.encode()
    if before is not None:
        detail["before"] = before.encode()
    with transaction.atomic():
        audit_record(
            actor=user,
            action=Action.CONSULTATION,
            operation="audit.search",
            record_type="audit.auditentry",
            purpose=purpose_text,
            detail=detail,
        )
    return page


def verify_audit_log(user: Any) -> VerifyResult:
    """Check the chains for the data protection officer; the check is logged as a consultation
    (the findings name entries, people and records)."""
    check_permission(user, SEARCH_LOG)
    result = verify_chain()
    audit_record(
        actor=user,
        action=Action.CONSULTATION,
        operation="audit.verify",
        record_type="audit.auditentry",
        purpose=str(LogPurpose.INTEGRITY.label),
        detail={"clean": result.clean, "entries": result.entries, "findings": len(result.findings)},
    )
    return result
