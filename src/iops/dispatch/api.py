"""Dispatch API: units and their reports, recommendations and assignments for an incident, the live
board as JSON, its event stream, and the figures for command.

Mounted at the API root, so its incident paths sit beside the incidents router's
(``/incidents/{id}/recommendations``, ``/incidents/{id}/assignments``, ``/incidents/{id}/attendance``)
without sharing a path with it. Errors are ``{"code", "message", "field"}``: assigning a unit that is
not available is a 409 with code ``unit_not_available`` and field ``unit``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone
from ninja import Query, Router, Schema, Status

from iops.audit.access import get_or_not_found
from iops.audit.permissions import check_permission
from iops.dispatch import figures, selectors, services
from iops.dispatch.events import BOARD_TOPICS
from iops.dispatch.models import Assignment, Unit
from iops.dispatch.recommend import Recommendation
from iops.platform.api_types import Moment
from iops.platform.errors import ValidationFailed
from iops.platform.sse import event_stream

router = Router(tags=["dispatch"])


# --- schemas -------------------------------------------------------------------------------------


class CrewOut(Schema):
    id: int
    name: str
    collar_number: str


class UnitOut(Schema):
    id: int
    call_sign: str
    type: str
    type_label: str
    skills: list[str]
    status: str
    status_label: str
    status_changed_at: datetime
    latitude: float | None
    longitude: float | None
    position_at: datetime | None
    home_district: int | None
    crew: list[CrewOut]
    incident: int | None
    assignment: int | None
    version: int


class UnitBrief(Schema):
    id: int
    call_sign: str
    type: str
    skills: list[str]
    status: str


class AssignmentOut(Schema):
    id: int
    incident: int
    incident_reference: str
    unit: int
    call_sign: str
    status: str
    assigned_at: datetime
    assigned_by: int | None
    en_route_at: datetime | None
    at_scene_at: datetime | None
    cleared_at: datetime | None
    version: int


class RecommendationOut(Schema):
    unit: UnitBrief
    eta_seconds: int | None
    eta_minutes: int | None
    distance_m: float | None
    position_stale: bool


class RecommendationsOut(Schema):
    incident: int
    needed_skills: list[str]
    skills_used: list[str]
    recommendations: list[RecommendationOut]


class AttendanceOut(Schema):
    incident: int
    reference: str
    grade: str
    status: str
    status_label: str
    opened_at: datetime
    due_at: datetime | None
    arrived_at: datetime | None
    target_seconds: int | None
    attended_seconds: int | None
    remaining_seconds: int | None


class BoardIncidentOut(Schema):
    id: int
    reference: str
    version: int
    grade: str
    grade_name: str
    opening_category: str
    category_name: str
    qualifiers: list[str]
    location_text: str
    latitude: float | None
    longitude: float | None
    opened_at: datetime
    waiting_seconds: int
    attendance: AttendanceOut
    needed_skills: list[str]
    assignments: list[AssignmentOut]
    recommendations: list[RecommendationOut]


class BoardOut(Schema):
    at: datetime
    incidents: list[BoardIncidentOut]
    units: list[UnitOut]
    off_duty: int


class StatusIn(Schema):
    status: str
    note: str = ""
    at: Moment | None = None


class PositionIn(Schema):
    latitude: float
    longitude: float
    at: Moment | None = None


class AssignmentIn(Schema):
    unit: int


# --- shaping -------------------------------------------------------------------------------------


def unit_out(unit: Unit) -> UnitOut:
    active = getattr(unit, "active_assignments", None)
    if active is None:
        active = list(Assignment.objects.filter(unit=unit, cleared_at__isnull=True))
    current = active[0] if active else None
    row = selectors.BoardUnit(unit=unit, assignment=current)
    return UnitOut(
        id=unit.pk,
        call_sign=unit.call_sign,
        type=unit.unit_type,
        type_label=row.type_label,
        skills=list(unit.skills),
        status=unit.status,
        status_label=row.status_label,
        status_changed_at=unit.status_changed_at,
        latitude=unit.latitude,
        longitude=unit.longitude,
        position_at=unit.position_at,
        home_district=unit.home_district_id,
        crew=[
            CrewOut(
                id=member.pk,
                name=member.get_full_name() or member.username,
                collar_number=member.collar_number,
            )
            for member in unit.crew.all()
        ],
        incident=current.incident_id if current else None,
        assignment=current.pk if current else None,
        version=unit.version,
    )


def assignment_out(assignment: Assignment) -> AssignmentOut:
    return AssignmentOut(
        id=assignment.pk,
        incident=assignment.incident_id,
        incident_reference=assignment.incident.reference,
        unit=assignment.unit_id,
        call_sign=assignment.unit.call_sign,
        status=assignment.status,
        assigned_at=assignment.assigned_at,
        assigned_by=assignment.assigned_by_id,
        en_route_at=assignment.en_route_at,
        at_scene_at=assignment.at_scene_at,
        cleared_at=assignment.cleared_at,
        version=assignment.version,
    )


def recommendation_out(found: Recommendation) -> RecommendationOut:
    unit = found.unit
    return RecommendationOut(
        unit=UnitBrief(
            id=unit.pk,
            call_sign=unit.call_sign,
            type=unit.unit_type,
            skills=list(unit.skills),
            status=unit.status,
        ),
        eta_seconds=found.eta_seconds,
        eta_minutes=found.eta_minutes,
        distance_m=round(found.distance_m) if found.distance_m is not None else None,
        position_stale=found.position_stale,
    )


def attendance_out(incident: Any, clock: selectors.AttendanceClock) -> AttendanceOut:
    return AttendanceOut(
        incident=incident.pk,
        reference=incident.reference,
        grade=incident.grade,
        status=clock.status,
        status_label=clock.label,
        opened_at=clock.opened_at,
        due_at=clock.due_at,
        arrived_at=clock.arrived_at,
        target_seconds=clock.target_seconds,
        attended_seconds=clock.attended_seconds,
        remaining_seconds=clock.remaining_seconds,
    )


def board_incident_out(row: selectors.BoardIncident) -> BoardIncidentOut:
    incident = row.incident
    return BoardIncidentOut(
        id=incident.pk,
        reference=incident.reference,
        version=incident.version,
        grade=incident.grade,
        grade_name=row.grade_name,
        opening_category=incident.opening_category,
        category_name=row.category_name,
        qualifiers=list(incident.qualifiers),
        location_text=incident.location_text,
        latitude=incident.latitude,
        longitude=incident.longitude,
        opened_at=incident.opened_at,
        waiting_seconds=row.waiting_seconds,
        attendance=attendance_out(incident, row.attendance),
        needed_skills=list(row.needed_skills),
        assignments=[_assignment_on(incident, assignment) for assignment in row.assignments],
        recommendations=[recommendation_out(found) for found in row.recommendations],
    )


def _assignment_on(incident: Any, assignment: Assignment) -> AssignmentOut:
    # The board's assignments are prefetched from the incident: reuse it rather than fetch it again.
    assignment.incident = incident
    return assignment_out(assignment)


def _unit(request: HttpRequest, unit_id: int) -> Unit:
    return selectors.unit_get(request.user, unit_id)  # type: ignore[arg-type]


# --- units ---------------------------------------------------------------------------------------


class UnitQuery(Schema):
    status: str = ""
    type: str = ""


@router.get("/units", response=list[UnitOut], summary="Units, by call sign, with status, position and crew")
def dispatch_unit_list(request: HttpRequest, query: Query[UnitQuery]) -> Any:
    units = selectors.unit_list(request.user, status=query.status, unit_type=query.type)  # type: ignore[arg-type]
    return [unit_out(unit) for unit in units]


@router.get("/units/{unit_id}", response=UnitOut, summary="One unit")
def dispatch_unit_get(request: HttpRequest, unit_id: int) -> Any:
    return unit_out(_unit(request, unit_id))


@router.post(
    "/units/{unit_id}/status",
    response=UnitOut,
    summary="Report a unit's status (its crew, or a dispatcher)",
    description="Statuses: available, en_route, at_scene, committed, refreshment, off_duty "
    "(assigned is set by assigning). Repeating the current status changes nothing. A refused change is "
    '409 with code "status_change_not_allowed" and field "status".',
)
def dispatch_unit_status(request: HttpRequest, unit_id: int, payload: StatusIn) -> Any:
    unit = get_or_not_found(Unit.objects.all(), unit_id, label="unit")
    services.unit_set_status(
        acting_user=request.user,  # type: ignore[arg-type]
        unit=unit,
        status=payload.status,
        note=payload.note,
        at=payload.at,
    )
    return unit_out(_unit(request, unit_id))


@router.post(
    "/units/{unit_id}/position",
    response=UnitOut,
    summary="Report where a unit is (its crew's device, or a dispatcher)",
)
def dispatch_unit_position(request: HttpRequest, unit_id: int, payload: PositionIn) -> Any:
    unit = get_or_not_found(Unit.objects.all(), unit_id, label="unit")
    services.unit_update_position(
        acting_user=request.user,  # type: ignore[arg-type]
        unit=unit,
        latitude=payload.latitude,
        longitude=payload.longitude,
        at=payload.at,
    )
    return unit_out(_unit(request, unit_id))


# --- incidents -------------------------------------------------------------------------------------


class RecommendationQuery(Schema):
    skills: str | None = None
    limit: int = 5


@router.get(
    "/incidents/{incident_id}/recommendations",
    response=RecommendationsOut,
    summary="Available units for an incident, soonest to arrive first",
    description="Filtered by the skills the incident needs (from its qualifiers and category) unless "
    "`skills` is given: a comma-separated list, or empty (`skills=`) for every available unit.",
)
def dispatch_recommendations(
    request: HttpRequest, incident_id: int, query: Query[RecommendationQuery]
) -> Any:
    incident = selectors.incident_get(request.user, incident_id)  # type: ignore[arg-type]
    skills = None if query.skills is None else [s.strip() for s in query.skills.split(",") if s.strip()]
    found = selectors.recommendations_for(
        request.user,  # type: ignore[arg-type]
        incident,
        skills=skills,
        limit=query.limit,
    )
    return RecommendationsOut(
        incident=incident.pk,
        needed_skills=list(found.needed_skills),
        skills_used=list(found.skills_used),
        recommendations=[recommendation_out(r) for r in found.units],
    )


@router.get(
    "/incidents/{incident_id}/assignments", response=list[AssignmentOut], summary="Units sent to an incident"
)
def dispatch_assignment_list(request: HttpRequest, incident_id: int) -> Any:
    incident = selectors.incident_get(request.user, incident_id)  # type: ignore[arg-type]
    return [assignment_out(a) for a in selectors.incident_assignments(request.user, incident)]  # type: ignore[arg-type]


@router.post(
    "/incidents/{incident_id}/assignments",
    response={201: AssignmentOut},
    summary="Assign a unit to an incident",
    description="Race-safe: of two dispatchers assigning one unit at once, one gets 201 and the other 409 "
    '{"code": "unit_not_available", "field": "unit"} naming what the unit is now doing.',
)
def dispatch_assignment_create(request: HttpRequest, incident_id: int, payload: AssignmentIn) -> Any:
    incident = selectors.incident_get(request.user, incident_id)  # type: ignore[arg-type]
    unit = Unit.objects.filter(pk=payload.unit).first()
    if unit is None:
        raise ValidationFailed(f"There is no unit {payload.unit}.", field="unit")
    assignment = services.assignment_create(acting_user=request.user, incident=incident, unit=unit)  # type: ignore[arg-type]
    assignment = Assignment.objects.select_related("incident", "unit").get(pk=assignment.pk)
    return Status(201, assignment_out(assignment))


@router.get(
    "/incidents/{incident_id}/attendance",
    response=AttendanceOut,
    summary="An incident's attendance against its grade's target: met, missed, pending or no target",
)
def dispatch_attendance(request: HttpRequest, incident_id: int) -> Any:
    incident = selectors.incident_get(request.user, incident_id)  # type: ignore[arg-type]
    return attendance_out(incident, selectors.attendance_for(incident, timezone.now()))


@router.post(
    "/assignments/{assignment_id}/clear", response=AssignmentOut, summary="Clear a unit from its incident"
)
def dispatch_assignment_clear(request: HttpRequest, assignment_id: int) -> Any:
    check_permission(request.user, "dispatch.view_assignment")
    assignment = get_or_not_found(Assignment.objects.all(), assignment_id, label="assignment")
    services.assignment_clear(acting_user=request.user, assignment=assignment)  # type: ignore[arg-type]
    return assignment_out(Assignment.objects.select_related("incident", "unit").get(pk=assignment_id))


# --- the board and its events -----------------------------------------------------------------------


class BoardQuery(Schema):
    district: int | None = None


@router.get("/board", response=BoardOut, summary="The live board: open incidents and units on duty")
def dispatch_board(request: HttpRequest, query: Query[BoardQuery]) -> Any:
    board = selectors.board(request.user, district_id=query.district)  # type: ignore[arg-type]
    return BoardOut(
        at=board.at,
        incidents=[board_incident_out(row) for row in board.incidents],
        units=[unit_out(row.unit) for row in board.units],
        off_duty=board.off_duty,
    )


class EventsQuery(Schema):
    topics: str = ""


@router.get(
    "/events",
    summary="Server-sent events for live screens",
    description="A text/event-stream. First `ready` (refetch now), then one event per change, named by "
    "topic: " + ", ".join(BOARD_TOPICS) + "; `resync` means refetch everything. A comment every 15 s "
    "keeps the connection open. See docs/howto/live-board.md.",
)
async def dispatch_events(request: HttpRequest, query: Query[EventsQuery]) -> HttpResponseBase:
    await sync_to_async(check_permission)(request.auth, "dispatch.view_board")
    asked = [topic.strip() for topic in query.topics.split(",") if topic.strip()]
    unknown = [topic for topic in asked if topic not in BOARD_TOPICS]
    if unknown:
        raise ValidationFailed(
            f"Unknown topic {', '.join(unknown)}. Topics are: {', '.join(BOARD_TOPICS)}.", field="topics"
        )
    return event_stream(request, asked or BOARD_TOPICS)


# --- figures ---------------------------------------------------------------------------------------


class FigureQuery(Schema):
    start: date | Moment | None = None
    end: date | Moment | None = None
    bucket: str = "hour"


class CallPeriodOut(Schema):
    start: datetime
    calls: int
    answered: int
    unanswered: int
    within_10s: int
    between_10_and_60s: int
    over_60s: int
    percent_within_10s: float | None


class CallFiguresOut(Schema):
    start: datetime
    end: datetime
    bucket: str
    target_seconds: int
    aim_percent: float
    total: CallPeriodOut
    periods: list[CallPeriodOut]


class AttendanceCellOut(Schema):
    incidents: int
    met: int
    missed: int
    pending: int
    percent_met: float | None
    mean_minutes: float | None


class AttendancePeriodOut(Schema):
    start: datetime
    grades: dict[str, AttendanceCellOut]


class AttendanceFiguresOut(Schema):
    start: datetime
    end: datetime
    bucket: str
    grades: dict[str, str]
    totals: dict[str, AttendanceCellOut]
    periods: list[AttendancePeriodOut]


def _call_period(period: figures.CallPeriod) -> CallPeriodOut:
    return CallPeriodOut(
        start=period.start,
        calls=period.calls,
        answered=period.answered,
        unanswered=period.unanswered,
        within_10s=period.within_target,
        between_10_and_60s=period.between,
        over_60s=period.slow,
        percent_within_10s=period.percent_within_target,
    )


def _attendance_cell(cell: figures.AttendanceCell) -> AttendanceCellOut:
    return AttendanceCellOut(
        incidents=cell.incidents,
        met=cell.met,
        missed=cell.missed,
        pending=cell.pending,
        percent_met=cell.percent_met,
        mean_minutes=round(cell.mean_seconds / 60, 1) if cell.mean_seconds is not None else None,
    )


@router.get(
    "/figures/calls",
    response=CallFiguresOut,
    summary="999 calls answered within 10 seconds, per hour, day or week",
)
def dispatch_figures_calls(request: HttpRequest, query: Query[FigureQuery]) -> Any:
    chosen = figures.figure_range(start=query.start, end=query.end, bucket=query.bucket)
    found = figures.call_answer_figures(request.user, chosen)  # type: ignore[arg-type]
    return CallFiguresOut(
        start=chosen.start,
        end=chosen.end,
        bucket=chosen.bucket,
        target_seconds=found.target_seconds,
        aim_percent=found.aim_percent,
        total=_call_period(found.total),
        periods=[_call_period(period) for period in found.periods],
    )


@router.get(
    "/figures/attendance",
    response=AttendanceFiguresOut,
    summary="Incidents attended within their grade's target, per grade and per hour, day or week",
)
def dispatch_figures_attendance(request: HttpRequest, query: Query[FigureQuery]) -> Any:
    chosen = figures.figure_range(start=query.start, end=query.end, bucket=query.bucket)
    found = figures.attendance_figures(request.user, chosen)  # type: ignore[arg-type]
    return AttendanceFiguresOut(
        start=chosen.start,
        end=chosen.end,
        bucket=chosen.bucket,
        grades=dict(found.grades),
        totals={code: _attendance_cell(cell) for code, cell in found.totals.items()},
        periods=[
            AttendancePeriodOut(
                start=period.start,
                grades={code: _attendance_cell(cell) for code, cell in period.by_grade.items()},
            )
            for period in found.periods
        ],
    )
