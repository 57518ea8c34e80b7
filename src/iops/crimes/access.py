"""Need-to-know reads of crimes and of the registrar's audit: each checks the permission and, for a
restricted crime, the access list, and writes a consultation entry with its purpose."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from iops.audit.access import access_record, check_permission, get_or_not_found
from iops.audit.choices import Action
from iops.audit.services import audit_record, clean_purpose
from iops.crimes.models import Crime
from iops.crimes.selectors import AUDIT_PERMISSION, UnresolvedFilter, unresolved_incidents
from iops.incidents.models import Incident

VIEW = "crimes.view_crime"


def access_crime(
    user: Any,
    pk: Any,
    *,
    purpose: str | None,
    break_glass_reason: str | None = None,
    operation: str = "crimes.view",
) -> Crime:
    """The crime, for someone allowed to see it, with the consultation logged; or raise ``NotFound``,
    ``PermissionRefused``, ``PurposeRequired`` or ``RestrictedRecord``."""
    crime = get_or_not_found(
        Crime.objects.select_related(
            "allocated_officer", "recorded_by", "address", "beat", "lsoa", "district"
        ),
        pk,
        label="crime",
    )
    return access_record(
        user,
        crime,
        purpose=purpose,
        permission=VIEW,
        operation=operation,
        break_glass_reason=break_glass_reason,
    )


def access_crimes_listed(
    user: Any, crimes: list[Crime], *, purpose: str, operation: str = "crimes.list"
) -> None:
    """Log one consultation for a list of crimes shown, with their ids."""
    check_permission(user, VIEW)
    with transaction.atomic():
        audit_record(
            actor=user,
            action=Action.CONSULTATION,
            operation=operation,
            record_type="crimes.crime",
            purpose=clean_purpose(purpose),
            detail={"crime_ids": [crime.pk for crime in crimes]},
        )


def access_unresolved_incidents(
    user: Any,
    filters: UnresolvedFilter,
    *,
    purpose: str | None,
    offset: int = 0,
    limit: int = 50,
    now: datetime | None = None,
) -> tuple[list[Incident], int]:
    """A page of the registrar's audit view and the total, with the incidents shown logged."""
    check_permission(user, AUDIT_PERMISSION)
    purpose_text = clean_purpose(purpose)
    queryset: QuerySet[Incident] = unresolved_incidents(filters, now=now)
    total = queryset.count()
    rows = list(queryset[offset : offset + limit])
    with transaction.atomic():
        audit_record(
            actor=user,
            action=Action.CONSULTATION,
            operation="crimes.registrar_audit",
            record_type="incidents.incident",
            purpose=purpose_text,
            detail={"incident_ids": [incident.pk for incident in rows], "total": total},
        )
    return rows, total
