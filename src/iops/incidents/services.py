"""Writers for calls and incidents.

Each service is one transaction: the rows, the incident log line, the s.62 audit entry, any duty
the change creates, and an event published after commit (``incidents.changed``) for live screens.
The rules they keep: a grade needs a THRIVE assessment of all six parts; a re-grade or
re-assessment is a new version with who and when; an incident closes only with a closing category
and result; an incident that is or becomes crime-related opens the 24-hour crime recording
decision (``crime_recording_decision``), due 24 hours after the report, exactly once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from iops.accounts.choices import TeamKind
from iops.accounts.models import Team, User
from iops.audit.choices import Action
from iops.audit.models import AuditEntry
from iops.audit.services import audit_record, audit_rows
from iops.duties.choices import Risk
from iops.duties.models import Duty
from iops.duties.services import duty_open
from iops.geo.models import Address, Area
from iops.geo.selectors import area_at
from iops.incidents import codes
from iops.incidents.aml import parse_aml
from iops.incidents.choices import Channel, IncidentStatus, LocationSource, LogKind
from iops.incidents.duty_kinds import CRIME_RECORDING_DECISION
from iops.incidents.eido import EidoLocation, incident_eido, parse_eido
from iops.incidents.errors import ClosingCategoryRequired, GradingRequiresThrive, IncidentClosed
from iops.incidents.models import (
    Call,
    EidoImport,
    GradeDecision,
    Incident,
    IncidentLogEntry,
    ThriveAssessment,
)
from iops.platform import events
from iops.platform.batch import Batch, reserve_ids
from iops.platform.errors import Conflict, PermissionRefused, ValidationFailed

# Qualifiers that make an obligation high-risk wherever they appear.
HIGH_RISK_QUALIFIERS = {"DOMESTIC", "CHILD", "VULN-ADULT", "FIREARMS", "KNIFE", "MISSING"}
# How qualifiers appear as duty tags (dashboards filter on these).
QUALIFIER_TAGS = {"DOMESTIC": "domestic_abuse", "CHILD": "child_protection", "VULN-ADULT": "vulnerable_adult"}
MAX_TEXT = 20_000
# The largest radius an AML message can carry (seven digits of metres), and so the largest we keep.
MAX_RADIUS_M = 9_999_999
T = TypeVar("T")


def qualifier_tag(code: str) -> str:
    return QUALIFIER_TAGS.get(code, code.lower().replace("-", "_"))


def _require(user: User | None, permission: str) -> None:
    if user is None or not user.is_authenticated or not user.has_perm(permission):
        raise PermissionRefused("Your role does not allow this.")


def _coded(lookup: Callable[[str], T], code: str, field: str) -> T:
    """A code-list lookup whose refusal names the field the caller used."""
    try:
        return lookup(code)
    except codes.UnknownCode as unknown:
        if not (code or "").strip():
            raise ValidationFailed(f"Choose the {field.replace('_', ' ')}.", field=field) from None
        raise codes.UnknownCode(unknown.message, field=field) from None


def _text(value: str, field: str, *, required: bool = False, label: str = "") -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed(f"Enter {label or field.replace('_', ' ')}.", field=field)
    if len(text) > MAX_TEXT:
        raise ValidationFailed(
            f"Keep {label or field.replace('_', ' ')} under {MAX_TEXT} characters.", field=field
        )
    return text


# --- location --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A resolved location: the point, its source and uncertainty, the gazetteer address if any."""

    source: str
    latitude: float | None
    longitude: float | None
    radius_m: int | None
    address: Address | None
    text: str


def resolve_place(
    *,
    address: Address | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    radius_m: int | None = None,
    location_text: str = "",
    source: str = "",
) -> Place:
    """Check and settle a location given as an address, a point, or words (in that preference)."""
    text = _text(location_text, "location_text", label="the location")
    if address is not None:
        return Place(
            LocationSource.ADDRESS,
            address.latitude,
            address.longitude,
            None,
            address,
            text or address.full_address,
        )
    if (latitude is None) != (longitude is None):
        raise ValidationFailed(
            "Give both latitude and longitude, or neither.",
            field="latitude" if latitude is None else "longitude",
        )
    if latitude is not None and longitude is not None:
        if not -90 <= latitude <= 90:
            raise ValidationFailed(f"Latitude {latitude} is out of range -90..90.", field="latitude")
        if not -180 <= longitude <= 180:
            raise ValidationFailed(f"Longitude {longitude} is out of range -180..180.", field="longitude")
        if radius_m is not None and radius_m < 0:
            raise ValidationFailed("The radius cannot be negative.", field="radius_m")
        if radius_m is not None and radius_m > MAX_RADIUS_M:
            raise ValidationFailed(
                f"The radius must be at most {MAX_RADIUS_M:,} metres (as an AML message allows).",
                field="radius_m",
            )
        chosen = source if source in LocationSource.values else LocationSource.MAP
        return Place(chosen, latitude, longitude, radius_m, None, text)
    if text:
        return Place(LocationSource.DESCRIBED, None, None, None, None, text)
    return Place("", None, None, None, None, "")


# --- calls -------------------------------------------------------------------------------------

MAX_NAMES = 20


@dataclass(frozen=True)
class CallDetails:
    """What a call handler records about one contact, before it is written."""

    channel: str
    connected_at: datetime | None = None
    answered_at: datetime | None = None
    caller_name: str = ""
    caller_phone: str = ""
    caller_relationship: str = ""
    what_was_said: str = ""
    aml_message: str = ""
    address: Address | None = None
    latitude: float | None = None
    longitude: float | None = None
    radius_m: int | None = None
    location_text: str = ""
    location_source: str = ""
    people_named: Sequence[str] = ()


def _names(names: Sequence[str]) -> list[str]:
    cleaned = list(dict.fromkeys(" ".join(str(name).split()) for name in names if str(name).strip()))
    if len(cleaned) > MAX_NAMES:
        raise ValidationFailed(f"Name at most {MAX_NAMES} people for one call.", field="people_named")
    for name in cleaned:
        if len(name) > 200:
            raise ValidationFailed("Keep each name under 200 characters.", field="people_named")
    return cleaned


def _call_values(details: CallDetails) -> dict[str, Any]:
    """Check a call and settle its times and place; the row's values, nothing written yet."""
    if details.channel not in Channel.values:
        raise ValidationFailed(
            f"Unknown channel '{details.channel}'. Use one of: {', '.join(Channel.values)}.", field="channel"
        )
    now = timezone.now()
    if details.connected_at is not None:
        # From the telephone system: the answer time is measured from it (None: not answered).
        connected, answered, measured = details.connected_at, details.answered_at, True
    else:
        # No connection time: the call is recorded as connected when it was answered, and its
        # answer time is unknown, not zero.
        answered = details.answered_at or now
        connected, measured = answered, False
    if answered is not None and answered < connected:
        raise ValidationFailed("A call cannot be answered before it was connected.", field="answered_at")
    if connected > now + timedelta(minutes=5):
        raise ValidationFailed("The connection time is in the future.", field="connected_at")
    aml_fields: dict[str, Any] = {}
    latitude, longitude, radius_m = details.latitude, details.longitude, details.radius_m
    source = details.location_source
    aml_message = (details.aml_message or "").strip()
    if aml_message:
        parsed = parse_aml(aml_message)
        if parsed.location is None:
            raise ValidationFailed(
                "The AML message cannot be used: " + "; ".join(parsed.reasons), field="aml_message"
            )
        location = parsed.location
        aml_fields = {
            "aml_positioned_at": location.positioned_at,
            "aml_method": location.positioning_method.value,
            "aml_confidence": location.confidence_percent,
        }
        if location.position is not None and details.address is None and latitude is None:
            latitude, longitude = float(location.latitude), float(location.longitude)
            radius_m = location.radius_m
            source = LocationSource.AML
    place = resolve_place(
        address=details.address,
        latitude=latitude,
        longitude=longitude,
        radius_m=radius_m,
        location_text=details.location_text,
        source=source,
    )
    return {
        "channel": details.channel,
        "connected_at": connected,
        "answered_at": answered,
        "connection_measured": measured,
        "caller_name": _text(details.caller_name, "caller_name")[:200],
        "caller_phone": _text(details.caller_phone, "caller_phone")[:40],
        "caller_relationship": _text(details.caller_relationship, "caller_relationship")[:120],
        "what_was_said": _text(details.what_was_said, "what_was_said"),
        "aml_message": aml_message,
        "location_source": place.source,
        "address": place.address,
        "latitude": place.latitude,
        "longitude": place.longitude,
        "radius_m": place.radius_m,
        "location_text": place.text[:400],
        "people_named": _names(details.people_named),
        **aml_fields,
    }


def _write_call(acting_user: User, values: dict[str, Any], incident: Incident | None = None) -> Call:
    call = Call.objects.create(
        handler=acting_user, force_id=acting_user.force_id, incident=incident, **values
    )
    audit_record(
        actor=acting_user,
        action=Action.COLLECTION,
        operation="incidents.call_create",
        record_type="incidents.call",
        record_id=call.pk,
        purpose="Call taking",
    )
    return call


def call_create(
    *,
    acting_user: User,
    channel: str,
    connected_at: datetime | None = None,
    answered_at: datetime | None = None,
    caller_name: str = "",
    caller_phone: str = "",
    caller_relationship: str = "",
    what_was_said: str = "",
    aml_message: str = "",
    address: Address | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    radius_m: int | None = None,
    location_text: str = "",
    location_source: str = "",
    people_named: Sequence[str] = (),
) -> Call:
    """Record a contact. An AML message gives the caller's position unless an address is chosen."""
    _require(acting_user, "incidents.add_call")
    values = _call_values(
        CallDetails(
            channel=channel,
            connected_at=connected_at,
            answered_at=answered_at,
            caller_name=caller_name,
            caller_phone=caller_phone,
            caller_relationship=caller_relationship,
            what_was_said=what_was_said,
            aml_message=aml_message,
            address=address,
            latitude=latitude,
            longitude=longitude,
            radius_m=radius_m,
            location_text=location_text,
            location_source=location_source,
            people_named=people_named,
        )
    )
    with transaction.atomic():
        return _write_call(acting_user, values)


# --- incidents ---------------------------------------------------------------------------------


def _areas_for(place: Place) -> tuple[Area | None, bool]:
    """The beat holding the place (from the address when there is one) and whether it is rural."""
    beat: Area | None = None
    if place.address is not None and place.address.beat_id:
        beat = place.address.beat
    elif place.latitude is not None and place.longitude is not None:
        beat = area_at(place.latitude, place.longitude, "beat")
    return beat, bool(beat is not None and beat.setting == "rural")


@dataclass(frozen=True)
class _IncidentPlan:
    """An incident checked and ready to write."""

    category: codes.OpeningCategory
    qualifiers: list[str]
    summary: str
    place: Place | None
    opened_at: datetime | None


def _plan_incident(
    *,
    opening_category: str,
    qualifiers: Sequence[str],
    summary: str,
    address: Address | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    radius_m: int | None = None,
    location_text: str = "",
    location_source: str = "",
    opened_at: datetime | None = None,
    from_call: bool,
) -> _IncidentPlan:
    category = _coded(codes.opening_category, opening_category, "opening_category")
    chosen = [_coded(codes.qualifier, code, "qualifiers").code for code in dict.fromkeys(qualifiers)]
    place: Place | None = None
    if not from_call or address is not None or latitude is not None or location_text:
        place = resolve_place(
            address=address,
            latitude=latitude,
            longitude=longitude,
            radius_m=radius_m,
            location_text=location_text,
            source=location_source,
        )
    return _IncidentPlan(category, chosen, _text(summary, "summary"), place, opened_at)


def _insert_incident(
    acting_user: User, plan: _IncidentPlan, place: Place | None, reported: datetime
) -> Incident:
    if place is None or not place.source:
        raise ValidationFailed(
            "Give the incident a location: an address, a point, or a description.", field="location"
        )
    beat, rural = _areas_for(place)
    category = plan.category
    return Incident.objects.create(
        force_id=acting_user.force_id,
        opened_at=reported,
        opened_by=acting_user,
        opening_category=category.code,
        qualifiers=plan.qualifiers,
        summary=plan.summary,
        location_source=place.source,
        address=place.address,
        latitude=place.latitude,
        longitude=place.longitude,
        radius_m=place.radius_m,
        location_text=place.text[:400],
        beat=beat,
        district_id=beat.district_id if beat is not None else None,
        rural=rural,
        crime_related=category.crime_related,
        crime_related_at=reported if category.crime_related else None,
    )


def _opened_line(plan: _IncidentPlan, call: Call | None) -> str:
    line = f"Opened as {plan.category.name}"
    if plan.qualifiers:
        line += " (" + ", ".join(codes.qualifier(code).name for code in plan.qualifiers) + ")"
    if call is not None:
        line += f" from a {call.get_channel_display()} call"
    return line + "."


def _incident_opened(acting_user: User, incident: Incident, plan: _IncidentPlan, call: Call | None) -> None:
    """The log line, the crime recording duty, the audit entry and the event of a new incident."""
    _log(incident, acting_user, _opened_line(plan, call), kind=LogKind.SYSTEM)
    if incident.crime_related:
        _open_crime_recording_decision(incident, acting_user)
    audit_record(
        actor=acting_user,
        action=Action.COLLECTION,
        operation="incidents.incident_create",
        record_type="incidents.incident",
        record_id=incident.pk,
        purpose="Call taking",
        detail={"call": call.pk} if call is not None else None,
    )
    _changed(incident)


def _write_incident(acting_user: User, plan: _IncidentPlan, call: Call | None) -> Incident:
    if call is not None and call.incident_id is not None:
        raise ValidationFailed("That call is already linked to an incident.", field="call")
    place = plan.place
    if place is None and call is not None:
        place = Place(
            call.location_source,
            call.latitude,
            call.longitude,
            call.radius_m,
            call.address,
            call.location_text,
        )
    reported = plan.opened_at or (call.connected_at if call is not None else timezone.now())
    incident = _insert_incident(acting_user, plan, place, reported)
    if call is not None:
        Call.objects.filter(pk=call.pk).update(incident=incident)
        call.incident = incident
    _incident_opened(acting_user, incident, plan, call)
    return incident


def _write_incident_and_call(
    acting_user: User,
    plan: _IncidentPlan,
    values: dict[str, Any],
    *,
    answers: dict[str, str] | None = None,
    grade: codes.Grade | None = None,
) -> tuple[Incident, Call]:
    """A new call and the incident it opens, with its first THRIVE and grade if given.

    This is the control room's busiest write, so it is written flat: ids are reserved first, and
    the incident (carrying its grade and clock from the start), the call, THRIVE, grade, log
    lines, any crime recording duty and the audit entries go to PostgreSQL in one query, as one
    transaction (``platform.batch``). The rules are the same as ``thrive_record`` and
    ``incident_grade`` apply to an incident already open.
    """
    place = plan.place or Place(
        values["location_source"],
        values["latitude"],
        values["longitude"],
        values["radius_m"],
        values["address"],
        values["location_text"],
    )
    if not place.source:
        raise ValidationFailed(
            "Give the incident a location: an address, a point, or a description.", field="location"
        )
    reported = plan.opened_at or values["connected_at"]
    now = timezone.now()
    beat, rural = _areas_for(place)
    category = plan.category
    due = None
    if grade is not None:
        target = grade.attendance_target(rural=rural)
        due = reported + target if target is not None else None
    crime_related = category.crime_related
    ids = reserve_ids(Incident, Call, Duty) if crime_related else reserve_ids(Incident, Call)
    incident = Incident(
        pk=ids[0],
        force_id=acting_user.force_id,
        opened_at=reported,
        opened_by=acting_user,
        opening_category=category.code,
        qualifiers=plan.qualifiers,
        summary=plan.summary,
        location_source=place.source,
        address=place.address,
        latitude=place.latitude,
        longitude=place.longitude,
        radius_m=place.radius_m,
        location_text=place.text[:400],
        beat=beat,
        district_id=beat.district_id if beat is not None else None,
        rural=rural,
        crime_related=crime_related,
        crime_related_at=reported if crime_related else None,
        thrive_version=1 if answers is not None else 0,
        grade=grade.code if grade is not None else "",
        graded_at=now if grade is not None else None,
        attendance_due_at=due,
    )
    call = Call(pk=ids[1], handler=acting_user, force_id=acting_user.force_id, incident=incident, **values)
    batch = Batch()
    batch.insert([incident])
    batch.insert([call])
    lines = [_opened_line(plan, call)]
    if answers is not None:
        batch.insert_rows(
            ThriveAssessment,
            [
                {
                    "incident_id": incident.pk,
                    "version": 1,
                    "assessed_by_id": acting_user.pk,
                    "assessed_at": now,
                    **answers,
                }
            ],
        )
        lines.append("THRIVE assessed (version 1).")
    if grade is not None:
        batch.insert_rows(
            GradeDecision,
            [
                {
                    "incident_id": incident.pk,
                    "version": 1,
                    "grade": grade.code,
                    "thrive_version": 1,
                    "decided_by_id": acting_user.pk,
                    "decided_at": now,
                    "attendance_due_at": due,
                }
            ],
        )
        lines.append(
            f"Graded {grade.name}" + (f"; attend by {timezone.localtime(due):%H:%M}." if due else ".")
        )
    batch.insert_rows(
        IncidentLogEntry,
        [
            {
                "incident_id": incident.pk,
                "at": now,
                "author_id": acting_user.pk,
                "kind": LogKind.SYSTEM,
                "text": line,
            }
            for line in lines
        ],
    )
    if crime_related:
        duty_open(batch=batch, duty_id=ids[2], **_crime_recording_decision(incident, acting_user))
    batch.insert_rows(
        AuditEntry,
        audit_rows(
            {
                "actor": acting_user,
                "action": Action.COLLECTION,
                "operation": "incidents.call_create",
                "record_type": "incidents.call",
                "record_id": call.pk,
                "purpose": "Call taking",
            },
            {
                "actor": acting_user,
                "action": Action.COLLECTION,
                "operation": "incidents.incident_create",
                "record_type": "incidents.incident",
                "record_id": incident.pk,
                "purpose": "Call taking",
                "detail": {"call": call.pk},
            },
        ),
    )
    batch.publish("incidents.changed", {"id": incident.pk})
    batch.run()
    return incident, call


def incident_create(
    *,
    acting_user: User,
    opening_category: str,
    qualifiers: list[str] | tuple[str, ...] = (),
    summary: str = "",
    call: Call | None = None,
    address: Address | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    radius_m: int | None = None,
    location_text: str = "",
    opened_at: datetime | None = None,
) -> Incident:
    """Open an incident, from a call (whose time and place it takes unless told otherwise) or directly."""
    _require(acting_user, "incidents.add_incident")
    plan = _plan_incident(
        opening_category=opening_category,
        qualifiers=qualifiers,
        summary=summary,
        address=address,
        latitude=latitude,
        longitude=longitude,
        radius_m=radius_m,
        location_text=location_text,
        opened_at=opened_at,
        from_call=call is not None,
    )
    with transaction.atomic():
        return _write_incident(acting_user, plan, call)


@dataclass(frozen=True)
class ThriveAnswers:
    """The six parts of a THRIVE assessment as written by the call handler."""

    threat: str = ""
    harm: str = ""
    risk: str = ""
    investigation: str = ""
    vulnerability: str = ""
    engagement: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "threat": self.threat,
            "harm": self.harm,
            "risk": self.risk,
            "investigation": self.investigation,
            "vulnerability": self.vulnerability,
            "engagement": self.engagement,
        }

    @property
    def is_blank(self) -> bool:
        return not any((value or "").strip() for value in self.as_dict().values())


def _thrive_parts(answers: ThriveAnswers) -> dict[str, str]:
    return {
        name: _text(value, name, required=True, label=f"the {name} part of THRIVE")
        for name, value in answers.as_dict().items()
    }


@dataclass(frozen=True)
class CallTaken:
    """What taking a call produced: the call, and the incident it opened or joined (if any)."""

    call: Call
    incident: Incident | None
    linked: bool = False


def call_take(
    *,
    acting_user: User,
    call: CallDetails,
    opening_category: str = "",
    qualifiers: Sequence[str] = (),
    summary: str = "",
    create_incident: bool = True,
    link_to: Incident | None = None,
    thrive: ThriveAnswers | None = None,
    grade: str = "",
) -> CallTaken:
    """Record a call and, in the same transaction, open its incident (with THRIVE and a grade if
    given) or link it to an incident already open. Any refusal writes nothing at all.

    A grade without a complete THRIVE is refused before anything is written. Linking ignores
    THRIVE and grade: the incident it joins has its own, re-assessed on its page.
    """
    _require(acting_user, "incidents.add_call")
    values = _call_values(call)
    if link_to is not None:
        with transaction.atomic():
            written = _write_call(acting_user, values)
            _link(acting_user, written, link_to)
        return CallTaken(written, link_to, linked=True)
    if not create_incident:
        with transaction.atomic():
            return CallTaken(_write_call(acting_user, values), None)
    _require(acting_user, "incidents.add_incident")
    answers = thrive if thrive is not None and not thrive.is_blank else None
    if grade:
        _require(acting_user, "incidents.grade_incident")
        chosen_grade = codes.grade(grade)
        if answers is None:
            raise GradingRequiresThrive()
    if answers is not None:
        _require(acting_user, "incidents.grade_incident")
        _thrive_parts(answers)
    plan = _plan_incident(
        opening_category=opening_category, qualifiers=qualifiers, summary=summary, from_call=True
    )
    # One transaction without a BEGIN of its own: every row goes in the batch's single query.
    incident, written = _write_incident_and_call(
        acting_user,
        plan,
        values,
        answers=_thrive_parts(answers) if answers is not None else None,
        grade=chosen_grade if grade else None,
    )
    return CallTaken(written, incident)


def _link(acting_user: User, call: Call, incident: Incident) -> None:
    if not incident.is_open:
        raise IncidentClosed(incident.reference)
    changed = Call.objects.filter(pk=call.pk, incident__isnull=True).update(incident=incident)
    if changed != 1:
        raise ValidationFailed("That call is already linked to an incident.", field="call")
    call.incident = incident
    _log(incident, acting_user, f"Further {call.get_channel_display()} call linked.", kind=LogKind.SYSTEM)
    _bump(incident)
    _changed(incident)


def call_link(*, acting_user: User, call: Call, incident: Incident) -> Call:
    """Attach a further call about the same event to its incident."""
    _require(acting_user, "incidents.add_call")
    with transaction.atomic():
        _link(acting_user, call, incident)
    call.refresh_from_db()
    return call


def _locked(incident: Incident) -> Incident:
    """The incident's row, locked for this transaction, so versions are numbered without gaps."""
    return Incident.objects.select_for_update().get(pk=incident.pk)


def thrive_record(
    *,
    acting_user: User,
    incident: Incident,
    threat: str,
    harm: str,
    risk: str,
    investigation: str,
    vulnerability: str,
    engagement: str,
) -> ThriveAssessment:
    """Record a THRIVE assessment; every part must be answered. A re-assessment is a new version."""
    _require(acting_user, "incidents.grade_incident")
    cleaned = _thrive_parts(
        ThriveAnswers(
            threat=threat,
            harm=harm,
            risk=risk,
            investigation=investigation,
            vulnerability=vulnerability,
            engagement=engagement,
        )
    )
    with transaction.atomic():
        current = _locked(incident)
        if not current.is_open:
            raise IncidentClosed(current.reference)
        version = current.thrive_version + 1
        now = timezone.now()
        assessment = ThriveAssessment.objects.create(
            incident=current, version=version, assessed_by=acting_user, assessed_at=now, **cleaned
        )
        Incident.objects.filter(pk=current.pk).update(thrive_version=version, version=F("version") + 1)
        _log(current, acting_user, f"THRIVE assessed (version {version}).", kind=LogKind.SYSTEM, at=now)
        _changed(current)
    incident.refresh_from_db()
    return assessment


def incident_grade(*, acting_user: User, incident: Incident, grade: str, reason: str = "") -> GradeDecision:
    """Set or change the grade. Needs THRIVE first; a re-grade needs a reason. Sets the attendance clock."""
    _require(acting_user, "incidents.grade_incident")
    chosen = codes.grade(grade)
    why = _text(reason, "reason")
    with transaction.atomic():
        current = _locked(incident)
        if not current.is_open:
            raise IncidentClosed(current.reference)
        if current.thrive_version == 0:
            raise GradingRequiresThrive()
        if current.grade and not why:
            raise ValidationFailed("Say why the grade is changing.", field="reason")
        if current.grade == chosen.code:
            raise ValidationFailed(f"The incident is already graded {chosen.name}.", field="grade")
        now = timezone.now()
        target = chosen.attendance_target(rural=current.rural)
        due = current.opened_at + target if target is not None else None
        version = current.grade_decisions.count() + 1
        decision = GradeDecision.objects.create(
            incident=current,
            version=version,
            grade=chosen.code,
            previous_grade=current.grade,
            thrive_version=current.thrive_version,
            reason=why,
            decided_by=acting_user,
            decided_at=now,
            attendance_due_at=due,
        )
        Incident.objects.filter(pk=current.pk).update(
            grade=chosen.code, graded_at=now, attendance_due_at=due, version=F("version") + 1
        )
        line = (
            f"Graded {chosen.name}"
            if not current.grade
            else f"Re-graded from {codes.grade(current.grade).name} to {chosen.name}: {why}"
        )
        if due is not None:
            line += f"; attend by {timezone.localtime(due):%H:%M}"
        _log(current, acting_user, line + ".", kind=LogKind.SYSTEM, at=now)
        if current.crime_related and _duty_risk(current, chosen.code) == Risk.HIGH:
            # An emergency grade makes an open recording decision high-risk.
            Duty.objects.filter(
                kind=CRIME_RECORDING_DECISION.code,
                subject_type__app_label="incidents",
                subject_type__model="incident",
                subject_id=str(current.pk),
                status="open",
            ).update(risk=Risk.HIGH, risk_rank=0)
        _changed(current)
    incident.refresh_from_db()
    return decision


def incident_log_add(*, acting_user: User, incident: Incident, text: str) -> IncidentLogEntry:
    """Add a narrative line to the incident log (lines are never changed or removed)."""
    _require(acting_user, "incidents.view_incident")
    line = _text(text, "text", required=True, label="the log entry")
    with transaction.atomic():
        entry = _log(incident, acting_user, line, kind=LogKind.NARRATIVE)
        _bump(incident)
        audit_record(
            actor=acting_user,
            action=Action.ALTERATION,
            operation="incidents.log_add",
            record_type="incidents.incident",
            record_id=incident.pk,
            purpose="Incident log",
        )
        _changed(incident)
    return entry


def incident_flag_crime_related(*, acting_user: User, incident: Incident, note: str = "") -> Incident:
    """Mark an incident crime-related: this opens the 24-hour crime recording decision."""
    _require(acting_user, "incidents.flag_crime_related")
    with transaction.atomic():
        current = _locked(incident)
        if current.crime_related:
            return current
        now = timezone.now()
        Incident.objects.filter(pk=current.pk).update(
            crime_related=True, crime_related_at=now, version=F("version") + 1
        )
        current.crime_related = True
        _log(
            current,
            acting_user,
            "Flagged crime-related" + (f": {note.strip()}" if note.strip() else "."),
            kind=LogKind.SYSTEM,
        )
        _open_crime_recording_decision(current, acting_user)
        _changed(current)
    incident.refresh_from_db()
    return incident


def incident_record_arrival(*, incident: Incident, at: datetime, acting_user: User | None = None) -> Incident:
    """The first unit arrived: stops the attendance clock (later arrivals do not move it)."""
    with transaction.atomic():
        changed = Incident.objects.filter(pk=incident.pk, first_arrived_at__isnull=True).update(
            first_arrived_at=at, version=F("version") + 1
        )
        if changed:
            _log(
                incident,
                acting_user,
                f"First unit at scene {timezone.localtime(at):%H:%M:%S}.",
                kind=LogKind.SYSTEM,
                at=at,
            )
            _changed(incident)
    incident.refresh_from_db()
    return incident


def incident_close(
    *,
    acting_user: User,
    incident: Incident,
    closing_category: str,
    closing_result: str,
    crime_report_needed: bool | None = None,
    duplicate_of: Incident | None = None,
    note: str = "",
) -> Incident:
    """Close an incident with its closing category and result.

    A crime-related incident (by its opening or closing category, or flagged) must say whether a
    crime report is needed. Closing does not discharge the crime recording decision: only a crime
    record or an authorised non-crime rationale does, so nothing crime-related closes unseen.
    """
    _require(acting_user, "incidents.close_incident")
    if not (closing_category or "").strip():
        raise ClosingCategoryRequired()
    category = _coded(codes.opening_category, closing_category.strip(), "closing_category")
    if not (closing_result or "").strip():
        raise ValidationFailed("Choose a closing result.", field="closing_result")
    result = codes.closing_result(closing_result.strip())
    if result.code == "DUPLICATE" and duplicate_of is None:
        raise ValidationFailed("Say which incident this one duplicates.", field="duplicate_of")
    if duplicate_of is not None and duplicate_of.pk == incident.pk:
        raise ValidationFailed("An incident cannot duplicate itself.", field="duplicate_of")
    with transaction.atomic():
        current = _locked(incident)
        if not current.is_open:
            raise IncidentClosed(current.reference)
        becomes_crime_related = current.crime_related or category.crime_related or crime_report_needed is True
        if result.crime_decision == codes.CrimeDecision.RECORDED:
            becomes_crime_related = True
        if becomes_crime_related and crime_report_needed is None:
            raise ValidationFailed(
                "This incident is crime-related: say whether a crime report is needed.",
                field="crime_report_needed",
            )
        now = timezone.now()
        Incident.objects.filter(pk=current.pk).update(
            status=IncidentStatus.CLOSED,
            closed_at=now,
            closed_by=acting_user,
            closing_category=category.code,
            closing_result=result.code,
            crime_report_needed=crime_report_needed if becomes_crime_related else None,
            crime_related=becomes_crime_related,
            crime_related_at=current.crime_related_at or (now if becomes_crime_related else None),
            duplicate_of=duplicate_of,
            version=F("version") + 1,
        )
        current.crime_related = becomes_crime_related
        line = f"Closed: {category.name}, {result.name}"
        if becomes_crime_related:
            line += (
                "; crime report needed"
                if crime_report_needed
                else "; no crime report needed (awaits an authorised rationale)"
            )
        if note.strip():
            line += f". {note.strip()}"
        _log(current, acting_user, line + ".", kind=LogKind.SYSTEM, at=now)
        if becomes_crime_related:
            _open_crime_recording_decision(current, acting_user)
        audit_record(
            actor=acting_user,
            action=Action.ALTERATION,
            operation="incidents.incident_close",
            record_type="incidents.incident",
            record_id=current.pk,
            purpose="Incident closure",
            detail={"closing_category": category.code, "closing_result": result.code},
        )
        _changed(current)
        # Higher layers hear of the closing itself (dispatch clears the units still on it).
        events.publish("incidents.closed", {"id": current.pk})
    incident.refresh_from_db()
    return incident


# --- interchange -------------------------------------------------------------------------------


def _gazetteer_address(force_id: int, uprn: int | None) -> Address | None:
    if uprn is None:
        return None
    return Address.objects.filter(force_id=force_id, uprn=uprn).select_related("beat").first()


def _place_fields(location: EidoLocation, address: Address | None) -> dict[str, Any]:
    if address is not None:
        return {"address": address, "location_text": location.text}
    return {
        "latitude": location.latitude,
        "longitude": location.longitude,
        "radius_m": location.radius_m,
        "location_text": location.text,
    }


def incident_import_eido(*, acting_user: User, document: Any) -> Incident:
    """Open an incident from an EIDO another agency sent (NENA-STA-021), keeping the original.

    The location (a gazetteer address when its UPRN is ours), category, qualifiers (sent as
    cautions), calls and notes are taken in; notes become log lines marked as received. The
    sender's priority is logged but not applied: a grade here rests on our own THRIVE. An EIDO
    already taken in (same tracking identifier) is refused, so a resend makes no duplicate.
    """
    _require(acting_user, "incidents.add_incident")
    parsed = parse_eido(document)
    if parsed.calls:
        _require(acting_user, "incidents.add_call")
    existing = EidoImport.objects.filter(tracking_id=parsed.tracking_id).select_related("incident").first()
    if existing is not None:
        raise Conflict(
            f"This EIDO was already received as incident {existing.incident.reference}.", field="$id"
        )
    force_id = cast(int, acting_user.force_id)
    address = _gazetteer_address(force_id, parsed.location.uprn)
    plan = _plan_incident(
        opening_category=parsed.opening_category,
        qualifiers=parsed.qualifiers,
        summary=parsed.summary,
        location_source=parsed.location.source,
        opened_at=parsed.opened_at,
        from_call=False,
        **_place_fields(parsed.location, address),
    )
    call_values = []
    for received in parsed.calls:
        call_address = (
            _gazetteer_address(force_id, received.location.uprn) if received.location is not None else None
        )
        call_values.append(
            _call_values(
                CallDetails(
                    channel=received.channel,
                    connected_at=received.connected_at,
                    answered_at=received.answered_at,
                    caller_name=received.caller_name,
                    caller_phone=received.caller_phone,
                    caller_relationship=received.caller_relationship,
                    what_was_said=received.what_was_said,
                    location_source=received.location.source if received.location is not None else "",
                    **(
                        _place_fields(received.location, call_address)
                        if received.location is not None
                        else {}
                    ),
                )
            )
        )
    now = timezone.now()
    with transaction.atomic():
        incident = _write_incident(acting_user, plan, None)
        for values in call_values:
            _write_call(acting_user, values, incident)
        for note in parsed.notes:
            _log(incident, None, _text(note.text, "notesComponent"), kind=LogKind.IMPORTED, at=note.at)
        line = f"Received as an EIDO ({parsed.tracking_id})"
        if parsed.sender:
            line += f" from {parsed.sender}"
        if parsed.priority:
            line += (
                f"; the sender's priority was {parsed.priority} (not applied: assess THRIVE and grade here)"
            )
        if parsed.disposition:
            line += f"; the sender's disposition: {parsed.disposition}"
        if parsed.other_cautions:
            line += "; other cautions: " + ", ".join(parsed.other_cautions)
        _log(incident, acting_user, line + ".", kind=LogKind.SYSTEM)
        EidoImport.objects.create(
            incident=incident,
            tracking_id=parsed.tracking_id,
            sender=parsed.sender,
            document=document,
            imported_at=now,
            imported_by=acting_user,
        )
        audit_record(
            actor=acting_user,
            action=Action.COLLECTION,
            operation="incidents.eido_import",
            record_type="incidents.incident",
            record_id=incident.pk,
            purpose="Incident received from another agency",
            detail={"tracking_id": parsed.tracking_id, "sender": parsed.sender, "calls": len(call_values)},
        )
    return incident


def incident_export_eido(
    *, acting_user: User, incident: Incident, recipient: str, purpose: str
) -> dict[str, Any]:
    """The incident as an EIDO for ``recipient``: a disclosure, logged with recipient and purpose."""
    _require(acting_user, "incidents.view_incident")
    who = _text(recipient, "recipient", required=True, label="who the EIDO is for")[:200]
    why = _text(purpose, "purpose", required=True, label="why it is being sent")
    document = incident_eido(incident)
    with transaction.atomic():
        audit_record(
            actor=acting_user,
            action=Action.DISCLOSURE,
            operation="incidents.eido_export",
            record_type="incidents.incident",
            record_id=incident.pk,
            purpose=why,
            recipient=who,
            detail={"tracking_id": document["$id"], "calls": len(document.get("callComponent", []))},
        )
    return document


# --- helpers -----------------------------------------------------------------------------------


def _log(
    incident: Incident, author: User | None, text: str, *, kind: str, at: datetime | None = None
) -> IncidentLogEntry:
    return IncidentLogEntry.objects.create(
        incident=incident, at=at or timezone.now(), author=author, kind=kind, text=text
    )


def _bump(incident: Incident) -> None:
    Incident.objects.filter(pk=incident.pk).update(version=F("version") + 1)


def _changed(incident: Incident) -> None:
    events.publish("incidents.changed", {"id": incident.pk})


def _duty_risk(incident: Incident, grade: str = "") -> Risk:
    if HIGH_RISK_QUALIFIERS & set(incident.qualifiers) or any(
        q.startswith("HATE") for q in incident.qualifiers
    ):
        return Risk.HIGH
    if (grade or incident.grade) == "emergency":
        return Risk.HIGH
    if incident.opening_category in {"CR-VIOL", "CR-SEX", "CR-ROB", "CR-WEAP"}:
        return Risk.MEDIUM
    return Risk.STANDARD


# Teams change rarely and the recording team is looked up for every crime-related incident, so
# each process remembers the answer per district for a minute.
TEAM_CACHE_SECONDS = 60.0
_recording_teams: dict[tuple[int, int | None], tuple[float, int | None]] = {}


def forget_recording_teams() -> None:
    _recording_teams.clear()


def recording_team_for(incident: Incident) -> Team | None:
    """Who owns an incident's crime recording decision: its district's response team, else the
    force crime registry, else any response team."""
    key = (cast(int, incident.force_id), incident.district_id)
    cached = _recording_teams.get(key)
    if cached is not None and time.monotonic() - cached[0] < TEAM_CACHE_SECONDS:
        return Team(pk=cached[1], force_id=key[0]) if cached[1] is not None else None
    teams = Team.objects.filter(force_id=key[0])
    team = None
    if incident.district_id:
        team = teams.filter(kind=TeamKind.RESPONSE, district_id=incident.district_id).order_by("code").first()
    team = (
        team
        or teams.filter(kind=TeamKind.CRIME_REGISTRY).order_by("code").first()
        or teams.filter(kind=TeamKind.RESPONSE).order_by("code").first()
    )
    _recording_teams[key] = (time.monotonic(), team.pk if team is not None else None)
    return team


def _crime_recording_decision(incident: Incident, acting_user: User | None) -> dict[str, Any]:
    """The arguments of ``duty_open`` for an incident's 24-hour crime recording decision."""
    team = recording_team_for(incident)
    category = codes.opening_category(incident.opening_category)
    return {
        "kind": CRIME_RECORDING_DECISION.code,
        "title": f"Crime recording decision: incident {incident.reference}",
        "subject": incident,
        "subject_label": f"Incident {incident.reference} ({category.name})",
        "owner_team": team,
        "owner_user": None if team is not None else acting_user,
        "opened_by": acting_user,
        "opened_at": incident.opened_at,
        "due_at": incident.opened_at + CRIME_RECORDING_DECISION.due_after,
        "risk": _duty_risk(incident),
        "rule": "Crime Recording Rules: decide within 24 hours of the report",
        "tags": [qualifier_tag(code) for code in incident.qualifiers],
    }


def _open_crime_recording_decision(incident: Incident, acting_user: User | None) -> Duty | None:
    """Open the 24-hour duty once per incident; it is due 24 hours after the report."""
    existing = Duty.objects.filter(
        kind=CRIME_RECORDING_DECISION.code,
        subject_type__app_label="incidents",
        subject_type__model="incident",
        subject_id=str(incident.pk),
    )
    if existing.exists():
        return None
    return duty_open(**_crime_recording_decision(incident, acting_user))
