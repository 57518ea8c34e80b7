"""Writers for units and assignments.

Each service is one transaction and publishes its events after commit (``dispatch.events``). The
rules they keep:

* a unit's status moves only along ``TRANSITIONS``; every change is kept (``UnitStatusChange``);
* a unit goes from available to assigned only by compare-and-swap on its status, so of two
  dispatchers assigning the same unit at once exactly one succeeds and the other is told, by name,
  what the unit is now doing (``UnitNotAvailable``, 409);
* en route and at scene are steps of the unit's current assignment; the first unit at scene stops
  the incident's attendance clock (``incidents.services.incident_record_arrival``);
* a unit that becomes available (or goes off duty, or takes refreshment) clears its assignment.

A crew member may report their own unit's status and position; anyone else needs
``dispatch.update_unit_status``. Position reports are kept as the unit's latest position only (no
track is stored) and a report older than the one held is ignored, since devices resend on flaky
networks. Status history and assignments are operational records, not personal data, so they are
not copied to the s.62 log; creating a unit and naming its crew are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from iops.accounts.models import District, User
from iops.audit.choices import Action
from iops.audit.services import audit_record
from iops.dispatch import events as topics
from iops.dispatch.choices import AssignmentStatus, Skill, UnitStatus, UnitType
from iops.dispatch.errors import StatusChangeNotAllowed, UnitNotAvailable
from iops.dispatch.models import Assignment, Unit, UnitStatusChange
from iops.geo.models import Area
from iops.incidents.errors import IncidentClosed
from iops.incidents.models import Incident
from iops.incidents.services import incident_record_arrival
from iops.platform import events
from iops.platform.errors import Conflict, PermissionRefused, ValidationFailed

# Where a unit may go from each status. ASSIGNED is reached only through ``assignment_create``.
TRANSITIONS: dict[str, frozenset[str]] = {
    UnitStatus.OFF_DUTY: frozenset({UnitStatus.AVAILABLE}),
    UnitStatus.AVAILABLE: frozenset({UnitStatus.REFRESHMENT, UnitStatus.COMMITTED, UnitStatus.OFF_DUTY}),
    UnitStatus.ASSIGNED: frozenset({UnitStatus.EN_ROUTE, UnitStatus.AT_SCENE, UnitStatus.AVAILABLE}),
    UnitStatus.EN_ROUTE: frozenset({UnitStatus.AT_SCENE, UnitStatus.AVAILABLE}),
    UnitStatus.AT_SCENE: frozenset({UnitStatus.COMMITTED, UnitStatus.AVAILABLE}),
    UnitStatus.COMMITTED: frozenset(
        {UnitStatus.AVAILABLE, UnitStatus.AT_SCENE, UnitStatus.REFRESHMENT, UnitStatus.OFF_DUTY}
    ),
    UnitStatus.REFRESHMENT: frozenset({UnitStatus.AVAILABLE, UnitStatus.OFF_DUTY}),
}
# Statuses that are steps of an assignment, and what the assignment records for each.
ASSIGNMENT_STEPS: dict[str, str] = {
    UnitStatus.EN_ROUTE: AssignmentStatus.EN_ROUTE,
    UnitStatus.AT_SCENE: AssignmentStatus.AT_SCENE,
}
# Statuses that end a unit's part in its incident.
CLEARING = {UnitStatus.AVAILABLE, UnitStatus.REFRESHMENT, UnitStatus.OFF_DUTY}
CALL_SIGN = re.compile(r"^[A-Z0-9][A-Z0-9 /-]{0,31}$")
MAX_NOTE = 400
# A report may carry the time it was made (a device that was out of signal); not from the future.
CLOCK_SKEW = timedelta(minutes=2)


def _check_position(latitude: float | None, longitude: float | None) -> None:
    """A point in range; errors name the field as the caller sent it (``latitude``, ``longitude``)."""
    for value, name, limit in ((latitude, "latitude", 90), (longitude, "longitude", 180)):
        if value is None:
            raise ValidationFailed(f"Give the {name}.", field=name)
        if not -limit <= float(value) <= limit:
            raise ValidationFailed(f"The {name} {value} is out of range -{limit} to {limit}.", field=name)


def _require(user: User | None, permission: str) -> None:
    if user is None or not user.is_authenticated or not user.has_perm(permission):
        raise PermissionRefused("Your role does not allow this.")


def is_crew(user: User | None, unit: Unit) -> bool:
    return user is not None and user.is_authenticated and unit.crew.filter(pk=user.pk).exists()


def _require_own_unit_or(user: User | None, unit: Unit, permission: str) -> None:
    if user is not None and user.is_authenticated and user.has_perm(permission):
        return
    if not is_crew(user, unit):
        raise PermissionRefused(f"Only {unit.call_sign}'s crew or a dispatcher can change this unit.")


def _when(at: datetime | None, now: datetime) -> datetime:
    if at is None:
        return now
    if timezone.is_naive(at):
        raise ValidationFailed("Give the time with its time zone.", field="at")
    if at > now + CLOCK_SKEW:
        raise ValidationFailed("That time is in the future.", field="at")
    return at


def status_label(status: str) -> str:
    return UnitStatus(status).label if status in UnitStatus.values else status


def _unit_changed(unit_id: int) -> None:
    unit = Unit.objects.only("call_sign", "status", "status_changed_at", "version").get(pk=unit_id)
    events.publish(
        topics.UNIT_CHANGED,
        {
            "id": unit.pk,
            "version": unit.version,
            "call_sign": unit.call_sign,
            "status": unit.status,
            "status_changed_at": unit.status_changed_at.isoformat(),
        },
    )


def _assignment_changed(assignment: Assignment) -> None:
    events.publish(
        topics.ASSIGNMENT_CHANGED,
        {
            "id": assignment.pk,
            "version": assignment.version,
            "incident": assignment.incident_id,
            "unit": assignment.unit_id,
            "status": assignment.status,
        },
    )


# --- units -------------------------------------------------------------------------------------


def _clean_skills(skills: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(skill.strip() for skill in skills if skill and skill.strip()))
    unknown = [skill for skill in chosen if skill not in Skill.values]
    if unknown:
        raise ValidationFailed(
            f"Unknown skill {', '.join(unknown)}. Skills are: {', '.join(Skill.values)}.", field="skills"
        )
    return chosen


def unit_create(
    *,
    acting_user: User | None,
    call_sign: str,
    unit_type: str,
    skills: Iterable[str] = (),
    crew: Iterable[User] = (),
    home_district: District | None = None,
    home_beat: Area | None = None,
    status: str = UnitStatus.OFF_DUTY,
    latitude: float | None = None,
    longitude: float | None = None,
) -> Unit:
    """Add a unit. ``acting_user`` None is the system (demo data, an import)."""
    if acting_user is not None:
        _require(acting_user, "dispatch.add_unit")
    sign = " ".join((call_sign or "").upper().split())
    if not CALL_SIGN.match(sign):
        raise ValidationFailed(
            "Give a call sign of up to 32 letters, digits, spaces, hyphens or slashes, e.g. NM-R21.",
            field="call_sign",
        )
    if unit_type not in UnitType.values:
        raise ValidationFailed(
            f"Unknown unit type '{unit_type}'. Use one of: {', '.join(UnitType.values)}.", field="unit_type"
        )
    if status not in (UnitStatus.OFF_DUTY, UnitStatus.AVAILABLE):
        raise ValidationFailed("A new unit starts off duty or available.", field="status")
    if (latitude is None) != (longitude is None):
        raise ValidationFailed("Give both latitude and longitude, or neither.", field="latitude")
    if latitude is not None and longitude is not None:
        _check_position(latitude, longitude)
    now = timezone.now()
    members = list(crew)
    try:
        with transaction.atomic():
            unit = Unit.objects.create(
                call_sign=sign,
                unit_type=unit_type,
                skills=_clean_skills(skills),
                status=status,
                status_changed_at=now,
                latitude=latitude,
                longitude=longitude,
                position_at=now if latitude is not None else None,
                home_district=home_district,
                home_beat=home_beat,
            )
            if members:
                unit.crew.set(members)
            audit_record(
                actor=acting_user,
                action=Action.COLLECTION,
                operation="dispatch.unit_create",
                record_type="dispatch.unit",
                record_id=unit.pk,
                purpose="Resourcing",
                detail={"call_sign": sign, "crew": [member.pk for member in members]},
            )
            _unit_changed(unit.pk)
    except IntegrityError as error:
        if "unit_call_sign_unique" in str(error):
            raise ValidationFailed(f"There is already a unit {sign}.", field="call_sign") from None
        raise
    return unit


def unit_update(
    *,
    acting_user: User | None,
    unit: Unit,
    skills: Iterable[str] | None = None,
    crew: Iterable[User] | None = None,
    unit_type: str | None = None,
) -> Unit:
    """Change a unit's skills, crew or type (a crew changes at each shift)."""
    if acting_user is not None:
        _require(acting_user, "dispatch.change_unit")
    changes: dict[str, Any] = {}
    if skills is not None:
        changes["skills"] = _clean_skills(skills)
    if unit_type is not None:
        if unit_type not in UnitType.values:
            raise ValidationFailed(f"Unknown unit type '{unit_type}'.", field="unit_type")
        changes["unit_type"] = unit_type
    with transaction.atomic():
        Unit.objects.filter(pk=unit.pk).update(**changes, version=F("version") + 1, updated_at=timezone.now())
        if crew is not None:
            members = list(crew)
            unit.crew.set(members)
            audit_record(
                actor=acting_user,
                action=Action.ALTERATION,
                operation="dispatch.unit_crew",
                record_type="dispatch.unit",
                record_id=unit.pk,
                purpose="Resourcing",
                detail={"crew": [member.pk for member in members]},
            )
        _unit_changed(unit.pk)
    unit.refresh_from_db()
    return unit


def _active_assignment(unit_id: int) -> Assignment | None:
    return (
        Assignment.objects.select_related("incident").filter(unit_id=unit_id, cleared_at__isnull=True).first()
    )


def unit_set_status(
    *,
    acting_user: User | None,
    unit: Unit,
    status: str,
    note: str = "",
    at: datetime | None = None,
) -> Unit:
    """Report a unit's new status. Repeating the current status changes nothing (devices resend)."""
    now = timezone.now()
    when = _when(at, now)
    if status not in UnitStatus.values:
        raise ValidationFailed(
            f"Unknown status '{status}'. Use one of: {', '.join(UnitStatus.values)}.", field="status"
        )
    text = (note or "").strip()
    if len(text) > MAX_NOTE:
        raise ValidationFailed(f"Keep the note under {MAX_NOTE} characters.", field="note")
    current = Unit.objects.get(pk=unit.pk)
    _require_own_unit_or(acting_user, current, "dispatch.update_unit_status")
    if status == current.status:
        unit.refresh_from_db()
        return unit
    if status == UnitStatus.ASSIGNED:
        raise StatusChangeNotAllowed(
            f"Assign {current.call_sign} from the incident it is going to, not by setting its status."
        )
    if status not in TRANSITIONS.get(current.status, frozenset()):
        raise StatusChangeNotAllowed(
            f"{current.call_sign} is {status_label(current.status).lower()} and cannot go to "
            f"{status_label(status).lower()} from there."
        )
    with transaction.atomic():
        assignment = _active_assignment(current.pk)
        if status in ASSIGNMENT_STEPS and assignment is None:
            raise StatusChangeNotAllowed(
                f"{current.call_sign} has no incident to be {status_label(status).lower()} at; assign it first."
            )
        if (
            status == UnitStatus.OFF_DUTY
            and assignment is not None
            and current.status != UnitStatus.COMMITTED
        ):
            raise StatusChangeNotAllowed(
                f"Clear {current.call_sign} from its incident before it goes off duty."
            )
        # Compare-and-swap: only if nobody changed the unit since we read it.
        swapped = Unit.objects.filter(pk=current.pk, status=current.status).update(
            status=status, status_changed_at=when, version=F("version") + 1, updated_at=now
        )
        if swapped != 1:
            fresh = Unit.objects.get(pk=current.pk)
            raise Conflict(
                f"{current.call_sign} changed to {status_label(fresh.status).lower()} while you were "
                "updating it; check its status and try again.",
                field="status",
            )
        UnitStatusChange.objects.create(
            unit=current,
            from_status=current.status,
            to_status=status,
            at=when,
            by=acting_user if acting_user is not None and acting_user.is_authenticated else None,
            incident=assignment.incident if assignment is not None else None,
            note=text,
        )
        if assignment is not None:
            _advance_assignment(assignment, status, when, acting_user)
        _unit_changed(current.pk)
    unit.refresh_from_db()
    return unit


def _advance_assignment(assignment: Assignment, status: str, when: datetime, by: User | None) -> None:
    """Record a unit's step on its assignment: en route, at scene, or cleared."""
    if status in ASSIGNMENT_STEPS:
        field = "en_route_at" if status == UnitStatus.EN_ROUTE else "at_scene_at"
        Assignment.objects.filter(pk=assignment.pk, cleared_at__isnull=True).update(
            status=ASSIGNMENT_STEPS[status], version=F("version") + 1, **{field: when}
        )
        if status == UnitStatus.AT_SCENE:
            incident_record_arrival(incident=assignment.incident, at=when, acting_user=by)
    elif status in CLEARING:
        _clear(assignment, when, by)
    else:
        return
    assignment.refresh_from_db()
    _assignment_changed(assignment)


def _clear(assignment: Assignment, when: datetime, by: User | None) -> bool:
    return (
        Assignment.objects.filter(pk=assignment.pk, cleared_at__isnull=True).update(
            status=AssignmentStatus.CLEARED,
            cleared_at=when,
            cleared_by=by if by is not None and by.is_authenticated else None,
            version=F("version") + 1,
        )
        == 1
    )


def unit_update_position(
    *,
    acting_user: User | None,
    unit: Unit,
    latitude: float,
    longitude: float,
    at: datetime | None = None,
) -> Unit:
    """Record where a unit is. A report older than the position held is ignored."""
    now = timezone.now()
    when = _when(at, now)
    _check_position(latitude, longitude)
    current = Unit.objects.get(pk=unit.pk)
    _require_own_unit_or(acting_user, current, "dispatch.update_unit_status")
    with transaction.atomic():
        moved = (
            Unit.objects.filter(pk=current.pk)
            .filter(Q(position_at__isnull=True) | Q(position_at__lte=when))
            .update(
                latitude=float(latitude),
                longitude=float(longitude),
                position_at=when,
                version=F("version") + 1,
                updated_at=now,
            )
        )
        if moved:
            fresh = Unit.objects.only("call_sign", "version").get(pk=current.pk)
            events.publish(
                topics.UNIT_MOVED,
                {
                    "id": current.pk,
                    "version": fresh.version,
                    "call_sign": fresh.call_sign,
                    "latitude": float(latitude),
                    "longitude": float(longitude),
                    "position_at": when.isoformat(),
                },
            )
    unit.refresh_from_db()
    return unit


# --- assignments ---------------------------------------------------------------------------------


def _not_available(unit_id: int) -> UnitNotAvailable:
    """The refusal for a unit that is not available, saying what it is doing instead."""
    unit = Unit.objects.get(pk=unit_id)
    detail = ""
    active = _active_assignment(unit_id)
    if active is not None:
        detail = f" to incident {active.incident.reference}"
    return UnitNotAvailable(unit.call_sign, status_label(unit.status), detail=detail)


def assignment_create(
    *,
    acting_user: User | None,
    incident: Incident,
    unit: Unit,
    at: datetime | None = None,
) -> Assignment:
    """Send an available unit to an open incident. Race-safe: the unit is taken by compare-and-swap."""
    if acting_user is not None:
        _require(acting_user, "dispatch.assign_unit")
    now = timezone.now()
    when = _when(at, now)
    with transaction.atomic():
        current = Incident.objects.only("status", "opened_at").get(pk=incident.pk)
        if not current.is_open:
            raise IncidentClosed(current.reference)
        # The compare-and-swap: exactly one of two concurrent dispatchers changes the row. The loser's
        # UPDATE waits for the winner's commit, then finds the status no longer 'available'.
        taken = Unit.objects.filter(pk=unit.pk, status=UnitStatus.AVAILABLE).update(
            status=UnitStatus.ASSIGNED, status_changed_at=when, version=F("version") + 1, updated_at=now
        )
        if taken != 1:
            raise _not_available(unit.pk)
        assignment = Assignment.objects.create(
            incident_id=current.pk,
            unit_id=unit.pk,
            status=AssignmentStatus.ASSIGNED,
            assigned_at=when,
            assigned_by=acting_user if acting_user is not None and acting_user.is_authenticated else None,
        )
        UnitStatusChange.objects.create(
            unit_id=unit.pk,
            from_status=UnitStatus.AVAILABLE,
            to_status=UnitStatus.ASSIGNED,
            at=when,
            by=assignment.assigned_by,
            incident_id=current.pk,
        )
        audit_record(
            actor=acting_user,
            action=Action.ALTERATION,
            operation="dispatch.assignment_create",
            record_type="incidents.incident",
            record_id=current.pk,
            purpose="Dispatch",
            detail={"unit": unit.pk, "assignment": assignment.pk},
        )
        _assignment_changed(assignment)
        _unit_changed(unit.pk)
    return assignment


def assignment_clear(
    *,
    acting_user: User | None,
    assignment: Assignment,
    at: datetime | None = None,
) -> Assignment:
    """Clear a unit from its incident (stood down, or finished); the unit becomes available."""
    unit = Unit.objects.get(pk=assignment.unit_id)
    if acting_user is not None:
        _require_own_unit_or(acting_user, unit, "dispatch.assign_unit")
    when = _when(at, timezone.now())
    with transaction.atomic():
        if not _clear(assignment, when, acting_user):
            raise Conflict(f"{unit.call_sign} has already cleared from that incident.", field="assignment")
        _release_unit(unit.pk, assignment.incident_id, when, acting_user, "Cleared from the incident")
        assignment.refresh_from_db()
        _assignment_changed(assignment)
    return assignment


def _release_unit(unit_id: int, incident_id: int, when: datetime, by: User | None, note: str) -> None:
    """Make a unit that was deployed on an incident available again."""
    unit = Unit.objects.get(pk=unit_id)
    if unit.status not in (
        UnitStatus.ASSIGNED,
        UnitStatus.EN_ROUTE,
        UnitStatus.AT_SCENE,
        UnitStatus.COMMITTED,
    ):
        return
    if Unit.objects.filter(pk=unit_id, status=unit.status).update(
        status=UnitStatus.AVAILABLE,
        status_changed_at=when,
        version=F("version") + 1,
        updated_at=timezone.now(),
    ):
        UnitStatusChange.objects.create(
            unit_id=unit_id,
            from_status=unit.status,
            to_status=UnitStatus.AVAILABLE,
            at=when,
            by=by if by is not None and by.is_authenticated else None,
            incident_id=incident_id,
            note=note,
        )
        _unit_changed(unit_id)


def assignments_clear_for_closed_incident(*, incident_id: int) -> int:
    """An incident closed: clear its units that are still on it, and make them available."""
    now = timezone.now()
    cleared = 0
    with transaction.atomic():
        for assignment in Assignment.objects.filter(incident_id=incident_id, cleared_at__isnull=True):
            if _clear(assignment, now, None):
                _release_unit(assignment.unit_id, incident_id, now, None, "Incident closed")
                assignment.refresh_from_db()
                _assignment_changed(assignment)
                cleared += 1
    return cleared
