"""Replay: 10,000 synthetic crime-related incidents, each ending in a crime, a non-crime rationale,
or nothing at all. None may be missing from both the decided and the registrar's audit view: the
2019 system let some 80,000 crimes a year go unrecorded without anyone seeing them.

A sample goes end to end through the services a person would use (incidents opened, flagged or
closed as crime-related, then a crime recorded, a rationale given, or nothing). The rest, to keep
the test within a minute, are written directly but faithfully: the incidents as
``incident_create`` writes them, their duties with the values the incidents app's own duty-opening
code gives (checked against that code below), and each decision as the crimes services leave it
(a crime and its incident link, or a rationale; the duty discharged with its event). The
registrar's view is then asked, after a real sweep, which incidents are undecided.
"""

from __future__ import annotations

import os
import random
import time
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from iops.accounts.choices import Role, TeamKind
from iops.crimes import access, codes, selectors, services
from iops.crimes.models import Crime, CrimeIncidentLink, NonCrimeRationale
from iops.crimes.tests.factories import crime_incident, district, person_user, team
from iops.duties.choices import RISK_ORDER, DutyEventKind, DutyStatus, EscalationLevel
from iops.duties.models import Duty, DutyEvent
from iops.duties.services import duties_sweep, duty_cancel
from iops.incidents import codes as incident_codes
from iops.incidents import services as incident_services
from iops.incidents.duty_kinds import CRIME_RECORDING_DECISION
from iops.incidents.models import Incident
from iops.platform.models import default_force

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

INCIDENTS = int(os.environ.get("IOPS_REPLAY_INCIDENTS", "10000"))
THROUGH_SERVICES = min(150, INCIDENTS)
OFFENCES = ["28E", "30C", "45", "48", "49", "46", "8N", "105A", "58A", "56B", "92D", "34B", "9A", "44", "39"]
RULE = "Crime Recording Rules: decide within 24 hours of the report"
RATIONALE = "Enquiries show no notifiable offence took place: replayed decision with its reason."


def ending(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.45:
        return "crime"
    if roll < 0.75:
        return "rationale"
    if roll < 0.78:
        return "duty_cancelled"  # a cancelled duty is not a decision: the incident stays listed
    return "nothing"


def decision_duty(incident: Incident, handler: Any, ct: ContentType, team_of: dict[int | None, Any]) -> Duty:
    """The duty ``_open_crime_recording_decision`` opens for this incident, as an unsaved row."""
    category = incident_codes.opening_category(incident.opening_category)
    risk = incident_services._duty_risk(incident)
    due = incident.opened_at + CRIME_RECORDING_DECISION.due_after
    return Duty(
        force_id=incident.force_id,
        kind=CRIME_RECORDING_DECISION.code,
        title=f"Crime recording decision: incident {incident.reference}",
        subject_type=ct,
        subject_id=str(incident.pk),
        subject_label=f"Incident {incident.reference} ({category.name})",
        owner_team=team_of[incident.district_id],
        opened_at=incident.opened_at,
        opened_by=handler,
        rule=RULE,
        due_at=due,
        escalate_at=due,
        risk=risk,
        risk_rank=RISK_ORDER[risk],
        tags=sorted({incident_services.qualifier_tag(code) for code in incident.qualifiers}),
    )


COMPARED = [
    "force_id", "kind", "title", "subject_type_id", "subject_id", "subject_label", "owner_user_id",
    "owner_team_id", "opened_at", "opened_by_id", "rule", "due_at", "escalate_at", "risk", "risk_rank",
    "status", "escalation_level", "tags",
]  # fmt: skip


def test_every_crime_related_incident_ends_decided_or_on_the_registrars_view(supervisor, registrar) -> None:
    started = time.monotonic()
    rng = random.Random(2019)
    now = timezone.now()
    handler = person_user("replay_handler", Role.CALL_HANDLER)
    investigator = person_user("replay_dc", Role.INVESTIGATOR)
    team(TeamKind.RESPONSE, "D1-RESP", supervisor=supervisor)
    area = district()
    force = default_force()
    crime_categories = [c.code for c in incident_codes.opening_categories() if c.crime_related]
    plan: dict[str, set[int]] = {
        "crime": set(),
        "rationale": set(),
        "nothing": set(),
        "duty_cancelled": set(),
    }

    # 1. End to end through the services: crime-related by category, by a flag, or at closing.
    for number in range(THROUGH_SERVICES):
        opened = now - timedelta(minutes=rng.randint(10, 60 * 24 * 30))
        way = number % 3
        incident = crime_incident(
            handler,
            opened_at=opened,
            category=rng.choice(crime_categories) if way == 0 else "PSW-CONCERN",
            qualifiers=("DOMESTIC",) if rng.random() < 0.1 else (),
        )
        if way == 1:
            incident_services.incident_flag_crime_related(acting_user=handler, incident=incident)
        elif way == 2:
            incident_services.incident_close(
                acting_user=handler,
                incident=incident,
                closing_category="CR-THEFT",
                closing_result="RESOLVED-ATTENDED",
                crime_report_needed=rng.random() < 0.5,
            )
        end = ending(rng)
        if end == "crime":
            services.crime_record(
                acting_user=investigator,
                offence_code=rng.choice(OFFENCES),
                incidents=[incident],
                committed_from=opened - timedelta(hours=1),
            )
        elif end == "rationale":
            services.non_crime_rationale_record(
                acting_user=supervisor, incident=incident, rationale=RATIONALE
            )
        elif end == "duty_cancelled":
            duty_cancel(
                duty=Duty.objects.get(subject_id=str(incident.pk), kind=CRIME_RECORDING_DECISION.code),
                acting_user=registrar,
                reason="Replay: duty cancelled without any decision",
            )
        plan[end].add(incident.pk)
    through_services = time.monotonic() - started

    # 2. The rest written directly, as the services write them.
    incidents = Incident.objects.bulk_create(
        [
            Incident(
                force=force,
                opened_at=(opened := now - timedelta(minutes=rng.randint(10, 60 * 24 * 30))),
                opened_by=handler,
                opening_category=rng.choice(crime_categories),
                qualifiers=["DOMESTIC"] if rng.random() < 0.1 else [],
                summary=f"Replay incident {number}",
                location_source="described",
                location_text=f"{rng.randint(1, 200)} Replay Road",
                district=area,
                crime_related=True,
                crime_related_at=opened,
            )
            for number in range(INCIDENTS - THROUGH_SERVICES)
        ],
        batch_size=2_000,
    )
    ct = ContentType.objects.get_for_model(Incident)
    team_of = {area.pk: incident_services.recording_team_for(incidents[0])} if incidents else {}
    duties = Duty.objects.bulk_create(
        [decision_duty(i, handler, ct, team_of) for i in incidents], batch_size=2_000
    )
    DutyEvent.objects.bulk_create(
        [
            DutyEvent(duty=d, at=d.opened_at, kind=DutyEventKind.OPENED, actor=handler, note=RULE)
            for d in duties
        ],
        batch_size=2_000,
    )
    duty_of = {int(duty.subject_id): duty for duty in duties}

    ends = {incident.pk: ending(rng) for incident in incidents}
    recorded = [i for i in incidents if ends[i.pk] == "crime"]
    first = Crime.objects.count() + 1
    crimes = Crime.objects.bulk_create(
        [
            Crime(
                force=force,
                number=f"CR/{timezone.localtime(now).year}/{first + n:06d}-R",
                offence_code=(offence := codes.offence(rng.choice(OFFENCES))).code,
                police_uk_category=offence.police_uk_category.slug,
                committed_from=incident.opened_at - timedelta(hours=1),
                reported_at=incident.opened_at,
                recorded_at=now,
                recorded_by=investigator,
                location_text=incident.location_text,
                district=area,
            )
            for n, incident in enumerate(recorded)
        ],
        batch_size=2_000,
    )
    CrimeIncidentLink.objects.bulk_create(
        [
            CrimeIncidentLink(crime=crime, incident=incident, linked_at=now, linked_by=investigator)
            for crime, incident in zip(crimes, recorded, strict=True)
        ],
        batch_size=2_000,
    )
    decided = [i for i in incidents if ends[i.pk] == "rationale"]
    NonCrimeRationale.objects.bulk_create(
        [
            NonCrimeRationale(
                force=force, incident=i, rationale=RATIONALE, decided_by=supervisor, decided_at=now
            )
            for i in decided
        ],
        batch_size=2_000,
    )
    for rows, actor, note in ((recorded, investigator, "Crime recorded"), (decided, supervisor, "No crime")):
        ids = [duty_of[i.pk].pk for i in rows]
        Duty.objects.filter(pk__in=ids, status=DutyStatus.OPEN).update(
            status=DutyStatus.DISCHARGED, discharged_at=now, discharged_by=actor, discharge_note=note
        )
        DutyEvent.objects.bulk_create(
            [
                DutyEvent(duty_id=pk, at=now, kind=DutyEventKind.DISCHARGED, actor=actor, note=note)
                for pk in ids
            ],
            batch_size=2_000,
        )
    cancelled = [duty_of[i.pk].pk for i in incidents if ends[i.pk] == "duty_cancelled"]
    Duty.objects.filter(pk__in=cancelled).update(
        status=DutyStatus.CANCELLED,
        cancelled_at=now,
        cancelled_by=registrar,
        cancel_reason="Replay: cancelled",
    )
    for incident in incidents:
        plan[ends[incident.pk]].add(incident.pk)

    # The direct rows are what the incidents app's own code opens for the same incident.
    for incident in rng.sample(incidents, min(5, len(incidents))):
        twin = Incident.objects.create(
            **{
                f.attname: getattr(incident, f.attname)
                for f in Incident._meta.concrete_fields
                if f.attname != "id"
            }
        )
        real = incident_services._open_crime_recording_decision(twin, handler)
        made = decision_duty(twin, handler, ct, team_of)
        assert real is not None
        assert {f: getattr(real, f) for f in COMPARED} == {f: getattr(made, f) for f in COMPARED}
        # The twin is not part of the replay.
        Incident.objects.filter(pk=twin.pk).update(crime_related=False)
        duty_cancel(duty=real, acting_user=registrar, reason="Replay: a twin made only to compare duties")

    written = time.monotonic() - started

    # Statistics, as autovacuum would have gathered them for a force: rows written inside the test's
    # transaction are invisible to it, and without them the planner may take 10,000 rows for none
    # and choose plans that run for minutes.
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE incidents_incident, crimes_crime, crimes_crimeincidentlink, "
            "crimes_noncrimerationale, duties_duty"
        )

    # 3. The sweep runs; the registrar looks.
    duties_sweep(now=now)
    every = set().union(*plan.values())
    decided_ids = set(CrimeIncidentLink.objects.order_by().values_list("incident_id", flat=True)) | set(
        NonCrimeRationale.objects.order_by().values_list("incident_id", flat=True)
    )
    listed = set(selectors.unresolved_incidents(now=now).values_list("pk", flat=True))

    assert len(every) == INCIDENTS
    assert decided_ids | listed == every, "an incident is neither decided nor on the registrar's view"
    assert not decided_ids & listed, "a decided incident is still listed"
    assert decided_ids == plan["crime"] | plan["rationale"]
    assert listed == plan["nothing"] | plan["duty_cancelled"]
    # Whatever made an incident decided, its duty is discharged; the undecided ones keep theirs open.
    statuses = dict(
        Duty.objects.filter(kind=CRIME_RECORDING_DECISION.code, subject_type=ct).values_list(
            "subject_id", "status"
        )
    )
    assert all(statuses[str(pk)] == DutyStatus.DISCHARGED for pk in decided_ids)
    assert all(statuses[str(pk)] == DutyStatus.OPEN for pk in plan["nothing"])
    # Every overdue one is escalated, and the registrar's page counts them all.
    overdue = Duty.objects.filter(kind=CRIME_RECORDING_DECISION.code, status=DutyStatus.OPEN, due_at__lte=now)
    assert overdue.exists()
    assert not overdue.filter(escalation_level=EscalationLevel.NONE).exists()
    assert {int(pk) for pk in overdue.values_list("subject_id", flat=True)} <= plan["nothing"]
    _, total = access.access_unresolved_incidents(
        registrar, selectors.UnresolvedFilter(), purpose="Replay audit", limit=1, now=now
    )
    summary = selectors.unresolved_summary(now=now)
    assert total == summary.count == len(listed)
    assert summary.overdue == overdue.count()
    print(
        f"\nreplay of {INCIDENTS} incidents ({THROUGH_SERVICES} through the services in "
        f"{through_services:.1f} s, all written by {written:.1f} s): {time.monotonic() - started:.1f} s"
    )
