"""Crimes API, mounted at /api/v1: record and read crimes, change classification and outcome,
transfer and cancel, parties, allocation, actions, reviews and victim contacts; the non-crime
rationale of an incident; the registrar's audit of undecided incidents and the compliance figure.

Reads of personal data need a purpose: the ``purpose`` query parameter or an ``X-Purpose`` header.
Times are ISO 8601 with a zone. Errors are ``{"code", "message", "field"}`` with a 4xx status, e.g.
``unknown_offence_code`` (400, field ``offence_code``), ``one_crime_per_victim`` (400, field
``victims``), ``victim_already_recorded`` (409), ``registrar_only`` (403).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.responses import Status

from iops.accounts.models import User
from iops.audit.access import check_permission, get_or_not_found
from iops.crimes import access, codes, selectors, services
from iops.crimes.models import Crime, InvestigationAction
from iops.geo.models import Address
from iops.incidents.models import Incident
from iops.people.models import Nominal
from iops.platform.api_types import Moment
from iops.platform.errors import ValidationFailed

router = Router(tags=["crimes"])
MAX_LIMIT = 500


def _purpose(request: HttpRequest, purpose: str | None) -> str | None:
    return purpose if (purpose or "").strip() else request.headers.get("X-Purpose")


def _user(request: HttpRequest) -> Any:
    return request.user


def _people(ids: list[int], field: str) -> list[Nominal]:
    found = {person.pk: person for person in Nominal.objects.filter(pk__in=ids)}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise ValidationFailed(f"There is no person with id {missing[0]}.", field=field)
    return [found[pk] for pk in ids]


def _officer(pk: int | None, field: str) -> User | None:
    if pk is None:
        return None
    officer = User.objects.filter(pk=pk).first()
    if officer is None:
        raise ValidationFailed(f"There is no user with id {pk}.", field=field)
    return officer


def _crime(request: HttpRequest, crime_id: int, purpose: str) -> Crime:
    """The crime, read through its access helper (permission, need-to-know, logged)."""
    return access.access_crime(request.user, crime_id, purpose=purpose, operation="crimes.view_for_change")


# --- schemas -------------------------------------------------------------------------------------


class CrimeIn(Schema):
    offence_code: str
    committed_from: Moment
    committed_to: Moment | None = None
    incident_ids: list[int] = []
    reported_at: Moment | None = None
    victims: list[int] = []
    suspects: list[int] = []
    offenders: list[int] = []
    witnesses: list[int] = []
    address_id: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    location_text: str = ""
    modus_operandi: str = ""
    additional_offence_codes: list[str] = []
    allocated_officer_id: int | None = None
    victim_update_interval_days: int | None = None
    restricted: bool = False
    restriction_contact: str = ""


class PartyOut(Schema):
    person_id: int
    reference: str
    name: str
    role: str


class DutyOut(Schema):
    id: int
    kind: str
    title: str
    status: str
    due_at: datetime
    overdue: bool
    escalation_level: int


class CrimeOut(Schema):
    id: int
    number: str
    state: str
    offence_code: str
    offence_description: str
    police_uk_category: str
    police_uk_category_name: str
    additional_offence_codes: list[str]
    principal_crime: str | None
    committed_from: datetime
    committed_to: datetime | None
    reported_at: datetime
    recorded_at: datetime
    recorded_within_24h: bool
    location_text: str
    latitude: float | None
    longitude: float | None
    beat: str | None
    lsoa: str | None
    modus_operandi: str
    investigation_status: str
    allocated_officer_id: int | None
    outcome_type: int | None
    outcome_name: str | None
    outcome_at: datetime | None
    police_uk_outcome: str
    transferred_to_force: str
    cancellation_code: str
    cancellation_reason: str
    restricted: bool
    incident_ids: list[int]
    parties: list[PartyOut]
    duties: list[DutyOut]


def crime_out(crime: Crime) -> dict[str, Any]:
    now = timezone.now()
    known = crime.offence_code in codes.offences()
    offence = codes.offence(crime.offence_code) if known else None
    category = (
        codes.police_uk_categories().get(crime.police_uk_category)
        if crime.police_uk_category in codes.police_uk_categories()
        else None
    )
    outcome = codes.outcome_type(crime.outcome_type) if crime.outcome_type is not None else None
    return {
        "id": crime.pk,
        "number": crime.number,
        "state": crime.state,
        "offence_code": crime.offence_code,
        "offence_description": offence.description if offence else "",
        "police_uk_category": crime.police_uk_category,
        "police_uk_category_name": category.name if category else "",
        "additional_offence_codes": list(crime.additional_offence_codes),
        "principal_crime": crime.principal_crime.number if crime.principal_crime_id else None,
        "committed_from": crime.committed_from,
        "committed_to": crime.committed_to,
        "reported_at": crime.reported_at,
        "recorded_at": crime.recorded_at,
        "recorded_within_24h": crime.recorded_at - crime.reported_at <= selectors.RECORDING_WINDOW,
        "location_text": crime.location_text,
        "latitude": crime.latitude,
        "longitude": crime.longitude,
        "beat": crime.beat.code if crime.beat_id else None,
        "lsoa": crime.lsoa.code if crime.lsoa_id else None,
        "modus_operandi": crime.modus_operandi,
        "investigation_status": crime.investigation_status,
        "allocated_officer_id": crime.allocated_officer_id,
        "outcome_type": crime.outcome_type,
        "outcome_name": outcome.name if outcome else None,
        "outcome_at": crime.outcome_at,
        "police_uk_outcome": crime.police_uk_outcome,
        "transferred_to_force": crime.transferred_to_force,
        "cancellation_code": crime.cancellation_code,
        "cancellation_reason": crime.cancellation_reason,
        "restricted": crime.restricted,
        "incident_ids": list(crime.incident_links.values_list("incident_id", flat=True)),
        "parties": [
            {"person_id": p.person_id, "reference": p.reference, "name": p.name, "role": p.role}
            for p in selectors.crime_parties(crime)
        ],
        "duties": [
            {
                "id": duty.pk,
                "kind": duty.kind,
                "title": duty.title,
                "status": duty.status,
                "due_at": duty.due_at,
                "overdue": duty.is_overdue(now),
                "escalation_level": duty.escalation_level,
            }
            for duty in selectors.crime_duties(crime)
        ],
    }


def _fresh(crime: Crime) -> dict[str, Any]:
    return crime_out(Crime.objects.select_related("principal_crime", "beat", "lsoa").get(pk=crime.pk))


# --- crimes ------------------------------------------------------------------------------------------


@router.post("/crimes", response={201: CrimeOut}, summary="Record a crime")
def record_crime(request: HttpRequest, payload: CrimeIn) -> Any:
    check_permission(request.user, services.RECORD)
    incidents = list(Incident.objects.filter(pk__in=payload.incident_ids))
    if len(incidents) != len(set(payload.incident_ids)):
        known = {incident.pk for incident in incidents}
        missing = next(pk for pk in payload.incident_ids if pk not in known)
        raise ValidationFailed(f"There is no incident with id {missing}.", field="incident_ids")
    address = None
    if payload.address_id is not None:
        address = Address.objects.filter(pk=payload.address_id).first()
        if address is None:
            raise ValidationFailed(f"There is no address with id {payload.address_id}.", field="address_id")
    crime = services.crime_record(
        acting_user=_user(request),
        offence_code=payload.offence_code,
        committed_from=payload.committed_from,
        committed_to=payload.committed_to,
        incidents=incidents,
        reported_at=payload.reported_at,
        victims=_people(payload.victims, "victims"),
        suspects=_people(payload.suspects, "suspects"),
        offenders=_people(payload.offenders, "offenders"),
        witnesses=_people(payload.witnesses, "witnesses"),
        address=address,
        latitude=payload.latitude,
        longitude=payload.longitude,
        location_text=payload.location_text,
        modus_operandi=payload.modus_operandi,
        additional_offence_codes=payload.additional_offence_codes,
        allocated_officer=_officer(payload.allocated_officer_id, "allocated_officer_id"),
        victim_update_interval_days=payload.victim_update_interval_days,
        restricted=payload.restricted,
        restriction_contact=payload.restriction_contact,
    )
    return Status(201, _fresh(crime))


@router.get("/crimes/{int:crime_id}", response=CrimeOut, summary="One crime (needs a purpose)")
def get_crime(
    request: HttpRequest, crime_id: int, purpose: str | None = None, break_glass_reason: str | None = None
) -> Any:
    crime = access.access_crime(
        request.user, crime_id, purpose=_purpose(request, purpose), break_glass_reason=break_glass_reason
    )
    return _fresh(crime)


class CrimeListQuery(Schema):
    purpose: str | None = None
    mine: bool = False
    state: str = ""
    status: str = ""
    category: str = ""
    number: str = ""
    limit: int = 100
    offset: int = 0


class CrimeSummaryOut(Schema):
    id: int
    number: str
    state: str
    offence_code: str
    police_uk_category: str
    investigation_status: str
    reported_at: datetime
    recorded_at: datetime
    allocated_officer_id: int | None


class CrimePage(Schema):
    count_returned: int
    offset: int
    results: list[CrimeSummaryOut]


@router.get("/crimes", response=CrimePage, summary="Crimes you may see, newest first (needs a purpose)")
def list_crimes(request: HttpRequest, query: Query[CrimeListQuery]) -> Any:
    if not 1 <= query.limit <= MAX_LIMIT:
        raise ValidationFailed(f"limit must be between 1 and {MAX_LIMIT}.", field="limit")
    if query.offset < 0:
        raise ValidationFailed("offset must not be negative.", field="offset")
    purpose = _purpose(request, query.purpose)
    user = _user(request)
    if query.mine:
        rows = list(selectors.crimes_allocated_to(user)[query.offset : query.offset + query.limit])
    else:
        filters = selectors.CrimeFilter(
            state=query.state, status=query.status, category=query.category, number=query.number
        )
        rows = list(selectors.crime_list(user, filters)[query.offset : query.offset + query.limit])
    access.access_crimes_listed(user, rows, purpose=purpose or "")
    return {"count_returned": len(rows), "offset": query.offset, "results": rows}


class ClassificationIn(Schema):
    offence_code: str
    reason: str


@router.post("/crimes/{int:crime_id}/classification", response=CrimeOut, summary="Reclassify a crime")
def reclassify(request: HttpRequest, crime_id: int, payload: ClassificationIn) -> Any:
    crime = _crime(request, crime_id, "Reclassifying the crime")
    services.crime_reclassify(
        acting_user=_user(request), crime=crime, offence_code=payload.offence_code, reason=payload.reason
    )
    return _fresh(crime)


class OutcomeIn(Schema):
    outcome_type: int
    outcome_at: Moment | None = None
    reason: str = ""


@router.post("/crimes/{int:crime_id}/outcome", response=CrimeOut, summary="Record a crime's outcome")
def set_outcome(request: HttpRequest, crime_id: int, payload: OutcomeIn) -> Any:
    crime = _crime(request, crime_id, "Recording the outcome")
    services.crime_outcome_set(
        acting_user=_user(request),
        crime=crime,
        outcome_type=payload.outcome_type,
        outcome_at=payload.outcome_at,
        reason=payload.reason,
    )
    return _fresh(crime)


class TransferIn(Schema):
    to_force: str
    reason: str


@router.post("/crimes/{int:crime_id}/transfer", response=CrimeOut, summary="Transfer to another force (C1)")
def transfer(request: HttpRequest, crime_id: int, payload: TransferIn) -> Any:
    crime = _crime(request, crime_id, "Transferring the crime")
    services.crime_transfer(
        acting_user=_user(request), crime=crime, to_force=payload.to_force, reason=payload.reason
    )
    return _fresh(crime)


class CancellationIn(Schema):
    code: str
    reason: str


@router.post(
    "/crimes/{int:crime_id}/cancellation", response=CrimeOut, summary="Cancel a crime (registrar only)"
)
def cancel(request: HttpRequest, crime_id: int, payload: CancellationIn) -> Any:
    crime = _crime(request, crime_id, "Crime recording audit: cancellation")
    services.crime_cancel(acting_user=_user(request), crime=crime, code=payload.code, reason=payload.reason)
    return _fresh(crime)


class PartyIn(Schema):
    person_id: int
    role: str


@router.post("/crimes/{int:crime_id}/parties", response=CrimeOut, summary="Add a victim, suspect or witness")
def add_party(request: HttpRequest, crime_id: int, payload: PartyIn) -> Any:
    crime = _crime(request, crime_id, "Adding a person to the crime")
    (person,) = _people([payload.person_id], "person_id")
    services.crime_party_add(acting_user=_user(request), crime=crime, nominal=person, role=payload.role)
    return _fresh(crime)


class AllocationIn(Schema):
    officer_id: int


@router.post("/crimes/{int:crime_id}/allocation", response=CrimeOut, summary="Allocate to an investigator")
def allocate(request: HttpRequest, crime_id: int, payload: AllocationIn) -> Any:
    crime = _crime(request, crime_id, "Allocating the crime")
    officer = _officer(payload.officer_id, "officer_id")
    assert officer is not None
    services.crime_allocate(acting_user=_user(request), crime=crime, officer=officer)
    return _fresh(crime)


class ActionIn(Schema):
    description: str
    due_at: Moment
    owner_id: int | None = None


@router.post(
    "/crimes/{int:crime_id}/actions", response={201: CrimeOut}, summary="Set an investigation action"
)
def add_action(request: HttpRequest, crime_id: int, payload: ActionIn) -> Any:
    crime = _crime(request, crime_id, "Investigation")
    services.investigation_action_add(
        acting_user=_user(request),
        crime=crime,
        description=payload.description,
        due_at=payload.due_at,
        owner_user=_officer(payload.owner_id, "owner_id"),
    )
    return Status(201, _fresh(crime))


class ResultIn(Schema):
    result: str


@router.post(
    "/crimes/{int:crime_id}/actions/{int:action_id}/completion",
    response=CrimeOut,
    summary="Record an action's result",
)
def complete_action(request: HttpRequest, crime_id: int, action_id: int, payload: ResultIn) -> Any:
    crime = _crime(request, crime_id, "Investigation")
    action = get_or_not_found(InvestigationAction.objects.filter(crime=crime), action_id, label="action")
    services.investigation_action_complete(acting_user=_user(request), action=action, result=payload.result)
    return _fresh(crime)


class ReviewIn(Schema):
    review: str
    directions: str = ""


@router.post("/crimes/{int:crime_id}/reviews", response={201: CrimeOut}, summary="Record a supervisor review")
def review(request: HttpRequest, crime_id: int, payload: ReviewIn) -> Any:
    crime = _crime(request, crime_id, "Supervisor review")
    services.supervisor_review_record(
        acting_user=_user(request), crime=crime, review=payload.review, directions=payload.directions
    )
    return Status(201, _fresh(crime))


class VictimContactIn(Schema):
    obligation: str
    note: str
    consent: str = ""
    next_update_interval_days: int | None = None


@router.post(
    "/crimes/{int:crime_id}/victim-contacts",
    response={201: CrimeOut},
    summary="Record a Victims' Code contact with the victim",
)
def victim_contact(request: HttpRequest, crime_id: int, payload: VictimContactIn) -> Any:
    crime = _crime(request, crime_id, "Victim care")
    services.victim_contact_record(
        acting_user=_user(request),
        crime=crime,
        obligation=payload.obligation,
        note=payload.note,
        consent=payload.consent,
        next_update_interval_days=payload.next_update_interval_days,
    )
    return Status(201, _fresh(crime))


# --- the recording decision of an incident ----------------------------------------------------------


class RationaleIn(Schema):
    rationale: str
    n100_reason: str = ""


class RationaleOut(Schema):
    id: int
    incident_id: int
    rationale: str
    decided_by_id: int
    decided_at: datetime


@router.post(
    "/incidents/{int:incident_id}/non-crime-rationale",
    response={201: RationaleOut},
    summary="Record why a crime-related incident is not a crime (supervisor or registrar)",
)
def non_crime_rationale(request: HttpRequest, incident_id: int, payload: RationaleIn) -> Any:
    incident = get_or_not_found(Incident.objects.all(), incident_id, label="incident")
    decision = services.non_crime_rationale_record(
        acting_user=_user(request),
        incident=incident,
        rationale=payload.rationale,
        n100_reason=payload.n100_reason,
    )
    return Status(
        201,
        {
            "id": decision.pk,
            "incident_id": decision.incident_id,
            "rationale": decision.rationale,
            "decided_by_id": decision.decided_by_id,
            "decided_at": decision.decided_at,
        },
    )


# --- the registrar's audit and the compliance figure ------------------------------------------------


class UnresolvedQuery(Schema):
    purpose: str | None = None
    clock: str = ""
    district: int | None = None
    category: str = ""
    incident_status: str = ""
    older_than_hours: int | None = None
    limit: int = 100
    offset: int = 0


class UnresolvedOut(Schema):
    incident_id: int
    reference: str
    opening_category: str
    status: str
    reported_at: datetime
    age_hours: float
    district: str | None
    duty_id: int | None
    duty_status: str | None
    due_at: datetime | None
    overdue: bool
    escalation_level: int | None


class UnresolvedPage(Schema):
    total: int
    offset: int
    results: list[UnresolvedOut]


@router.get(
    "/crimes/registrar/unresolved",
    response=UnresolvedPage,
    summary="Crime-related incidents with neither a crime nor a rationale, oldest first (needs a purpose)",
)
def unresolved(request: HttpRequest, query: Query[UnresolvedQuery]) -> Any:
    if not 1 <= query.limit <= MAX_LIMIT:
        raise ValidationFailed(f"limit must be between 1 and {MAX_LIMIT}.", field="limit")
    if query.offset < 0:
        raise ValidationFailed("offset must not be negative.", field="offset")
    now = timezone.now()
    filters = selectors.UnresolvedFilter(
        district=query.district,
        category=query.category,
        incident_status=query.incident_status,
        clock=query.clock,
        older_than_hours=query.older_than_hours,
    )
    rows, total = access.access_unresolved_incidents(
        request.user,
        filters,
        purpose=_purpose(request, query.purpose),
        offset=query.offset,
        limit=query.limit,
        now=now,
    )
    return {
        "total": total,
        "offset": query.offset,
        "results": [
            {
                "incident_id": row.pk,
                "reference": row.reference,
                "opening_category": row.opening_category,
                "status": row.status,
                "reported_at": row.opened_at,
                "age_hours": round((now - row.opened_at).total_seconds() / 3600, 1),
                "district": row.district.name if row.district_id else None,
                "duty_id": row.decision_duty_id,
                "duty_status": row.decision_status,
                "due_at": row.decision_due_at,
                "overdue": bool(
                    row.decision_status == "open" and row.decision_due_at and row.decision_due_at <= now
                ),
                "escalation_level": row.decision_escalation,
            }
            for row in rows
        ],
    }


class ComplianceQuery(Schema):
    since: date | None = None
    until: date | None = None


class ComplianceWeekOut(Schema):
    week_start: date
    crimes: int
    within_24h: int
    share: float | None


class ComplianceOut(Schema):
    since: datetime
    until: datetime
    crimes: int
    within_24h: int
    share: float | None
    weeks: list[ComplianceWeekOut]


@router.get(
    "/crimes/figures/compliance",
    response=ComplianceOut,
    summary="Share of crimes recorded within 24 hours of the report, overall and by week",
)
def compliance(request: HttpRequest, query: Query[ComplianceQuery]) -> Any:
    user = _user(request)
    if not (user.has_perm(selectors.AUDIT_PERMISSION) or user.has_perm("duties.view_backlog")):
        check_permission(user, selectors.AUDIT_PERMISSION)
    since = selectors.start_of_day(query.since) if query.since else None
    until = selectors.start_of_day(query.until) if query.until else None
    return selectors.recording_compliance(since=since, until=until).as_dict()
