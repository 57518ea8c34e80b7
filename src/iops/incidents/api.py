"""Calls and incidents API (mounted at ``/api/v1``): record calls, open, assess, grade, log, close
and link incidents, likely duplicates, the risk at a location, and NENA EIDO export and import.

Every refusal is ``{"code", "message", "field"}`` with a 4xx status (``iops.api``). Reads that show
callers' details are logged through ``incidents.access`` with a purpose; writes go through
``incidents.services``. ``POST /incidents`` with an inline ``call`` records the call and opens
the incident in one transaction and answers with the id and reference only, so it stays cheap.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Body, Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from iops.audit.access import get_or_not_found
from iops.geo.models import Address
from iops.incidents import access, codes, selectors, services
from iops.incidents.models import Call, Incident
from iops.incidents.presenters import attendance_clock
from iops.platform.api_types import Moment
from iops.platform.errors import ValidationFailed

router = Router(tags=["incidents"])
DEFAULT_VIEW_PURPOSE = "Incident handling"
DEFAULT_LIST_PURPOSE = "Incident list"


# --- schemas -----------------------------------------------------------------------------------


class Located(Schema):
    address_id: int | None = Field(None, description="A gazetteer address (its id)")
    latitude: float | None = None
    longitude: float | None = None
    radius_m: int | None = Field(None, description="Uncertainty of the point in metres")
    location_text: str = Field("", description="The location as described")


class CallIn(Located):
    channel: str = Field(description="999, 101, online, alarm, partner or walk_in")
    connected_at: Moment | None = Field(
        None, description="When the call reached the control room (from the telephone system)"
    )
    answered_at: Moment | None = Field(
        None, description="When a person answered; defaults to now when connected_at is not given"
    )
    caller_name: str = ""
    caller_phone: str = ""
    caller_relationship: str = ""
    what_was_said: str = ""
    aml_message: str = Field("", description="The AML SMS exactly as received (ETSI TS 103 625)")
    people_named: list[str] = Field(default_factory=list, description="Names the caller mentioned")


class ThriveIn(Schema):
    threat: str = ""
    harm: str = ""
    risk: str = ""
    investigation: str = ""
    vulnerability: str = ""
    engagement: str = ""


class IncidentIn(Located):
    call_id: int | None = Field(None, description="A call already recorded")
    call: CallIn | None = Field(None, description="Or the call itself, recorded in the same request")
    opening_category: str = ""
    qualifiers: list[str] = Field(default_factory=list)
    summary: str = ""
    thrive: ThriveIn | None = Field(None, description="With an inline call: THRIVE at the same time")
    grade: str = Field("", description="With an inline call and THRIVE: the grade")


class CreatedOut(Schema):
    id: int
    reference: str
    call_id: int | None = None


class CallOut(Schema):
    id: int
    channel: str
    connected_at: datetime
    answered_at: datetime | None
    answer_seconds: float | None
    connection_measured: bool
    handler: str
    caller_name: str
    caller_phone: str
    caller_relationship: str
    what_was_said: str
    people_named: list[str]
    aml_message: str
    aml_positioned_at: datetime | None
    aml_method: str
    aml_confidence: int | None
    location_source: str
    address_id: int | None
    latitude: float | None
    longitude: float | None
    radius_m: int | None
    location_text: str
    incident_id: int | None


class LinkIn(Schema):
    incident_id: int


class ThriveOut(Schema):
    version: int
    threat: str
    harm: str
    risk: str
    investigation: str
    vulnerability: str
    engagement: str
    assessed_by: str
    assessed_at: datetime


class GradeIn(Schema):
    grade: str = ""
    reason: str = ""


class GradeOut(Schema):
    version: int
    grade: str
    grade_name: str
    previous_grade: str
    thrive_version: int
    reason: str
    decided_by: str
    decided_at: datetime
    attendance_due_at: datetime | None


class LogIn(Schema):
    text: str = ""


class LogOut(Schema):
    id: int
    at: datetime
    author: str | None
    kind: str
    text: str


class CloseIn(Schema):
    closing_category: str = ""
    closing_result: str = ""
    crime_report_needed: bool | None = None
    duplicate_of: int | None = None
    note: str = ""


class CrimeRelatedIn(Schema):
    note: str = ""


class ClockOut(Schema):
    due_at: datetime | None
    target_minutes: int | None
    seconds_left: int | None
    overdue: bool
    stopped_at: datetime | None
    met: bool | None


class LocationOut(Schema):
    source: str
    address_id: int | None
    uprn: int | None
    latitude: float | None
    longitude: float | None
    radius_m: int | None
    text: str


class IncidentSummaryOut(Schema):
    id: int
    reference: str
    status: str
    opened_at: datetime
    opening_category: str
    category_name: str
    category_group: str
    qualifiers: list[str]
    summary: str
    location: LocationOut
    beat: str | None
    district: str | None
    rural: bool
    grade: str
    grade_name: str
    attendance: ClockOut
    crime_related: bool
    version: int


class IncidentOut(IncidentSummaryOut):
    opened_by: str
    thrive_version: int
    graded_at: datetime | None
    first_arrived_at: datetime | None
    crime_related_at: datetime | None
    crime_report_needed: bool | None
    closed_at: datetime | None
    closed_by: str | None
    closing_category: str
    closing_result: str
    duplicate_of: int | None
    calls: list[CallOut]
    thrive: list[ThriveOut]
    grades: list[GradeOut]
    log: list[LogOut]


class DuplicateOut(Schema):
    incident: IncidentSummaryOut
    distance_m: float | None
    same_address: bool
    minutes_apart: float
    reasons: list[str]


class MarkerOut(Schema):
    code: str
    label: str
    officer_safety: bool
    details: str


class PersonAtAddressOut(Schema):
    nominal_id: int
    reference: str
    name: str
    role_at_address: str
    markers: list[MarkerOut]
    restricted: bool
    hidden: bool
    restriction_contact: str


class AddressRiskOut(Schema):
    address_id: int
    address: str
    people: list[PersonAtAddressOut]


class HistoryOut(Schema):
    incident: IncidentSummaryOut
    distance_m: float | None
    same_address: bool


class NamedMatchOut(Schema):
    nominal_id: int
    reference: str
    names: list[str]
    score: float
    markers: list[str]
    hidden: bool


class NamedOut(Schema):
    name: str
    matches: list[NamedMatchOut]
    problem: str


class RiskOut(Schema):
    purpose: str
    addresses: list[AddressRiskOut]
    history: list[HistoryOut]
    named: list[NamedOut]
    people_refused: str
    history_refused: str


class ListQuery(Schema):
    grade: str = ""
    group: str = ""
    qualifier: str = ""
    district: str = ""
    category: str = ""
    purpose: str = DEFAULT_LIST_PURPOSE
    limit: int = Field(100, ge=1, le=selectors.LIST_LIMIT)


# --- presenting --------------------------------------------------------------------------------


def _user(user: Any) -> str:
    return str(user) if user is not None else ""


def _location(record: Incident | Call) -> LocationOut:
    return LocationOut(
        source=record.location_source,
        address_id=record.address_id,
        uprn=record.address.uprn if record.address is not None else None,
        latitude=record.latitude,
        longitude=record.longitude,
        radius_m=record.radius_m,
        text=record.location_text,
    )


def _clock(incident: Incident, now: datetime) -> ClockOut:
    clock = attendance_clock(incident, now)
    return ClockOut(
        due_at=clock.due_at,
        target_minutes=clock.target_minutes,
        seconds_left=clock.seconds_left,
        overdue=clock.overdue,
        stopped_at=clock.stopped_at,
        met=clock.met,
    )


def _summary_fields(incident: Incident, now: datetime) -> dict[str, Any]:
    category = codes.opening_category(incident.opening_category)
    return {
        "id": incident.pk,
        "reference": incident.reference,
        "status": incident.status,
        "opened_at": incident.opened_at,
        "opening_category": incident.opening_category,
        "category_name": category.name,
        "category_group": category.group.value,
        "qualifiers": list(incident.qualifiers),
        "summary": incident.summary,
        "location": _location(incident),
        "beat": incident.beat.code if incident.beat is not None else None,
        "district": incident.district.code if incident.district is not None else None,
        "rural": incident.rural,
        "grade": incident.grade,
        "grade_name": codes.grade(incident.grade).name if incident.grade else "",
        "attendance": _clock(incident, now),
        "crime_related": incident.crime_related,
        "version": incident.version,
    }


def summary_out(incident: Incident, now: datetime | None = None) -> IncidentSummaryOut:
    return IncidentSummaryOut(**_summary_fields(incident, now or timezone.now()))


def call_out(call: Call) -> CallOut:
    return CallOut(
        id=call.pk,
        channel=call.channel,
        connected_at=call.connected_at,
        answered_at=call.answered_at,
        answer_seconds=call.answer_seconds,
        connection_measured=call.connection_measured,
        handler=_user(call.handler),
        caller_name=call.caller_name,
        caller_phone=call.caller_phone,
        caller_relationship=call.caller_relationship,
        what_was_said=call.what_was_said,
        people_named=list(call.people_named),
        aml_message=call.aml_message,
        aml_positioned_at=call.aml_positioned_at,
        aml_method=call.aml_method,
        aml_confidence=call.aml_confidence,
        location_source=call.location_source,
        address_id=call.address_id,
        latitude=call.latitude,
        longitude=call.longitude,
        radius_m=call.radius_m,
        location_text=call.location_text,
        incident_id=call.incident_id,
    )


def incident_out(incident: Incident) -> IncidentOut:
    """The full incident; expects ``incident_detail_queryset``'s prefetches."""
    now = timezone.now()
    return IncidentOut(
        **_summary_fields(incident, now),
        opened_by=_user(incident.opened_by),
        thrive_version=incident.thrive_version,
        graded_at=incident.graded_at,
        first_arrived_at=incident.first_arrived_at,
        crime_related_at=incident.crime_related_at,
        crime_report_needed=incident.crime_report_needed,
        closed_at=incident.closed_at,
        closed_by=_user(incident.closed_by) or None,
        closing_category=incident.closing_category,
        closing_result=incident.closing_result,
        duplicate_of=incident.duplicate_of_id,
        calls=[call_out(call) for call in incident.calls.all()],
        thrive=[
            ThriveOut(
                version=item.version,
                threat=item.threat,
                harm=item.harm,
                risk=item.risk,
                investigation=item.investigation,
                vulnerability=item.vulnerability,
                engagement=item.engagement,
                assessed_by=_user(item.assessed_by),
                assessed_at=item.assessed_at,
            )
            for item in incident.thrive_assessments.all()
        ],
        grades=[
            GradeOut(
                version=item.version,
                grade=item.grade,
                grade_name=codes.grade(item.grade).name,
                previous_grade=item.previous_grade,
                thrive_version=item.thrive_version,
                reason=item.reason,
                decided_by=_user(item.decided_by),
                decided_at=item.decided_at,
                attendance_due_at=item.attendance_due_at,
            )
            for item in incident.grade_decisions.all()
        ],
        log=[
            LogOut(
                id=entry.pk, at=entry.at, author=_user(entry.author) or None, kind=entry.kind, text=entry.text
            )
            for entry in incident.log.all()
        ],
    )


def _address(user: Any, address_id: int | None) -> Address | None:
    if address_id is None:
        return None
    return get_or_not_found(
        Address.objects.filter(force_id=user.force_id).select_related("beat"), address_id, label="address"
    )


def _call_details(user: Any, payload: CallIn) -> services.CallDetails:
    return services.CallDetails(
        channel=payload.channel,
        connected_at=payload.connected_at,
        answered_at=payload.answered_at,
        caller_name=payload.caller_name,
        caller_phone=payload.caller_phone,
        caller_relationship=payload.caller_relationship,
        what_was_said=payload.what_was_said,
        aml_message=payload.aml_message,
        address=_address(user, payload.address_id),
        latitude=payload.latitude,
        longitude=payload.longitude,
        radius_m=payload.radius_m,
        location_text=payload.location_text,
        people_named=tuple(payload.people_named),
    )


def _detail(request: HttpRequest, pk: int, purpose: str = DEFAULT_VIEW_PURPOSE) -> IncidentOut:
    return incident_out(access.access_incident(request.user, pk, purpose=purpose))


# --- calls -------------------------------------------------------------------------------------


@router.post("/calls", response={201: CallOut}, summary="Record a call (AML message accepted raw)")
def create_call(request: HttpRequest, payload: CallIn) -> Status[CallOut]:
    user: Any = request.user
    details = _call_details(user, payload)
    call = services.call_create(
        acting_user=user,
        channel=details.channel,
        connected_at=details.connected_at,
        answered_at=details.answered_at,
        caller_name=details.caller_name,
        caller_phone=details.caller_phone,
        caller_relationship=details.caller_relationship,
        what_was_said=details.what_was_said,
        aml_message=details.aml_message,
        address=details.address,
        latitude=details.latitude,
        longitude=details.longitude,
        radius_m=details.radius_m,
        location_text=details.location_text,
        people_named=details.people_named,
    )
    return Status(201, call_out(call))


@router.post("/calls/{call_id}/link", response=CallOut, summary="Link a further call to an open incident")
def link_call(request: HttpRequest, call_id: int, payload: LinkIn) -> CallOut:
    user: Any = request.user
    call = selectors.call_for(user, call_id)
    incident = selectors.incident_for(user, payload.incident_id)
    return call_out(services.call_link(acting_user=user, call=call, incident=incident))


# --- incidents ---------------------------------------------------------------------------------


@router.post(
    "/incidents",
    response={201: CreatedOut},
    summary="Open an incident from a recorded call, an inline call, or directly",
)
def create_incident(request: HttpRequest, payload: IncidentIn) -> Status[CreatedOut]:
    user: Any = request.user
    if payload.call is not None and payload.call_id is not None:
        raise ValidationFailed("Give call_id or call, not both.", field="call")
    if payload.call is not None:
        taken = services.call_take(
            acting_user=user,
            call=_call_details(user, payload.call),
            opening_category=payload.opening_category,
            qualifiers=payload.qualifiers,
            summary=payload.summary,
            thrive=services.ThriveAnswers(**payload.thrive.dict()) if payload.thrive is not None else None,
            grade=payload.grade,
        )
        assert taken.incident is not None
        return Status(
            201, CreatedOut(id=taken.incident.pk, reference=taken.incident.reference, call_id=taken.call.pk)
        )
    if payload.thrive is not None or payload.grade:
        raise ValidationFailed(
            "THRIVE and a grade can come with an inline call; otherwise post them to the incident.",
            field="grade",
        )
    call = selectors.call_for(user, payload.call_id) if payload.call_id is not None else None
    incident = services.incident_create(
        acting_user=user,
        opening_category=payload.opening_category,
        qualifiers=payload.qualifiers,
        summary=payload.summary,
        call=call,
        address=_address(user, payload.address_id),
        latitude=payload.latitude,
        longitude=payload.longitude,
        radius_m=payload.radius_m,
        location_text=payload.location_text,
    )
    return Status(
        201, CreatedOut(id=incident.pk, reference=incident.reference, call_id=call.pk if call else None)
    )


@router.get("/incidents", response=list[IncidentSummaryOut], summary="Open incidents, with filters")
def list_incidents(request: HttpRequest, filters: Query[ListQuery]) -> list[IncidentSummaryOut]:
    chosen = selectors.IncidentFilter(
        grade=filters.grade,
        group=filters.group,
        qualifier=filters.qualifier,
        district=filters.district,
        category=filters.category,
    )
    now = timezone.now()
    incidents = access.access_incident_list(
        request.user, chosen, purpose=filters.purpose, limit=filters.limit
    )
    return [summary_out(incident, now) for incident in incidents]


@router.get(
    "/incidents/duplicates",
    response=list[DuplicateOut],
    summary="Likely duplicates: open incidents near in place and time with a similar category",
)
def duplicates(
    request: HttpRequest,
    category: str,
    lat: float | None = None,
    lon: float | None = None,
    address_id: int | None = None,
) -> list[DuplicateOut]:
    found = selectors.likely_duplicates(
        request.user, opening_category=category, latitude=lat, longitude=lon, address_id=address_id
    )
    now = timezone.now()
    return [
        DuplicateOut(
            incident=summary_out(item.incident, now),
            distance_m=item.distance_m,
            same_address=item.same_address,
            minutes_apart=item.minutes_apart,
            reasons=item.reasons,
        )
        for item in found
    ]


@router.post("/incidents/eido", response={201: CreatedOut}, summary="Take in an incident sent as a NENA EIDO")
def import_eido(request: HttpRequest, document: dict[str, Any] = Body(...)) -> Status[CreatedOut]:  # noqa: B008
    incident = services.incident_import_eido(acting_user=request.user, document=document)
    return Status(201, CreatedOut(id=incident.pk, reference=incident.reference))


@router.get("/incidents/{incident_id}", response=IncidentOut, summary="One incident in full (a logged read)")
def get_incident(request: HttpRequest, incident_id: int, purpose: str = DEFAULT_VIEW_PURPOSE) -> IncidentOut:
    return _detail(request, incident_id, purpose)


@router.get("/incidents/{incident_id}/eido", summary="The incident as a NENA EIDO (a logged disclosure)")
def export_eido(
    request: HttpRequest, incident_id: int, recipient: str = "", purpose: str = ""
) -> dict[str, Any]:
    user: Any = request.user
    if not recipient.strip():
        raise ValidationFailed("Say who the EIDO is for: sending it is a disclosure.", field="recipient")
    incident = access.access_incident(user, incident_id, purpose=purpose or f"Transfer to {recipient}")
    return services.incident_export_eido(
        acting_user=user,
        incident=incident,
        recipient=recipient,
        purpose=purpose or f"Transfer to {recipient}",
    )


@router.post(
    "/incidents/{incident_id}/thrive", response={201: ThriveOut}, summary="Record a THRIVE assessment"
)
def record_thrive(request: HttpRequest, incident_id: int, payload: ThriveIn) -> Status[ThriveOut]:
    user: Any = request.user
    incident = selectors.incident_for(user, incident_id)
    item = services.thrive_record(acting_user=user, incident=incident, **payload.dict())
    return Status(
        201,
        ThriveOut(
            version=item.version,
            threat=item.threat,
            harm=item.harm,
            risk=item.risk,
            investigation=item.investigation,
            vulnerability=item.vulnerability,
            engagement=item.engagement,
            assessed_by=_user(user),
            assessed_at=item.assessed_at,
        ),
    )


@router.post(
    "/incidents/{incident_id}/grade",
    response={201: GradeOut},
    summary="Grade or re-grade (needs THRIVE first; a re-grade needs a reason)",
)
def grade(request: HttpRequest, incident_id: int, payload: GradeIn) -> Status[GradeOut]:
    user: Any = request.user
    incident = selectors.incident_for(user, incident_id)
    if not payload.grade.strip():
        raise ValidationFailed("Choose a grade.", field="grade")
    item = services.incident_grade(
        acting_user=user, incident=incident, grade=payload.grade, reason=payload.reason
    )
    return Status(
        201,
        GradeOut(
            version=item.version,
            grade=item.grade,
            grade_name=codes.grade(item.grade).name,
            previous_grade=item.previous_grade,
            thrive_version=item.thrive_version,
            reason=item.reason,
            decided_by=_user(user),
            decided_at=item.decided_at,
            attendance_due_at=item.attendance_due_at,
        ),
    )


@router.post("/incidents/{incident_id}/log", response={201: LogOut}, summary="Add a line to the incident log")
def add_log(request: HttpRequest, incident_id: int, payload: LogIn) -> Status[LogOut]:
    user: Any = request.user
    incident = selectors.incident_for(user, incident_id)
    entry = services.incident_log_add(acting_user=user, incident=incident, text=payload.text)
    return Status(201, LogOut(id=entry.pk, at=entry.at, author=_user(user), kind=entry.kind, text=entry.text))


@router.post("/incidents/{incident_id}/close", response=IncidentOut, summary="Close with category and result")
def close(request: HttpRequest, incident_id: int, payload: CloseIn) -> IncidentOut:
    user: Any = request.user
    incident = selectors.incident_for(user, incident_id)
    duplicate_of = selectors.incident_for(user, payload.duplicate_of) if payload.duplicate_of else None
    services.incident_close(
        acting_user=user,
        incident=incident,
        closing_category=payload.closing_category,
        closing_result=payload.closing_result,
        crime_report_needed=payload.crime_report_needed,
        duplicate_of=duplicate_of,
        note=payload.note,
    )
    return _detail(request, incident_id)


@router.post(
    "/incidents/{incident_id}/crime-related",
    response=IncidentOut,
    summary="Flag crime-related (opens the 24-hour crime recording decision)",
)
def crime_related(request: HttpRequest, incident_id: int, payload: CrimeRelatedIn) -> IncidentOut:
    user: Any = request.user
    incident = selectors.incident_for(user, incident_id)
    services.incident_flag_crime_related(acting_user=user, incident=incident, note=payload.note)
    return _detail(request, incident_id)


# --- risk at a location ------------------------------------------------------------------------


@router.get(
    "/locations/risk", response=RiskOut, summary="People, markers and incidents at a location (logged)"
)
def location_risk(
    request: HttpRequest,
    purpose: str = "",
    address_id: int | None = None,
    lat: float | None = None,
    lon: float | None = None,
    radius_m: int | None = None,
    names: list[str] = Query([]),  # noqa: B008
) -> RiskOut:
    if address_id is None and (lat is None or lon is None) and not names:
        raise ValidationFailed("Give an address_id, or lat and lon, or names.", field="address_id")
    risk = access.location_risk(
        request.user,
        purpose=purpose,
        address_id=address_id,
        latitude=lat,
        longitude=lon,
        radius_m=radius_m,
        names=names,
    )
    now = timezone.now()
    return RiskOut(
        purpose=purpose,
        addresses=[
            AddressRiskOut(
                address_id=summary.address_id,
                address=summary.address,
                people=[
                    PersonAtAddressOut(
                        nominal_id=person.nominal_id,
                        reference=person.reference,
                        name=person.name,
                        role_at_address=person.role_at_address,
                        markers=[
                            MarkerOut(
                                code=marker.code,
                                label=marker.label,
                                officer_safety=marker.officer_safety,
                                details=marker.details,
                            )
                            for marker in person.markers
                        ],
                        restricted=person.restricted,
                        hidden=person.hidden,
                        restriction_contact=person.restriction_contact,
                    )
                    for person in summary.people
                ],
            )
            for summary in risk.addresses
        ],
        history=[
            HistoryOut(
                incident=summary_out(item.incident, now),
                distance_m=item.distance_m,
                same_address=item.same_address,
            )
            for item in risk.history
        ],
        named=[
            NamedOut(
                name=check.name,
                problem=check.problem,
                matches=[
                    NamedMatchOut(
                        nominal_id=result.nominal_id,
                        reference=result.reference,
                        names=result.names,
                        score=result.score,
                        markers=[marker.label for marker in result.markers],
                        hidden=result.hidden,
                    )
                    for result in (check.outcome.results if check.outcome else [])
                ],
            )
            for check in risk.named
        ],
        people_refused=risk.people_refused,
        history_refused=risk.history_refused,
    )
