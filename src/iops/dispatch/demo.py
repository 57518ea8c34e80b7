"""Demo data for dispatch: units in every district, and a day of control-room history.

Units: per district four response cars, two neighbourhood units and a CID car; force-wide two armed
response vehicles, two roads policing cars and a dog van, each with skills, placed in their beats,
with the demo response officers as crews. History: unless an earlier step has already put the last
day's incidents in (the incidents app's own demo step, when it has one), a day of 999 and 101 calls
with measured answer times and AML positions, each opened as an incident, assessed (THRIVE),
graded, attended by a unit that was free at the time (some too late, so the figures show missed
targets), cleared and closed; the last hour's incidents stay open, some with units on the way, so
the live board has work on it. Everything goes through the services and is synthetic.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from iops.accounts.models import District, User
from iops.dispatch import services
from iops.dispatch.choices import Skill, UnitStatus, UnitType
from iops.dispatch.models import Unit
from iops.dispatch.synthetic import (
    THRIVE,
    aml_message,
    answer_seconds,
    attendance_minutes,
    near,
    pick_incident,
)
from iops.geo.geometry import centroid
from iops.geo.models import Address, Area
from iops.incidents import codes
from iops.incidents import services as incident_services
from iops.incidents.models import Incident
from iops.platform.demo import DemoContext, demo_step

RESPONSE_SKILLS = [
    [Skill.TASER, Skill.ADVANCED_DRIVER],
    [Skill.FIRST_AID],
    [Skill.TASER, Skill.MENTAL_HEALTH],
    [Skill.PUBLIC_ORDER],
]
FORCE_WIDE = [
    ("ARV-1", UnitType.ARMED_RESPONSE, [Skill.FIREARMS, Skill.TASER, Skill.ADVANCED_DRIVER, Skill.FIRST_AID]),
    ("ARV-2", UnitType.ARMED_RESPONSE, [Skill.FIREARMS, Skill.TASER, Skill.ADVANCED_DRIVER]),
    ("RPU-1", UnitType.ROADS, [Skill.COLLISION, Skill.ADVANCED_DRIVER, Skill.FIRST_AID]),
    ("RPU-2", UnitType.ROADS, [Skill.COLLISION, Skill.ADVANCED_DRIVER]),
    ("DOG-1", UnitType.DOG, [Skill.DOG, Skill.SEARCH]),
]
OPEN_WINDOW = timedelta(hours=1)
# (minutes ago, grade) of the incidents open on the board when the demo starts.
CURRENT = [(14, "priority"), (11, "emergency"), (6, "priority"), (3, "emergency"), (1, "emergency")]


def beat_point(beat: Area, rng: random.Random) -> tuple[float, float]:
    lon, lat = centroid(beat.geometry)
    return near(rng, lat, lon, 400)


def _units(context: DemoContext) -> list[Unit]:
    rng = context.random
    officers: list[User] = list(context.made.get("users_by_role", {}).get("response_officer", []))
    beats_by_district: dict[int, list[Area]] = {}
    for beat in Area.objects.filter(kind="beat").order_by("code"):
        if beat.district_id is not None:
            beats_by_district.setdefault(beat.district_id, []).append(beat)
    all_beats = [beat for beats in beats_by_district.values() for beat in beats]
    made: list[Unit] = []
    for district in District.objects.order_by("code"):
        beats = beats_by_district.get(district.pk) or all_beats
        plan = [(f"{district.code}-R{n}", UnitType.RESPONSE, RESPONSE_SKILLS[n - 1]) for n in range(1, 5)]
        plan += [(f"{district.code}-N{n}", UnitType.NEIGHBOURHOOD, []) for n in range(1, 3)]
        plan += [(f"{district.code}-C1", UnitType.CID, [Skill.DETECTIVE])]
        for call_sign, unit_type, skills in plan:
            beat = rng.choice(beats) if beats else None
            latitude, longitude = beat_point(beat, rng) if beat else (None, None)
            crew = [officers.pop(0)] if officers and unit_type == UnitType.RESPONSE else []
            made.append(
                services.unit_create(
                    acting_user=None,
                    call_sign=call_sign,
                    unit_type=unit_type,
                    skills=skills,
                    crew=crew,
                    home_district=district,
                    home_beat=beat,
                    status=UnitStatus.AVAILABLE,
                    latitude=latitude,
                    longitude=longitude,
                )
            )
    for call_sign, unit_type, skills in FORCE_WIDE:
        beat = rng.choice(all_beats) if all_beats else None
        latitude, longitude = beat_point(beat, rng) if beat else (None, None)
        made.append(
            services.unit_create(
                acting_user=None,
                call_sign=call_sign,
                unit_type=unit_type,
                skills=skills,
                home_beat=beat,
                home_district=beat.district if beat else None,
                status=UnitStatus.AVAILABLE,
                latitude=latitude,
                longitude=longitude,
            )
        )
    return made


@dataclass
class _Day:
    """What the history needs while it is written: who acts, where, and when each unit is free."""

    handler: User
    dispatcher: User
    addresses: list[Address]
    units: list[Unit]
    free_at: dict[int, datetime] = field(default_factory=dict)


def _free_unit(day: _Day, rng: random.Random, at: datetime, needs: tuple[str, ...]) -> Unit | None:
    candidates = [
        unit
        for unit in day.units
        if unit.unit_type != UnitType.CID
        and set(needs) <= set(unit.skills)
        and day.free_at.get(unit.pk, at) <= at
    ]
    return rng.choice(candidates) if candidates else None


def _one_incident(
    day: _Day, rng: random.Random, reported: datetime, now: datetime, *, keep_open: bool, grade: str = ""
) -> Incident:
    from iops.dispatch.recommend import needed_skills

    planned = pick_incident(rng)
    if grade:
        planned = replace(planned, grade=grade)
    address = rng.choice(day.addresses)
    channel = "999" if planned.grade == "emergency" or rng.random() < 0.5 else "101"
    waited = answer_seconds(rng, channel)
    answered = reported + timedelta(seconds=waited)
    if channel == "999":
        latitude, longitude = near(rng, address.latitude, address.longitude, 30)
        call = incident_services.call_create(
            acting_user=day.handler,
            channel=channel,
            connected_at=reported,
            answered_at=answered if answered <= now else None,
            aml_message=aml_message(rng, latitude, longitude, reported),
            what_was_said="Synthetic demo call.",
        )
    else:
        call = incident_services.call_create(
            acting_user=day.handler,
            channel=channel,
            connected_at=reported,
            answered_at=answered if answered <= now else None,
            address=address,
            what_was_said="Synthetic demo call.",
        )
    incident = incident_services.incident_create(
        acting_user=day.handler,
        opening_category=planned.category,
        qualifiers=list(planned.qualifiers),
        call=call,
        summary="Synthetic demo incident.",
    )
    incident_services.thrive_record(acting_user=day.handler, incident=incident, **THRIVE)
    incident_services.incident_grade(acting_user=day.handler, incident=incident, grade=planned.grade)
    grade = codes.grade(planned.grade)
    attended = False
    if grade.deploys and planned.grade in ("emergency", "priority"):
        assigned_at = reported + timedelta(minutes=rng.uniform(1, 4))
        arrive = reported + timedelta(minutes=attendance_minutes(rng, planned.grade))
        unit = _free_unit(day, rng, assigned_at, needed_skills(planned.category, planned.qualifiers))
        if unit is not None and assigned_at < now:
            assignment = services.assignment_create(
                acting_user=day.dispatcher, incident=incident, unit=unit, at=assigned_at
            )
            en_route = min(
                assigned_at + timedelta(seconds=rng.uniform(20, 90)), arrive - timedelta(seconds=10)
            )
            clear_at = arrive + timedelta(minutes=rng.uniform(10, 60))
            day.free_at[unit.pk] = clear_at if not keep_open else now + timedelta(days=1)
            if en_route < now:
                services.unit_set_status(
                    acting_user=day.dispatcher, unit=unit, status=UnitStatus.EN_ROUTE, at=en_route
                )
            if arrive < now:
                services.unit_set_status(
                    acting_user=day.dispatcher, unit=unit, status=UnitStatus.AT_SCENE, at=arrive
                )
                attended = True
            if not keep_open and clear_at < now:
                services.unit_set_status(
                    acting_user=day.dispatcher, unit=unit, status=UnitStatus.AVAILABLE, at=clear_at
                )
            elif not keep_open:
                services.assignment_clear(acting_user=None, assignment=assignment)
    if keep_open:
        return incident
    crime_related = codes.opening_category(planned.category).crime_related
    incident_services.incident_close(
        acting_user=day.handler,
        incident=incident,
        closing_category=planned.category,
        closing_result="RESOLVED-ATTENDED"
        if attended
        else ("ADVICE" if grade.deploys else "RESOLVED-NO-DEPLOYMENT"),
        crime_report_needed=True if crime_related else None,
    )
    return incident


def history(context: DemoContext, units: list[Unit], *, now: datetime | None = None) -> int:
    """A day of calls and incidents through the services; returns how many incidents were made."""
    rng = context.random
    at = now or timezone.now()
    by_role = context.made.get("users_by_role", {})
    handlers = by_role.get("call_handler") or list(User.objects.filter(groups__name="Call handler")[:1])
    dispatchers = by_role.get("dispatcher") or list(User.objects.filter(groups__name="Dispatcher")[:1])
    addresses = list(Address.objects.exclude(beat__isnull=True).order_by("uprn")[:5000])
    if not handlers or not dispatchers or not addresses or not units:
        return 0
    day = _Day(handler=handlers[0], dispatcher=dispatchers[0], addresses=addresses, units=units)
    count = context.size.incidents_per_day
    # Busier in the afternoon and evening than before dawn, as control rooms are.
    moments = sorted(
        at - timedelta(hours=24) + timedelta(hours=rng.triangular(0, 24, 17)) for _ in range(count)
    )
    for reported in moments:
        _one_incident(day, rng, reported.replace(microsecond=0), at, keep_open=at - reported < OPEN_WINDOW)
    # And the board's work now: a few urgent incidents from the last quarter of an hour, some with a
    # unit already on the way and some still waiting for one.
    for minutes, grade in CURRENT:
        _one_incident(
            day,
            rng,
            (at - timedelta(minutes=minutes)).replace(microsecond=0),
            at,
            keep_open=True,
            grade=grade,
        )
    return count + len(CURRENT)


@demo_step("dispatch", order=450)
def dispatch(context: DemoContext) -> None:
    if Unit.objects.exists():
        units = list(Unit.objects.all())
    else:
        units = _units(context)
        context.count("units", len(units))
    context.made["units"] = [unit.pk for unit in units]
    since = timezone.now() - timedelta(hours=24)
    if Incident.objects.filter(Q(opened_at__gte=since)).exists():
        return
    made = history(context, units)
    context.count("incidents", made)
