"""Duties API: list with filters, one duty, and the backlog figures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from iops.audit.access import check_permission
from iops.duties import selectors
from iops.duties.choices import DutyStatus, Risk
from iops.duties.models import Duty
from iops.platform.errors import NotFound, PermissionRefused, ValidationFailed

router = Router(tags=["duties"])
MAX_LIMIT = 500


class DutyOut(Schema):
    id: int
    kind: str
    title: str
    subject_type: str | None
    subject_id: str
    subject_label: str
    owner_user: int | None
    owner_team: int | None
    opened_at: datetime
    due_at: datetime
    risk: str
    status: str
    overdue: bool
    escalation_level: int
    escalated_to: int | None
    discharged_at: datetime | None
    cancelled_at: datetime | None
    tags: list[str]


def duty_out(duty: Duty, now: datetime) -> DutyOut:
    return DutyOut(
        id=duty.pk,
        kind=duty.kind,
        title=duty.title,
        subject_type=f"{duty.subject_type.app_label}.{duty.subject_type.model}"
        if duty.subject_type
        else None,
        subject_id=duty.subject_id,
        subject_label=duty.subject_label,
        owner_user=duty.owner_user_id,
        owner_team=duty.owner_team_id,
        opened_at=duty.opened_at,
        due_at=duty.due_at,
        risk=duty.risk,
        status=duty.status,
        overdue=duty.is_overdue(now),
        escalation_level=duty.escalation_level,
        escalated_to=duty.escalated_to_id,
        discharged_at=duty.discharged_at,
        cancelled_at=duty.cancelled_at,
        tags=list(duty.tags),
    )


class DutyQuery(Schema):
    kind: str = ""
    status: str = DutyStatus.OPEN
    overdue: bool | None = None
    escalated: bool | None = None
    owner: int | None = None
    team: int | None = None
    risk: str = ""
    tag: str = ""
    limit: int = 100
    offset: int = 0


class DutyPage(Schema):
    count_returned: int
    offset: int
    results: list[DutyOut]


@router.get("/duties", response=DutyPage, summary="Duties, most urgent first, filtered")
def list_duties(request: HttpRequest, query: Query[DutyQuery]) -> Any:
    from django.utils import timezone

    user: Any = request.user
    if query.status and query.status not in DutyStatus.values:
        raise ValidationFailed(f"status must be one of {', '.join(DutyStatus.values)}.", field="status")
    if query.risk and query.risk not in Risk.values:
        raise ValidationFailed(f"risk must be one of {', '.join(Risk.values)}.", field="risk")
    if not 1 <= query.limit <= MAX_LIMIT:
        raise ValidationFailed(f"limit must be between 1 and {MAX_LIMIT}.", field="limit")
    if query.offset < 0:
        raise ValidationFailed("offset must not be negative.", field="offset")
    # Without the backlog permission a person may list only their own duties.
    if not user.has_perm("duties.view_backlog"):
        if query.owner not in (None, user.pk) or query.team is not None:
            raise PermissionRefused("You can list only your own duties.")
        query.owner = user.pk
    now = timezone.now()
    filters = selectors.DutyFilter(
        kind=query.kind,
        status=query.status,
        overdue=query.overdue,
        escalated=query.escalated,
        owner=query.owner,
        team=query.team,
        risk=query.risk,
        tag=query.tag,
    )
    rows = list(selectors.duty_list(filters, now=now)[query.offset : query.offset + query.limit])
    return {"count_returned": len(rows), "offset": query.offset, "results": [duty_out(d, now) for d in rows]}


@router.get("/duties/{duty_id}", response=DutyOut, summary="One duty")
def get_duty(request: HttpRequest, duty_id: int) -> Any:
    from django.utils import timezone

    check_permission(request.user, "duties.view_duty")
    duty = Duty.objects.select_related("owner_user", "subject_type").filter(pk=duty_id).first()
    if duty is None:
        raise NotFound(f"There is no duty {duty_id}.")
    if not selectors.duty_visible_to(request.user, duty):
        raise PermissionRefused("This duty is not yours to see.")
    return duty_out(duty, timezone.now())
