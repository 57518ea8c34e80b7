"""Reads for dispatch: the live board, units, recommendations and each incident's attendance clock.

The board is built in a fixed number of queries however many incidents and units it shows (open
incidents; their active assignments; units with their crews and assignments), and recommendations
are ranked in Python over the available units already loaded, so a board of 100 incidents and 200
units costs the same handful of queries as an empty one. The page, its fragments and
``GET /api/v1/board`` all read ``board()``, so a refetched board equals what any of them shows.
The board shows no caller details, only what a dispatcher needs to send a unit, so reading it is
not logged as a consultation of personal data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from iops.accounts.models import User
from iops.audit.access import get_or_not_found
from iops.audit.permissions import check_permission
from iops.dispatch.choices import Attendance, Skill, UnitStatus, UnitType
from iops.dispatch.models import Assignment, Unit
from iops.dispatch.recommend import Recommendation, needed_skills, rank
from iops.incidents import codes
from iops.incidents.choices import IncidentStatus
from iops.incidents.models import Incident
from iops.platform.errors import ValidationFailed

BOARD_RECOMMENDATIONS = 3
# Where an incident not yet graded sorts among the grades (after priority, before scheduled): its
# call is probably still being taken, and it may yet become an emergency.
UNGRADED_ORDER = 2.5


@dataclass(frozen=True)
class AttendanceClock:
    """An incident's attendance against its grade's target, at a moment."""

    status: str
    opened_at: datetime
    due_at: datetime | None
    arrived_at: datetime | None
    target_seconds: int | None
    attended_seconds: int | None
    remaining_seconds: int | None

    @property
    def label(self) -> str:
        return Attendance(self.status).label

    @property
    def overdue(self) -> bool:
        return self.remaining_seconds is not None and self.remaining_seconds < 0


def attendance_for(incident: Incident, now: datetime) -> AttendanceClock:
    """Time from report to first arrival against the target: met, missed, pending or no target."""
    due = incident.attendance_due_at
    arrived = incident.first_arrived_at
    target = int((due - incident.opened_at).total_seconds()) if due is not None else None
    attended = int((arrived - incident.opened_at).total_seconds()) if arrived is not None else None
    if due is None:
        status = Attendance.NO_TARGET
    elif arrived is not None:
        status = Attendance.MET if arrived <= due else Attendance.MISSED
    else:
        status = Attendance.PENDING if now <= due else Attendance.MISSED
    remaining = int((due - now).total_seconds()) if due is not None and arrived is None else None
    return AttendanceClock(status, incident.opened_at, due, arrived, target, attended, remaining)


def grade_order(grade: str) -> float:
    if not grade:
        return UNGRADED_ORDER
    try:
        return float(codes.grade(grade).order)
    except codes.UnknownCode:
        return 99.0


def grade_name(grade: str) -> str:
    if not grade:
        return "Not graded"
    try:
        return codes.grade(grade).name
    except codes.UnknownCode:
        return grade


def _grade_deploys(grade: str) -> bool:
    if not grade:
        return True
    try:
        return codes.grade(grade).deploys
    except codes.UnknownCode:
        return True


@dataclass
class BoardIncident:
    incident: Incident
    attendance: AttendanceClock
    waiting_seconds: int
    assignments: list[Assignment]
    needed_skills: tuple[str, ...]
    recommendations: list[Recommendation]

    @property
    def grade_name(self) -> str:
        return grade_name(self.incident.grade)

    @property
    def deploys(self) -> bool:
        return _grade_deploys(self.incident.grade)

    @property
    def qualifier_names(self) -> list[str]:
        names = []
        for code in self.incident.qualifiers:
            try:
                names.append(codes.qualifier(code).name)
            except codes.UnknownCode:
                names.append(code)
        return names

    @property
    def category_name(self) -> str:
        try:
            return codes.opening_category(self.incident.opening_category).name
        except codes.UnknownCode:
            return self.incident.opening_category

    @property
    def needed_skill_names(self) -> list[str]:
        return [Skill(skill).label for skill in self.needed_skills if skill in Skill.values]


@dataclass
class BoardUnit:
    unit: Unit
    assignment: Assignment | None

    @property
    def status_label(self) -> str:
        return UnitStatus(self.unit.status).label

    @property
    def type_label(self) -> str:
        return (
            UnitType(self.unit.unit_type).label
            if self.unit.unit_type in UnitType.values
            else self.unit.unit_type
        )

    @property
    def skill_names(self) -> list[str]:
        return [Skill(skill).label for skill in self.unit.skills if skill in Skill.values]


@dataclass
class Board:
    at: datetime
    incidents: list[BoardIncident] = field(default_factory=list)
    units: list[BoardUnit] = field(default_factory=list)
    off_duty: int = 0


def _active_assignments() -> QuerySet[Assignment]:
    return (
        Assignment.objects.filter(cleared_at__isnull=True)
        .select_related("unit")
        .order_by("assigned_at", "pk")
    )


def units_for_board() -> QuerySet[Unit]:
    return Unit.objects.prefetch_related(
        "crew",
        Prefetch(
            "assignments",
            queryset=Assignment.objects.filter(cleared_at__isnull=True).select_related("incident"),
            to_attr="active_assignments",
        ),
    ).order_by("call_sign")


def board_incidents(
    user: User, *, now: datetime | None = None, district_id: int | None = None
) -> list[BoardIncident]:
    """Open incidents, emergency first, then by time waiting (longest first), with their units."""
    check_permission(user, "dispatch.view_board")
    at = now or timezone.now()
    incidents = Incident.objects.filter(status=IncidentStatus.OPEN).prefetch_related(
        Prefetch("assignments", queryset=_active_assignments(), to_attr="active_assignments")
    )
    if district_id is not None:
        incidents = incidents.filter(district_id=district_id)
    available = list(Unit.objects.filter(status=UnitStatus.AVAILABLE))
    rows = []
    for incident in incidents:
        needs = needed_skills(incident.opening_category, incident.qualifiers)
        rows.append(
            BoardIncident(
                incident=incident,
                attendance=attendance_for(incident, at),
                waiting_seconds=int(incident.waiting(at).total_seconds()),
                assignments=list(getattr(incident, "active_assignments", [])),
                needed_skills=needs,
                recommendations=rank(
                    available,
                    latitude=incident.latitude,
                    longitude=incident.longitude,
                    skills=needs,
                    now=at,
                    limit=BOARD_RECOMMENDATIONS,
                )
                if _grade_deploys(incident.grade)
                else [],
            )
        )
    rows.sort(key=lambda row: (grade_order(row.incident.grade), row.incident.opened_at, row.incident.pk))
    return rows


def board_units(user: User) -> tuple[list[BoardUnit], int]:
    """Units on duty (by call sign) with their current assignment, and how many are off duty."""
    check_permission(user, "dispatch.view_board")
    rows = []
    off_duty = 0
    for unit in units_for_board():
        if unit.status == UnitStatus.OFF_DUTY:
            off_duty += 1
            continue
        active = getattr(unit, "active_assignments", [])
        rows.append(BoardUnit(unit=unit, assignment=active[0] if active else None))
    return rows, off_duty


def board(user: User, *, now: datetime | None = None, district_id: int | None = None) -> Board:
    at = now or timezone.now()
    units, off_duty = board_units(user)
    return Board(
        at=at,
        incidents=board_incidents(user, now=at, district_id=district_id),
        units=units,
        off_duty=off_duty,
    )


def unit_list(user: User, *, status: str = "", unit_type: str = "") -> QuerySet[Unit]:
    check_permission(user, "dispatch.view_unit")
    units = units_for_board()
    if status:
        if status not in UnitStatus.values:
            raise ValidationFailed(f"status must be one of {', '.join(UnitStatus.values)}.", field="status")
        units = units.filter(status=status)
    if unit_type:
        if unit_type not in UnitType.values:
            raise ValidationFailed(f"type must be one of {', '.join(UnitType.values)}.", field="type")
        units = units.filter(unit_type=unit_type)
    return units


def unit_get(user: User, pk: object) -> Unit:
    check_permission(user, "dispatch.view_unit")
    return get_or_not_found(units_for_board(), pk, label="unit")


def units_crewed_by(user: User) -> list[Unit]:
    """The units the user is crew of, on duty first."""
    units = list(units_for_board().filter(crew=user))
    units.sort(key=lambda unit: (unit.status == UnitStatus.OFF_DUTY, unit.call_sign))
    return units


def incident_get(user: User, pk: object) -> Incident:
    check_permission(user, "dispatch.view_board")
    return get_or_not_found(Incident.objects.all(), pk, label="incident")


@dataclass(frozen=True)
class Recommendations:
    incident: Incident
    needed_skills: tuple[str, ...]
    skills_used: tuple[str, ...]
    units: list[Recommendation]


def recommendations_for(
    user: User,
    incident: Incident,
    *,
    skills: Sequence[str] | None = None,
    limit: int = 5,
    now: datetime | None = None,
) -> Recommendations:
    """Available units for an incident, soonest first. ``skills`` overrides the skills derived from
    the incident (an empty list: every available unit)."""
    check_permission(user, "dispatch.view_board")
    if not 1 <= limit <= 100:
        raise ValidationFailed("limit must be between 1 and 100.", field="limit")
    needs = needed_skills(incident.opening_category, incident.qualifiers)
    if skills is None:
        used = needs
    else:
        unknown = [skill for skill in skills if skill not in Skill.values]
        if unknown:
            raise ValidationFailed(
                f"Unknown skill {', '.join(unknown)}. Skills are: {', '.join(Skill.values)}.", field="skills"
            )
        used = tuple(dict.fromkeys(skills))
    ranked = rank(
        Unit.objects.filter(status=UnitStatus.AVAILABLE),
        latitude=incident.latitude,
        longitude=incident.longitude,
        skills=used,
        now=now or timezone.now(),
        limit=limit,
    )
    return Recommendations(incident=incident, needed_skills=needs, skills_used=used, units=ranked)


def incident_assignments(user: User, incident: Incident) -> list[Assignment]:
    check_permission(user, "dispatch.view_assignment")
    return list(
        Assignment.objects.filter(incident=incident).select_related("unit").order_by("assigned_at", "pk")
    )


def awaiting_unit(user: User, *, limit: int = 10) -> list[BoardIncident]:
    """Open incidents that deploy and have no unit yet, most urgent first (the dispatcher's panel)."""
    rows = [row for row in board_incidents(user) if row.deploys and not row.assignments]
    return rows[:limit]


def assigned_to(user: User) -> list[Assignment]:
    """Active assignments of the units the user crews (the response officer's panel)."""
    return list(
        Assignment.objects.filter(cleared_at__isnull=True, unit__crew=user)
        .select_related("incident", "unit")
        .order_by("assigned_at")
    )
