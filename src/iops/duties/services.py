"""Writers for duties: open, discharge, cancel, reassign, and the sweeper that escalates.

Domain services call ``duty_open`` in the transaction that creates the obligation and
``duties_discharge_for`` in the one that meets it. People act on duties through
``duty_discharge`` (where the kind allows it by hand), ``duty_cancel`` (with a reason, by someone
allowed to) and ``duty_reassign``. State changes are compare-and-swap on ``status``, so two
people closing the same duty at once get one success and one clear refusal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.utils import timezone

from iops.accounts.models import Team, User
from iops.audit.choices import Action
from iops.audit.services import audit_record
from iops.duties.choices import RISK_ORDER, DutyEventKind, DutyStatus, EscalationLevel, Risk
from iops.duties.kinds import kind_for
from iops.duties.models import Duty, DutyEvent, DutySnapshot
from iops.platform import events
from iops.platform.batch import Batch
from iops.platform.errors import Conflict, PermissionRefused, ValidationFailed

MIN_REASON_LENGTH = 10


def _subject_key(subject: models.Model | None) -> tuple[ContentType | None, str]:
    if subject is None:
        return None, ""
    return ContentType.objects.get_for_model(subject, for_concrete_model=False), str(subject.pk)


def _opened_event(duty: Duty) -> dict[str, Any]:
    return {"id": duty.pk, "kind": duty.kind, "status": duty.status}


def duty_open(
    *,
    kind: str,
    title: str,
    subject: models.Model | None = None,
    subject_label: str = "",
    owner_user: User | None = None,
    owner_team: Team | None = None,
    opened_by: User | None = None,
    opened_at: datetime | None = None,
    due_at: datetime | None = None,
    risk: Risk | str = Risk.STANDARD,
    rule: str = "",
    tags: Iterable[str] = (),
    batch: Batch | None = None,
    duty_id: int | None = None,
) -> Duty:
    """Open a duty. Its clock runs from ``opened_at`` (default now) to ``due_at`` (default the kind's).

    With ``batch`` (a service that sends its rows in one ``platform.batch.Batch``), the duty, with
    the id the caller reserved (``duty_id``), and its opening event join the batch, and the event
    is published after it; otherwise they are written here.
    """
    if owner_user is None and owner_team is None:
        raise ValidationFailed("A duty needs an owner: a person or a team.", field="owner")
    if risk not in Risk.values:
        raise ValidationFailed(f"Unknown risk '{risk}'.", field="risk")
    if batch is not None and duty_id is None:
        raise ValueError("a duty opened in a batch needs its id reserved (duty_id)")
    info = kind_for(kind)
    opened = opened_at or timezone.now()
    due = due_at or opened + info.due_after
    if due < opened:
        raise ValidationFailed("A duty cannot be due before it is opened.", field="due_at")
    subject_type, subject_id = _subject_key(subject)
    duty = Duty(
        pk=duty_id,
        kind=kind,
        title=title[:240],
        subject_type=subject_type,
        subject_id=subject_id,
        subject_label=(subject_label or (str(subject) if subject is not None else ""))[:240],
        owner_user=owner_user,
        owner_team=owner_team,
        opened_at=opened,
        opened_by=opened_by,
        rule=rule,
        due_at=due,
        escalate_at=due,
        risk=risk,
        risk_rank=RISK_ORDER[Risk(risk)],
        tags=sorted(set(tags)),
    )
    event = DutyEvent(duty=duty, at=opened, kind=DutyEventKind.OPENED, actor=opened_by, note=rule)
    if batch is not None:
        batch.insert([duty])
        batch.insert([event])
        batch.publish("duties.changed", _opened_event(duty))
        return duty
    # No savepoint: a duty is opened inside the transaction of the event that creates it, and if
    # anything fails the whole event must fail with it.
    with transaction.atomic(savepoint=False):
        duty.save(force_insert=True)
        event.duty = duty
        event.save(force_insert=True)
        events.publish("duties.changed", _opened_event(duty))
    return duty


def _close(duty: Duty, *, status: DutyStatus, values: dict[str, Any]) -> Duty:
    """Compare-and-swap from open to discharged or cancelled; refuses if someone got there first."""
    changed = Duty.objects.filter(pk=duty.pk, status=DutyStatus.OPEN).update(status=status, **values)
    if changed != 1:
        current = Duty.objects.filter(pk=duty.pk).values_list("status", flat=True).first()
        raise Conflict(f"This duty is already {current or 'gone'}; nothing was changed.", field="status")
    duty.refresh_from_db()
    return duty


def duty_discharge(*, duty: Duty, acting_user: User, note: str) -> Duty:
    """Mark a duty done by hand, where its kind allows that, saying how it was met."""
    info = duty.kind_info
    if not info.manual_discharge:
        raise PermissionRefused(
            f"A {info.label.lower()} is discharged only by the record that meets it, not by hand."
        )
    if not (acting_user.has_perm(info.discharge_permission) or acting_user.pk == duty.owner_user_id):
        raise PermissionRefused("Only the duty's owner or someone allowed to discharge duties can do this.")
    text = note.strip()
    if not text:
        raise ValidationFailed("Say how the duty was met.", field="note")
    now = timezone.now()
    with transaction.atomic():
        _close(
            duty,
            status=DutyStatus.DISCHARGED,
            values={"discharged_at": now, "discharged_by": acting_user, "discharge_note": text},
        )
        DutyEvent.objects.create(
            duty=duty, at=now, kind=DutyEventKind.DISCHARGED, actor=acting_user, note=text
        )
        _audit(acting_user, duty, "duties.discharge", {"note": text})
        events.publish("duties.changed", {"id": duty.pk, "kind": duty.kind, "status": duty.status})
    return duty


def duties_discharge_for(
    *,
    subject: models.Model,
    kinds: Sequence[str],
    acting_user: User | None,
    note: str,
    at: datetime | None = None,
) -> list[Duty]:
    """Discharge every open duty of these kinds on ``subject``: the domain event that meets them.

    Called by domain services in their own transaction (a crime recorded discharges the incident's
    crime recording decision). Returns the duties discharged.
    """
    subject_type, subject_id = _subject_key(subject)
    now = at or timezone.now()
    done: list[Duty] = []
    with transaction.atomic():
        candidates = Duty.objects.select_for_update().filter(
            subject_type=subject_type, subject_id=subject_id, kind__in=list(kinds), status=DutyStatus.OPEN
        )
        for duty in candidates:
            _close(
                duty,
                status=DutyStatus.DISCHARGED,
                values={"discharged_at": now, "discharged_by": acting_user, "discharge_note": note},
            )
            DutyEvent.objects.create(
                duty=duty, at=now, kind=DutyEventKind.DISCHARGED, actor=acting_user, note=note
            )
            events.publish("duties.changed", {"id": duty.pk, "kind": duty.kind, "status": duty.status})
            done.append(duty)
    return done


def duty_cancel(*, duty: Duty, acting_user: User, reason: str) -> Duty:
    """Cancel a duty that no longer applies. Needs the kind's cancel permission and a real reason."""
    info = duty.kind_info
    if not acting_user.has_perm(info.cancel_permission):
        raise PermissionRefused("Your role cannot cancel this kind of duty. Ask a supervisor.")
    text = reason.strip()
    if len(text) < MIN_REASON_LENGTH:
        raise ValidationFailed(
            "Give the reason for cancelling (at least a sentence); it is kept on the record.", field="reason"
        )
    now = timezone.now()
    with transaction.atomic():
        _close(
            duty,
            status=DutyStatus.CANCELLED,
            values={"cancelled_at": now, "cancelled_by": acting_user, "cancel_reason": text},
        )
        DutyEvent.objects.create(
            duty=duty, at=now, kind=DutyEventKind.CANCELLED, actor=acting_user, note=text
        )
        _audit(acting_user, duty, "duties.cancel", {"reason": text})
        events.publish("duties.changed", {"id": duty.pk, "kind": duty.kind, "status": duty.status})
    return duty


def duty_reassign(
    *,
    duty: Duty,
    acting_user: User,
    owner_user: User | None = None,
    owner_team: Team | None = None,
    note: str = "",
) -> Duty:
    """Give an open duty to another person and/or team. The clock does not restart."""
    if not acting_user.has_perm("duties.reassign_duty"):
        raise PermissionRefused("Your role cannot reassign duties. Ask a supervisor.")
    if owner_user is None and owner_team is None:
        raise ValidationFailed("Choose a person or a team to give the duty to.", field="owner_user")
    if owner_user is not None and not owner_user.is_active:
        raise ValidationFailed(f"{owner_user} is not an active user.", field="owner_user")
    with transaction.atomic():
        before = {"owner_user": duty.owner_user_id, "owner_team": duty.owner_team_id}
        changed = Duty.objects.filter(pk=duty.pk, status=DutyStatus.OPEN).update(
            owner_user=owner_user, owner_team=owner_team or (owner_user.team if owner_user else None)
        )
        if changed != 1:
            raise Conflict("This duty is no longer open; it cannot be reassigned.", field="status")
        duty.refresh_from_db()
        after = {"owner_user": duty.owner_user_id, "owner_team": duty.owner_team_id}
        DutyEvent.objects.create(
            duty=duty,
            kind=DutyEventKind.REASSIGNED,
            actor=acting_user,
            note=note.strip(),
            detail={"from": before, "to": after},
        )
        _audit(acting_user, duty, "duties.reassign", {"from": before, "to": after})
        events.publish("duties.changed", {"id": duty.pk, "kind": duty.kind, "status": duty.status})
    return duty


def _audit(actor: User, duty: Duty, operation: str, detail: dict[str, Any]) -> None:
    audit_record(
        actor=actor,
        action=Action.ALTERATION,
        operation=operation,
        record_type="duties.duty",
        record_id=duty.pk,
        purpose="Duty management",
        detail={"subject": duty.subject_label, **detail},
    )


# --- the sweeper ----------------------------------------------------------------------------


@dataclass
class SweepResult:
    at: datetime
    to_supervisor: int = 0
    to_command: int = 0
    duty_ids: list[int] = field(default_factory=list)

    @property
    def escalated(self) -> int:
        return self.to_supervisor + self.to_command


def _supervisor_of(duty: Duty) -> User | None:
    """The owner's team supervisor, else the owning team's; never the owner themself."""
    candidates: list[User | None] = []
    if duty.owner_user is not None and duty.owner_user.team is not None:
        candidates.append(duty.owner_user.team.supervisor)
    if duty.owner_team is not None:
        candidates.append(duty.owner_team.supervisor)
    for candidate in candidates:
        if candidate is not None and candidate.is_active and candidate.pk != duty.owner_user_id:
            return candidate
    return None


def duties_sweep(*, now: datetime | None = None, batch_size: int = 500) -> SweepResult:
    """Escalate every open duty whose escalation time has passed, recording each step.

    Overdue duties go to the owner's supervisor; once the kind's supervisor window passes too,
    they go on to the command queue. A duty long overdue (the sweeper was stopped) goes through
    both steps in one sweep. Sweepers running at once skip each other's rows.
    """
    moment = now or timezone.now()
    result = SweepResult(at=moment)
    while True:
        with transaction.atomic():
            rows = list(
                Duty.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("owner_user__team__supervisor", "owner_team__supervisor")
                .filter(
                    status=DutyStatus.OPEN,
                    escalate_at__lte=moment,
                    escalation_level__lt=EscalationLevel.COMMAND,
                )
                .order_by("escalate_at")[:batch_size]
            )
            if not rows:
                break
            new_events = []
            for duty in rows:
                window = duty.kind_info.supervisor_window
                while duty.escalation_level < EscalationLevel.COMMAND and duty.escalate_at <= moment:
                    supervisor = (
                        _supervisor_of(duty) if duty.escalation_level == EscalationLevel.NONE else None
                    )
                    if supervisor is not None:
                        duty.escalation_level = EscalationLevel.SUPERVISOR
                        duty.escalated_to = supervisor
                        duty.escalate_at = duty.escalate_at + window
                        note = f"Overdue: escalated to {supervisor}"
                        result.to_supervisor += 1
                    else:
                        duty.escalation_level = EscalationLevel.COMMAND
                        note = "Overdue: escalated to the command queue" + (
                            "" if duty.escalated_to_id else " (no supervisor to escalate to)"
                        )
                        result.to_command += 1
                    duty.escalated_at = moment
                    new_events.append(
                        DutyEvent(
                            duty=duty,
                            at=moment,
                            kind=DutyEventKind.ESCALATED,
                            note=note,
                            detail={"level": int(duty.escalation_level), "due_at": duty.due_at.isoformat()},
                        )
                    )
                result.duty_ids.append(duty.pk)
            Duty.objects.bulk_update(
                rows, ["escalation_level", "escalated_to", "escalate_at", "escalated_at"]
            )
            DutyEvent.objects.bulk_create(new_events)
    if result.escalated:
        events.publish("duties.escalated", {"count": result.escalated, "at": moment.isoformat()})
    return result


# --- daily snapshots for trends ----------------------------------------------------------------


def duties_snapshot(*, day: date) -> int:
    """Record open, overdue and escalated duties at the end of ``day`` by kind, team and risk.

    The team is the owning team, or the owner's team when no team owns the duty.

    Computed from the duties' own timestamps, so a snapshot can be taken (or retaken) for any past
    day. Returns the number of rows written.
    """
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), datetime.min.time()))
    start = end - timedelta(days=1)
    sql = """
        WITH d AS (
            -- A duty no team owns counts for its owner's team, as on the team queues.
            SELECT duty.kind, coalesce(duty.owner_team_id, member.team_id) AS team_id, duty.risk,
                   duty.opened_at, duty.due_at, duty.escalated_at,
                   coalesce(duty.discharged_at, duty.cancelled_at) AS closed_at
            FROM duties_duty duty
            LEFT JOIN accounts_user member ON member.id = duty.owner_user_id AND duty.owner_team_id IS NULL
            WHERE duty.opened_at < %(end)s
        )
        SELECT kind, team_id, risk,
               count(*) FILTER (WHERE closed_at IS NULL OR closed_at >= %(end)s) AS open_count,
               count(*) FILTER (WHERE (closed_at IS NULL OR closed_at >= %(end)s) AND due_at < %(end)s) AS overdue_count,
               count(*) FILTER (WHERE (closed_at IS NULL OR closed_at >= %(end)s) AND escalated_at < %(end)s) AS escalated_count,
               count(*) FILTER (WHERE opened_at >= %(start)s) AS opened_count,
               count(*) FILTER (WHERE closed_at >= %(start)s AND closed_at < %(end)s) AS closed_count
        FROM d
        GROUP BY kind, team_id, risk
    """
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, {"start": start, "end": end})
            rows = cursor.fetchall()
        DutySnapshot.objects.filter(day=day).delete()
        DutySnapshot.objects.bulk_create(
            DutySnapshot(
                day=day,
                kind=kind,
                team_id=team_id,
                risk=risk,
                open_count=open_count,
                overdue_count=overdue_count,
                escalated_count=escalated_count,
                opened_count=opened_count,
                closed_count=closed_count,
            )
            for kind, team_id, risk, open_count, overdue_count, escalated_count, opened_count, closed_count in rows
        )
    return len(rows)
