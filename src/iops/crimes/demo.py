"""Demo data for crimes: crimes across the police.uk categories and outcomes over the demo period,
from crime-related incidents (the incidents demo step's, or made here through the incidents
services), with victims and suspects from the demo persons, and a realistic spread of duties:
most decisions made within 24 hours, some late, a few not yet made; Victims' Code contacts and
investigation actions mostly done, some overdue. The sweeper runs at the end, as of now, so
overdue duties show as escalated. Everything is synthetic.

Everything goes through the services; decisions in the past are made as the system importing
them (``acting_user=None`` with the time they happened), so recording compliance and the clocks
read as they would have.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import Group
from django.utils import timezone

from iops.accounts.choices import Role
from iops.accounts.models import User
from iops.crimes import codes, services
from iops.crimes.choices import N100Reason, PartyRole, VictimConsent
from iops.crimes.models import Crime
from iops.crimes.selectors import unresolved_incidents
from iops.duties.services import duties_sweep
from iops.geo.models import Address
from iops.incidents import services as incident_services
from iops.incidents.models import Incident
from iops.people.models import Nominal
from iops.people.services import NameInput, nominal_create
from iops.platform.demo import DemoContext, demo_step

logger = logging.getLogger(__name__)

# What kind of offence each crime category of incident usually turns out to be.
OFFENCES_BY_CATEGORY: dict[str, list[str]] = {
    "CR-VIOL": ["8N", "8N", "105A", "105A", "105A", "5D", "3B", "8S"],
    "CR-SEX": ["20A", "17A", "88E", "19C"],
    "CR-ROB": ["34B", "34B", "34A"],
    "CR-BURG-RES": ["28E", "28E", "28F", "28G"],
    "CR-BURG-BUS": ["30C", "30C", "30D"],
    "CR-VEH": ["45", "45", "48", "126", "37.2"],
    "CR-THEFT": ["46", "46", "46", "49", "49", "39", "44", "44", "49A"],
    "CR-DAM": ["58A", "58C", "58C", "58D", "58B", "56B"],
    "CR-DRUG": ["92D", "92E", "92E", "92A"],
    "CR-WEAP": ["10D", "10D", "10C"],
    "CR-PUBORD": ["9A", "9A", "9B", "62A"],
    "CR-HARASS": ["8L", "8L", "8Q", "8R", "8R"],
    "CR-OTHER": ["54", "83", "802", "99", "33"],
}
# Offences against the state or society: no personal victim.
NO_VICTIM = {"drugs", "possession-of-weapons", "public-order", "other-crime"}
# Home Office outcome types, weighted roughly as forces report them.
OUTCOMES = (
    [18] * 30
    + [14] * 12
    + [15] * 6
    + [16] * 12
    + [1] * 8
    + [3] * 3
    + [8] * 5
    + [20] * 2
    + [21] * 3
    + [10, 6, 2]
)
# How it was done, by police.uk category (anything else gets the general line).
MO = {
    "burglary": "Entry forced at the rear door while the occupants were out; drawers searched.",
    "robbery": "Suspect approached the victim from behind and took the phone by force.",
    "vehicle-crime": "Items taken from a vehicle parked overnight; window smashed.",
    "violent-crime": "Dispute in the street escalated; the victim was punched.",
    "shoplifting": "Goods concealed in a bag and taken past the tills without payment.",
    "criminal-damage-arson": "Window smashed with a brick late at night.",
    "bicycle-theft": "Cycle taken from a stand; the lock was cut.",
    "other-theft": "Property taken while left unattended.",
    "theft-from-the-person": "Purse taken from a bag on a crowded bus.",
}
GENERAL_MO = "Found during a stop; see the officer's statement."
ACTIONS = [
    "Collect CCTV from nearby premises",
    "Take a statement from the victim",
    "Conduct house-to-house enquiries",
    "Submit forensic samples",
    "Check the suspect's alibi",
    "Review the victim's phone records with consent",
]
NON_CRIME = [
    "Enquiries with the caller show the property was mislaid, not stolen; it has been found.",
    "The caller confirmed the damage was accidental (a delivery van reversing); no offence.",
    "Both parties describe a verbal argument with no threats or violence; no notifiable offence.",
    "Fraud reported: referred to Action Fraud, which records fraud nationally.",
]


def _users(context: DemoContext, role: Role) -> list[User]:
    made = (context.made.get("users_by_role") or {}).get(role.value)
    if made:
        return list(made)
    group = Group.objects.filter(name=role.label).first()
    return list(User.objects.filter(groups=group, is_active=True).order_by("username")) if group else []


def _persons(context: DemoContext, wanted: int) -> list[Nominal]:
    persons = list(
        Nominal.objects.filter(merged_into__isnull=True, restricted=False).order_by("pk")[: wanted * 2]
    )
    for _ in range(max(0, wanted - len(persons))):
        persons.append(
            nominal_create(
                acting_user=None,
                names=[
                    NameInput(given_names=context.faker.first_name(), family_name=context.faker.last_name())
                ],
            )
        )
    return persons


def _incidents(
    context: DemoContext, handler: User, wanted: int, start: datetime, now: datetime
) -> list[Incident]:
    """Undecided crime-related incidents of the demo period, made through the incidents services if short."""
    found = list(unresolved_incidents(now=now).filter(opened_at__gte=start).order_by("opened_at")[:wanted])
    addresses = list(
        context.made.get("addresses") or Address.objects.order_by("pk").values_list("pk", flat=True)[:5000]
    )
    span = (now - start).total_seconds()
    for _ in range(wanted - len(found)):
        category = context.random.choice(list(OFFENCES_BY_CATEGORY))
        address = Address.objects.filter(pk=context.random.choice(addresses)).first() if addresses else None
        qualifiers = (
            ["DOMESTIC"] if category in ("CR-VIOL", "CR-HARASS") and context.random.random() < 0.3 else []
        )
        found.append(
            incident_services.incident_create(
                acting_user=handler,
                opening_category=category,
                qualifiers=qualifiers,
                summary=context.faker.sentence(nb_words=10),
                address=address,
                location_text="" if address else f"{context.faker.street_address()}",
                opened_at=start + timedelta(seconds=context.random.uniform(0, span)),
            )
        )
    return sorted(found, key=lambda incident: incident.opened_at)


def _lag(context: DemoContext) -> timedelta:
    """How long after the report a decision came: mostly the same day, some after the 24 hours."""
    roll = context.random.random()
    if roll < 0.8:
        return timedelta(hours=context.random.uniform(0.3, 20))
    if roll < 0.92:
        return timedelta(hours=context.random.uniform(20, 24))
    return timedelta(hours=context.random.uniform(25, 96))


@demo_step("crimes", order=500)
def crimes(context: DemoContext) -> None:
    if Crime.objects.exists():
        logger.info("demo crimes already made; skipping")
        return
    handlers = _users(context, Role.CALL_HANDLER)
    investigators = _users(context, Role.INVESTIGATOR)
    supervisors = _users(context, Role.SUPERVISOR)
    registrars = _users(context, Role.CRIME_REGISTRAR)
    if not (handlers and investigators and supervisors and registrars):
        logger.warning("demo crimes need call handlers, investigators, supervisors and a registrar; skipping")
        return
    rng = context.random
    now = timezone.now()
    start = now - timedelta(days=context.size.days)
    target = context.size.crimes
    incidents = _incidents(context, handlers[0], round(target * 1.12), start, now)
    persons = _persons(context, min(max(target // 2, 50), 2000))
    made = decided = 0
    for incident in incidents:
        decided_at = incident.opened_at + _lag(context)
        roll = rng.random()
        if decided_at > now or roll < 0.03:
            continue  # not decided yet: on the registrar's view, overdue once past 24 hours
        if roll < 0.09 or incident.opening_category == "CR-FRAUD":
            services.non_crime_rationale_record(
                acting_user=None,
                decided_by=rng.choice(supervisors + registrars),
                incident=incident,
                rationale=rng.choice(NON_CRIME),
                n100_reason=N100Reason.NOT_CONFIRMED if incident.opening_category == "CR-SEX" else "",
                at=decided_at,
            )
            decided += 1
            continue
        _record(context, incident, decided_at, now, persons, investigators, supervisors)
        made += 1
    _finishing_touches(context, persons, supervisors, registrars)
    result = duties_sweep(now=now)
    context.count("crimes", made)
    context.count("non-crime rationales", decided)
    context.count("duties escalated", result.escalated)


def _record(
    context: DemoContext,
    incident: Incident,
    at: datetime,
    now: datetime,
    persons: list[Nominal],
    investigators: list[User],
    supervisors: list[User],
) -> None:
    rng = context.random
    choices = [
        code
        for code in OFFENCES_BY_CATEGORY.get(incident.opening_category, ["49"])
        if code in codes.offences()
    ]
    offence = codes.offence(rng.choice(choices or ["49"]))
    personal = offence.police_uk_category.slug not in NO_VICTIM
    victim = [rng.choice(persons)] if personal and persons and rng.random() < 0.9 else []
    suspects = [rng.choice(persons)] if persons and rng.random() < 0.35 else []
    if victim and suspects and suspects[0].pk == victim[0].pk:
        suspects = []
    officer = rng.choice(investigators) if rng.random() < 0.8 else None
    crime = services.crime_record(
        acting_user=None,
        offence_code=offence.code,
        incidents=[incident],
        committed_from=incident.opened_at - timedelta(minutes=rng.randint(5, 600)),
        victims=victim,
        suspects=suspects,
        modus_operandi=MO.get(offence.police_uk_category.slug, GENERAL_MO),
        allocated_officer=officer,
        # The interval each victim agreed for updates.
        victim_update_interval_days=rng.choice([7, 14, 28, 28, 28]),
        recorded_by=officer or rng.choice(supervisors),
        at=at,
    )
    if victim:
        _victim_contacts(context, crime, at, now)
    if officer is not None:
        for _ in range(rng.randint(0, 3)):
            set_at = at + timedelta(hours=rng.uniform(1, 48))
            if set_at >= now:
                break
            action = services.investigation_action_add(
                acting_user=None,
                crime=crime,
                description=rng.choice(ACTIONS),
                due_at=set_at + timedelta(days=rng.randint(2, 14)),
                owner_user=officer,
                at=set_at,
            )
            done_at = set_at + timedelta(days=rng.uniform(1, 12))
            if done_at < now and rng.random() < 0.75:
                services.investigation_action_complete(
                    acting_user=None,
                    action=action,
                    result="Done: see the statement and exhibits log.",
                    at=done_at,
                )
    outcome_at = at + timedelta(days=rng.uniform(2, 25))
    if outcome_at < now and rng.random() < 0.7:
        services.crime_outcome_set(
            acting_user=None, crime=crime, outcome_type=rng.choice(OUTCOMES), outcome_at=outcome_at
        )


def _victim_contacts(context: DemoContext, crime: Crime, recorded: datetime, now: datetime) -> None:
    rng = context.random
    steps: list[tuple[str, float, dict[str, Any]]] = [
        ("victim_written_confirmation", 0.9, {}),
        ("victim_needs_assessment", 0.85, {}),
        (
            "victim_services_referral",
            0.8,
            {"consent": VictimConsent.GIVEN if rng.random() < 0.6 else VictimConsent.DECLINED},
        ),
    ]
    for obligation, chance, extra in steps:
        at = recorded + timedelta(hours=rng.uniform(1, 60))
        if at < now and rng.random() < chance:
            services.victim_contact_record(
                acting_user=None,
                crime=crime,
                obligation=obligation,
                note="Done by phone with the victim.",
                at=at,
                **extra,
            )
    at = recorded + timedelta(days=crime.victim_update_interval_days - rng.uniform(0, 4))
    if at < now and rng.random() < 0.7:
        services.victim_contact_record(
            acting_user=None,
            crime=crime,
            obligation="victim_update",
            note="Victim told how the enquiry stands.",
            at=at,
        )


def _finishing_touches(
    context: DemoContext, persons: list[Nominal], supervisors: list[User], registrars: list[User]
) -> None:
    """Some reviews, a few transfers and cancellations, by real demo users (so, timed now)."""
    rng = context.random
    live = list(Crime.objects.filter(state="recorded").order_by("pk"))
    for crime in rng.sample(live, min(len(live) // 4, 300)):
        supervisor = rng.choice(supervisors)
        if crime.allocated_officer_id != supervisor.pk:
            services.supervisor_review_record(
                acting_user=supervisor,
                crime=crime,
                review="Proportionate enquiries in hand; victim kept informed.",
                directions=rng.choice(["", "Chase the CCTV by Friday.", "Consider a community resolution."]),
            )
    untouched = [crime for crime in live if crime.outcome_type is None]
    rng.shuffle(untouched)
    transfers = max(len(untouched) // 150, 1) if untouched else 0
    cancellations = max(len(untouched) // 80, 1) if len(untouched) > transfers else 0
    for crime in untouched[:transfers]:
        services.crime_transfer(
            acting_user=rng.choice(supervisors),
            crime=crime,
            to_force="Northshire Constabulary",
            reason="Enquiries place the offence across the force boundary; accepted by their registrar.",
        )
    for crime in untouched[transfers : transfers + cancellations]:
        services.crime_cancel(
            acting_user=rng.choice(registrars),
            crime=crime,
            code=rng.choice(["C2", "C3", "C4"]),
            reason="Additional verifiable information reviewed by the force crime registrar.",
        )
    for party_crime in rng.sample(live, min(20, len(live))):
        party_crime.refresh_from_db()
        if (
            party_crime.state == "recorded"
            and not party_crime.parties.filter(role=PartyRole.WITNESS).exists()
        ):
            witness = rng.choice(persons) if persons else None
            if witness is not None and not party_crime.parties.filter(link__nominal=witness).exists():
                services.crime_party_add(
                    acting_user=None, crime=party_crime, nominal=witness, role=PartyRole.WITNESS
                )
