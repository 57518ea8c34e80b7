"""Need-to-know reads of one person: every view of a person's record or risk summary passes here,
checks the permission and the access list of a restricted record, and is logged with its purpose."""

from __future__ import annotations

from typing import Any

from iops.audit.access import access_record, get_or_not_found
from iops.people.models import Nominal

VIEW = "people.view_nominal"


def access_nominal(
    user: Any,
    pk: Any,
    *,
    purpose: str | None,
    break_glass_reason: str | None = None,
    operation: str = "people.view",
) -> Nominal:
    """The person, for someone allowed to see them, with the consultation logged; or raise
    ``NotFound``, ``PermissionRefused``, ``PurposeRequired`` or ``RestrictedRecord``."""
    nominal = get_or_not_found(Nominal.objects.all(), pk, label="person")
    return access_record(
        user,
        nominal,
        purpose=purpose,
        permission=VIEW,
        operation=operation,
        break_glass_reason=break_glass_reason,
    )
