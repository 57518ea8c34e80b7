"""Demo data for the nominal index: synthetic households at the demo gazetteer's addresses, with the
spelling variation, aliases, duplicates and warning markers a real index has.

People live in households of one to five sharing an address (and mostly a family name); a few
addresses hold two households. About 3% of people are recorded a second time under a variant of
their name (a nickname, another spelling, a typing slip, names swapped), which the duplicate scan
then lists for review. A minority carry warning markers, including registered sex offenders living
with others, so an address check shows what a call handler must know. Some keep a vehicle. Names
come from ``iops.people.synthetic``; nobody here is real.
"""

from __future__ import annotations

import random
import string
from datetime import date, timedelta

from django.utils import timezone

from iops.geo.models import Address
from iops.people import services, synthetic
from iops.people.choices import AddressRole, NameKind
from iops.people.models import Nominal
from iops.platform.demo import DemoContext, demo_step

SOURCE = "Demo data (synthetic people)"
DUPLICATE_SHARE = 0.03
RESTRICTED_SHARE = 0.005
VEHICLE_SHARE = 0.1
MARKERS = [
    ("violence", 30, "Assaulted a partner; arrested", "Custody record"),
    ("weapons", 12, "Knife found on stop and search", "Stop and search record"),
    ("drugs", 20, "Supplies cannabis; needles found", "Intelligence report"),
    ("mental_health", 15, "Detained under s.136 Mental Health Act", "Street triage"),
    ("self_harm", 10, "Self-harmed in custody", "Custody record"),
    ("sex_offender", 8, "Registered sex offender; notification requirements", "ViSOR"),
    ("firearms", 3, "Access to a shotgun (certificate revoked)", "Firearms licensing"),
    ("escape_risk", 3, "Ran from officers after arrest", "Custody record"),
    ("contagion", 2, "Hepatitis B", "Custody health care"),
    ("ailment", 5, "Type 1 diabetes", "Custody health care"),
]


def _vrm(rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNOPRSTUVWXY"
    return f"{rng.choice(letters)}{rng.choice(letters)}{rng.randint(10, 25)} {''.join(rng.choice(letters) for _ in range(3))}"


def _ni_number(rng: random.Random) -> str:
    # Letters allowed in both places and in no excluded pair (BG, GB, NK, KN, TN, NT, ZZ).
    letters = "ACEHJLMPRSWY"
    return f"{rng.choice(letters)}{rng.choice(letters)}{rng.randint(0, 999999):06d}{rng.choice('ABCD')}"


def _pnc_id(rng: random.Random, born: date) -> str:
    year = min(born.year + rng.randint(16, 40), 2025)
    return f"{year}/{rng.randint(1, 9_999_999):07d}{rng.choice(string.ascii_uppercase)}"


def _household(
    rng: random.Random, today: date, address_id: int, moved_in: date
) -> list[tuple[synthetic.SyntheticPerson, services.PersonRecord]]:
    head = synthetic.person(rng, today=today)
    size = rng.choices((1, 2, 3, 4, 5), weights=(30, 30, 20, 13, 7))[0]
    members = [head]
    community = next(c for c in synthetic.COMMUNITIES if c.name == head.community)
    for number in range(1, size):
        member = synthetic.person(rng, today=today, community=community)
        if rng.random() < 0.8:
            member.family = head.family
        if number > 1:  # children of the household
            member.date_of_birth = today - timedelta(days=rng.randint(2 * 365, 17 * 365))
        members.append(member)
    made = []
    for member in members:
        names = [services.NameInput(member.given, member.family)]
        names += [services.NameInput(given, family, kind) for kind, given, family in member.aliases]
        adult = (today - member.date_of_birth).days > 18 * 365
        identifiers = []
        if adult and rng.random() < 0.3:
            identifiers.append(services.IdentifierInput("ni_number", _ni_number(rng)))
        if adult and rng.random() < 0.2:
            identifiers.append(services.IdentifierInput("pnc_id", _pnc_id(rng, member.date_of_birth)))
        if adult and rng.random() < 0.15:
            identifiers.append(services.IdentifierInput("phone", f"07700 9{rng.randint(0, 99999):05d}"))
        markers = []
        if adult and rng.random() < 0.08:
            kind, _, details, source = rng.choices(MARKERS, weights=[weight for _, weight, _, _ in MARKERS])[
                0
            ]
            markers.append(
                services.MarkerInput(kind, source, details, today - timedelta(days=rng.randint(30, 3000)))
            )
        restricted = rng.random() < RESTRICTED_SHARE
        made.append(
            (
                member,
                services.PersonRecord(
                    names=names,
                    dates_of_birth=[member.date_of_birth, *member.extra_dates],
                    gender=member.gender,
                    identifiers=identifiers,
                    addresses=[services.AddressInput(address_id, AddressRole.RESIDENT, moved_in)],
                    markers=markers,
                    restricted=restricted,
                    restriction_contact="Public protection unit" if restricted else "",
                ),
            )
        )
    return made


def _duplicate(rng: random.Random, original: services.PersonRecord) -> services.PersonRecord:
    """The same person recorded again by someone who heard or typed the name differently."""
    name = original.names[0]
    given, family, _ = synthetic.variant(name.given_names, name.family_name, rng)
    born = original.dates_of_birth[0]
    if rng.random() < 0.25:
        born = synthetic.swap_day_month(born)
    return services.PersonRecord(
        names=[services.NameInput(given, family, NameKind.BIRTH)],
        dates_of_birth=[born] if rng.random() < 0.9 else [],
        gender=original.gender,
        addresses=list(original.addresses) if rng.random() < 0.5 else [],
    )


@demo_step("people", order=300)
def people(context: DemoContext) -> None:
    if Nominal.objects.exists():
        context.made["people"] = list(Nominal.objects.order_by("pk").values_list("pk", flat=True))
        return
    rng = context.random
    today = timezone.localdate()
    address_ids = list(
        context.made.get("addresses") or Address.objects.order_by("uprn").values_list("pk", flat=True)
    )
    if not address_ids:
        return
    records: list[services.PersonRecord] = []
    while len(records) < context.size.persons:
        address_id = rng.choice(address_ids)
        moved_in = today - timedelta(days=rng.randint(60, 8000))
        for _, record in _household(rng, today, address_id, moved_in):
            records.append(record)
            if rng.random() < DUPLICATE_SHARE:
                records.append(_duplicate(rng, record))
    records = records[: context.size.persons]
    ids = services.nominals_bulk_load(acting_user=None, people=records, source=SOURCE)
    vehicles = 0
    for nominal_id, record in zip(ids, records, strict=True):
        adult = record.dates_of_birth and (today - record.dates_of_birth[0]).days > 18 * 365
        if adult and rng.random() < VEHICLE_SHARE:
            vehicle = services.vehicle_record(
                acting_user=None,
                vrm=_vrm(rng),
                make=rng.choice(("Ford", "Vauxhall", "Volkswagen", "Toyota", "Nissan", "BMW", "Kia")),
                colour=rng.choice(("Black", "Silver", "White", "Blue", "Red", "Grey")),
            )
            services.link_add(acting_user=None, nominal=Nominal(pk=nominal_id), target=vehicle, role="keeper")
            vehicles += 1
    pairs = services.duplicates_scan(acting_user=None)
    context.made["people"] = ids
    context.count("people", len(ids))
    context.count("vehicles", vehicles)
    context.count("likely duplicate pairs", pairs)
