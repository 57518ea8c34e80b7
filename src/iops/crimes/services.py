"""Writers for crimes: recording, the non-crime rationale, classification, outcome, transfer,
cancellation, N100, parties, allocation, investigation actions, supervisor reviews and the
Victims' Code contacts.

Each service is one transaction: the rows, the s.62 audit entry, the duties it opens or ends, and
a ``crimes.changed`` event after commit. The rules they keep:

* a crime-related incident's 24-hour ``crime_recording_decision`` is met only by a crime record or
  by a non-crime rationale from a supervisor or the force crime registrar, in the same transaction;
* one crime per victim (a second victim is a second crime), and one crime per victim per incident
  (finished incident and principal crime rules: further offences go on the principal crime);
* an offence code must be on the Home Office list; its police.uk category is stored with it;
* only the force crime registrar cancels a crime, with grounds from the cancellation codes and a
  reason; a transfer to another force is the C1 ground, open to supervisors and the registrar;
* a report of rape not recorded as rape (not confirmed, cancelled, transferred, reclassified)
  leaves an N100 record;
* a crime with a victim opens the Victims' Code duties (``codes.victims_code``), the update duty
  again after each update until the crime is finalised.

``acting_user=None`` is the system (demo data, imports): it is trusted with permissions, and only
it may say when something happened (``at``); a person's records are always timed when saved, so
the recording-compliance figure cannot be improved by backdating.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from iops.accounts.choices import TeamKind
from iops.accounts.models import Team, User
from iops.audit.access import check_permission
from iops.audit.choices import Action
from iops.audit.services import access_grant_add, audit_record
from iops.crimes import codes, workdays
from iops.crimes.choices import (
    ActionStatus,
    CrimeState,
    InvestigationStatus,
    N100Reason,
    PartyRole,
    VictimConsent,
)
from iops.crimes.codes import CountedFrom, RecordingCodeKind, UnknownCode, UnknownOffenceCode
from iops.crimes.duty_kinds import (
    INVESTIGATION_ACTION,
    VICTIM_SERVICES_REFERRAL,
    VICTIM_UPDATE,
    VICTIMS_CODE_KINDS,
)
from iops.crimes.errors import (
    CrimeNotLive,
    OneCrimePerVictim,
    RationaleNotAuthorised,
    RegistrarOnly,
    VictimAlreadyRecorded,
)
from iops.crimes.models import (
    ClassificationChange,
    Crime,
    CrimeIncidentLink,
    CrimeParty,
    InvestigationAction,
    N100Record,
    NonCrimeRationale,
    OutcomeChange,
    SupervisorReview,
    VictimContact,
)
from iops.duties.choices import DutyStatus, Risk
from iops.duties.models import Duty
from iops.duties.services import duties_discharge_for, duty_cancel, duty_open, duty_reassign
from iops.geo.choices import AreaKind
from iops.geo.models import Address, Area
from iops.geo.selectors import area_at
from iops.incidents.duty_kinds import CRIME_RECORDING_DECISION
from iops.incidents.models import Incident
from iops.incidents.services import qualifier_tag
from iops.people.models import Nominal
from iops.people.services import link_add
from iops.platform import events
from iops.platform.errors import Conflict, NotFound, PermissionRefused, ValidationFailed
from iops.platform.models import default_force

PURPOSE = "Crime recording and investigation"
MIN_REASON = 20
MIN_NOTE = 5
MAX_TEXT = 20_000
CRIME_PREFIX = "CR"
N100_PREFIX = "N100"
TRANSFER_CODE = "C1"
# Recording may lag the report a little (the form takes minutes), never lead it by more.
CLOCK_SKEW = timedelta(minutes=5)

RECORD = "crimes.record_crime"
CHANGE = "crimes.change_crime"
CHANGED_TOPIC = "crimes.changed"


# --- small helpers ---------------------------------------------------------------------------------


def _require(user: User | None, permission: str) -> None:
    """The system (None: demo data, imports) is trusted; people need the permission."""
    if user is not None:
        check_permission(user, permission)


def _text(value: str | None, field: str, *, label: str, minimum: int = 0) -> str:
    text = (value or "").strip()
    if minimum and len(text) < minimum:
        raise ValidationFailed(
            f"Give {label} (at least {minimum} characters): it is kept on the record.", field=field
        )
    if len(text) > MAX_TEXT:
        raise ValidationFailed(f"Keep {label} under {MAX_TEXT} characters.", field=field)
    return text


def _moment(acting_user: User | None, at: datetime | None) -> datetime:
    """When this happens: now, or for the system (imports, demo data) the time it is told."""
    now = timezone.now()
    if at is None:
        return now
    if acting_user is not None:
        raise ValidationFailed(
            "A record made by a person is timed when it is saved; only imports may give another time.",
            field="at",
        )
    if timezone.is_naive(at):
        raise ValidationFailed("Give the time with its time zone.", field="at")
    if at > now + CLOCK_SKEW:
        raise ValidationFailed("That time is in the future.", field="at")
    return at


def _live(crime: Crime) -> Crime:
    """The crime's row, locked for this change, which must still be recorded (not transferred or cancelled)."""
    locked = Crime.objects.select_for_update().get(pk=crime.pk)
    if locked.state != CrimeState.RECORDED:
        raise CrimeNotLive(locked.number, locked.get_state_display())
    return locked


def _bump(crime: Crime) -> None:
    Crime.objects.filter(pk=crime.pk).update(version=F("version") + 1)


def _audit(
    user: User | None,
    action: Action,
    operation: str,
    crime: Crime,
    detail: dict[str, Any] | None = None,
    purpose: str = PURPOSE,
) -> None:
    audit_record(
        actor=user,
        action=action,
        operation=operation,
        record_type="crimes.crime",
        record_id=crime.pk,
        purpose=purpose,
        detail={"number": crime.number, **(detail or {})},
    )


def _changed(crime: Crime, change: str, incidents: Iterable[int] = ()) -> None:
    events.publish(
        CHANGED_TOPIC,
        {"id": crime.pk, "number": crime.number, "change": change, "incidents": list(incidents)},
    )


def _next_reference(force_id: int, prefix: str, year: int) -> int:
    """The next number of a reference series; the row stays locked until the caller commits."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO crimes_referencesequence (force_id, prefix, year, last_number)
            VALUES (%s, %s, %s, 1)
            ON CONFLICT (force_id, prefix, year)
            DO UPDATE SET last_number = crimes_referencesequence.last_number + 1
            RETURNING last_number
            """,
            [force_id, prefix, year],
        )
        row = cursor.fetchone()
    return int(row[0])


def crime_number(force_id: int, moment: datetime) -> str:
    """A new force crime number, e.g. ``CR/2026/000123``: per force, per year of recording."""
    year = timezone.localtime(moment).year
    return f"{CRIME_PREFIX}/{year}/{_next_reference(force_id, CRIME_PREFIX, year):06d}"


def _n100_reference(force_id: int, moment: datetime) -> str:
    year = timezone.localtime(moment).year
    return f"{N100_PREFIX}/{year}/{_next_reference(force_id, N100_PREFIX, year):06d}"


def _person_label(nominal: Nominal) -> str:
    return f"Person {nominal.reference}"


def _crime_label(crime: Crime) -> str:
    try:
        description = codes.offence(crime.offence_code).description
    except UnknownOffenceCode:
        description = crime.offence_code
    return f"Crime {crime.number} ({description})"


def _crime_risk(crime: Crime, incidents: Sequence[Incident] = ()) -> Risk:
    """High for sexual offences and for crimes from incidents with a high-risk qualifier."""
    try:
        offence = codes.offence(crime.offence_code)
    except UnknownOffenceCode:
        return Risk.STANDARD
    qualifiers = {code for incident in incidents for code in incident.qualifiers}
    if (
        offence.is_rape
        or "sexual" in offence.group.lower()
        or qualifiers & {"DOMESTIC", "CHILD", "VULN-ADULT"}
    ):
        return Risk.HIGH
    if offence.police_uk_category.slug in {"violent-crime", "robbery"}:
        return Risk.MEDIUM
    return Risk.STANDARD


def _tags(incidents: Sequence[Incident]) -> list[str]:
    return sorted({qualifier_tag(code) for incident in incidents for code in incident.qualifiers})


def _incidents_of(crime: Crime) -> list[Incident]:
    return list(Incident.objects.filter(pk__in=crime.incident_links.values("incident_id")).order_by("pk"))


def _crime_team(crime: Crime) -> Team | None:
    """Who holds a crime's duties until it is allocated: the district's CID, else any CID, else the registry."""
    teams = Team.objects.filter(force_id=cast(int, crime.force_id))
    if crime.district_id:
        team = teams.filter(kind=TeamKind.CID, district_id=crime.district_id).order_by("code").first()
        if team is not None:
            return team
    return (
        teams.filter(kind=TeamKind.CID).order_by("code").first()
        or teams.filter(kind=TeamKind.CRIME_REGISTRY).order_by("code").first()
    )


def _owners(crime: Crime, acting_user: User | None) -> tuple[User | None, Team | None]:
    if crime.allocated_officer is not None:
        return crime.allocated_officer, crime.allocated_officer.team
    team = _crime_team(crime)
    if team is not None:
        return None, team
    if acting_user is not None:
        return acting_user, acting_user.team
    fallback = Team.objects.order_by("code").first()
    if fallback is None:
        raise ValidationFailed(
            "There is no team to give the crime's duties to; create one first.", field=None
        )
    return None, fallback


def _grant(acting_user: User | None, crime: Crime, user: User, reason: str, permission: str) -> None:
    """Keep a restricted crime visible to those working it (recorder, allocated officer)."""
    if crime.restricted and acting_user is not None:
        access_grant_add(
            acting_user=acting_user, record=crime, user=user, reason=reason, permission=permission
        )


# --- the Victims' Code -------------------------------------------------------------------------


def _due(crime: Crime, obligation: codes.VictimsCodeObligation, start: datetime) -> datetime:
    base = {
        CountedFrom.REPORTED: crime.reported_at,
        CountedFrom.RECORDED: crime.recorded_at,
        CountedFrom.PREVIOUS: start,
    }[obligation.counted_from]
    if obligation.working_days is not None:
        return workdays.working_days_deadline(base, obligation.working_days)
    days = crime.victim_update_interval_days if obligation.repeats else (obligation.calendar_days or 0)
    return base + timedelta(days=days)


def _open_victim_duty(
    crime: Crime,
    obligation: codes.VictimsCodeObligation,
    acting_user: User | None,
    opened: datetime,
    incidents: Sequence[Incident],
) -> Duty:
    owner_user, owner_team = _owners(crime, acting_user)
    # A crime recorded late may already be past a clock that runs from the report: the duty is
    # then due at once, and shows as overdue, rather than being quietly given more time.
    due = max(_due(crime, obligation, opened), opened)
    return duty_open(
        kind=obligation.code,
        title=f"{obligation.name}: crime {crime.number}",
        subject=crime,
        subject_label=_crime_label(crime),
        owner_user=owner_user,
        owner_team=owner_team,
        opened_by=acting_user,
        opened_at=opened,
        due_at=due,
        risk=_crime_risk(crime, incidents),
        rule=f"Victims' Code, Right {obligation.right} ({obligation.basis})",
        tags=["victims_code", *_tags(incidents)],
    )


def _open_victims_code_duties(crime: Crime, acting_user: User | None, opened: datetime) -> list[Duty]:
    """Open each Victims' Code duty the crime does not already have."""
    existing = set(
        Duty.objects.filter(
            subject_type=ContentType.objects.get_for_model(Crime),
            subject_id=str(crime.pk),
            kind__in=VICTIMS_CODE_KINDS,
        ).values_list("kind", flat=True)
    )
    incidents = _incidents_of(crime)
    return [
        _open_victim_duty(crime, obligation, acting_user, opened, incidents)
        for obligation in codes.victims_code()
        if obligation.code not in existing
    ]


def _crime_duties(crime: Crime) -> list[Duty]:
    """Open duties about the crime or its investigation actions."""
    crime_type = ContentType.objects.get_for_model(Crime)
    action_type = ContentType.objects.get_for_model(InvestigationAction)
    action_ids = [str(pk) for pk in crime.actions.values_list("pk", flat=True)]
    return list(
        Duty.objects.filter(status=DutyStatus.OPEN, subject_type=crime_type, subject_id=str(crime.pk))
        | Duty.objects.filter(status=DutyStatus.OPEN, subject_type=action_type, subject_id__in=action_ids)
    )


def _end_crime_duties(crime: Crime, acting_user: User, reason: str) -> None:
    """A crime that leaves the force's books takes its open duties and actions with it, on record."""
    for duty in _crime_duties(crime):
        duty_cancel(duty=duty, acting_user=acting_user, reason=reason)
    InvestigationAction.objects.filter(crime=crime, status=ActionStatus.OPEN).update(
        status=ActionStatus.CANCELLED
    )


def _n100(
    *,
    acting_user: User | None,
    reason: str,
    rationale: str,
    moment: datetime,
    incident: Incident | None = None,
    crime: Crime | None = None,
) -> N100Record:
    if crime is not None:
        force_id, reported = cast(int, crime.force_id), crime.reported_at
    elif incident is not None:
        force_id, reported = cast(int, incident.force_id), incident.opened_at
    else:
        raise ValidationFailed("Say which incident or crime the rape report is.", field="incident")
    record = N100Record.objects.create(
        force_id=force_id,
        reference=_n100_reference(force_id, moment),
        incident=incident,
        crime=crime,
        reason=reason,
        rationale=rationale,
        reported_at=reported,
        recorded_at=moment,
        recorded_by=acting_user,
    )
    audit_record(
        actor=acting_user,
        action=Action.COLLECTION,
        operation="crimes.n100_record",
        record_type="crimes.n100record",
        record_id=record.pk,
        purpose=PURPOSE,
        detail={
            "reference": record.reference,
            "reason": reason,
            "crime": crime.pk if crime else None,
            "incident": incident.pk if incident else None,
        },
    )
    return record


# --- recording -------------------------------------------------------------------------------------


def _unique(records: Iterable[Any]) -> list[Any]:
    seen: dict[Any, Any] = {}
    for record in records:
        seen.setdefault(record.pk, record)
    return list(seen.values())


def _place(
    incidents: Sequence[Incident],
    address: Address | None,
    latitude: float | None,
    longitude: float | None,
    location_text: str,
) -> dict[str, Any]:
    """Where the crime happened: as given, else where the first incident with a place was."""
    if address is None and latitude is None and not location_text.strip():
        source = next(
            (i for i in incidents if i.address_id or i.latitude is not None or i.location_text), None
        )
        if source is not None:
            address, latitude, longitude = source.address, source.latitude, source.longitude
            location_text = source.location_text
    if (latitude is None) != (longitude is None):
        raise ValidationFailed("Give both latitude and longitude, or neither.", field="latitude")
    if latitude is not None and not (-90 <= latitude <= 90):
        raise ValidationFailed(f"Latitude {latitude} is out of range -90..90.", field="latitude")
    if longitude is not None and not (-180 <= longitude <= 180):
        raise ValidationFailed(f"Longitude {longitude} is out of range -180..180.", field="longitude")
    if address is not None:
        latitude, longitude = address.latitude, address.longitude
        location_text = location_text.strip() or address.full_address
    beat: Area | None = address.beat if address is not None and address.beat_id else None
    lsoa: Area | None = address.lsoa if address is not None and address.lsoa_id else None
    if beat is None:
        beat = next((i.beat for i in incidents if i.beat_id), None)
    if latitude is not None and longitude is not None:
        beat = beat or area_at(latitude, longitude, AreaKind.BEAT)
        lsoa = lsoa or area_at(latitude, longitude, AreaKind.LSOA)
    district_id = next((i.district_id for i in incidents if i.district_id), None)
    if district_id is None and beat is not None:
        district_id = beat.district_id
    return {
        "address": address,
        "latitude": latitude,
        "longitude": longitude,
        "location_text": _text(location_text, "location_text", label="the location")[:400],
        "beat": beat,
        "lsoa": lsoa,
        "district_id": district_id,
    }


def _check_officer(acting_user: User | None, officer: User | None) -> None:
    if officer is None:
        return
    if not officer.is_active:
        raise ValidationFailed(f"{officer} is not an active user.", field="allocated_officer")
    if not officer.has_perm("crimes.view_crime"):
        raise ValidationFailed(f"{officer} cannot work on crimes in their role.", field="allocated_officer")
    if (
        acting_user is not None
        and officer.pk != acting_user.pk
        and not acting_user.has_perm("crimes.allocate_crime")
    ):
        raise PermissionRefused("Your role cannot allocate crimes to other people. Ask a supervisor.")


def _victim_on_incidents(victim: Nominal, incident_ids: Sequence[int]) -> Crime | None:
    """A live crime from one of these incidents that already has this person as its victim."""
    if not incident_ids:
        return None
    party = (
        CrimeParty.objects.filter(
            role=PartyRole.VICTIM,
            link__nominal=victim,
            crime__state=CrimeState.RECORDED,
            crime__incident_links__incident_id__in=list(incident_ids),
        )
        .select_related("crime")
        .first()
    )
    return party.crime if party is not None else None


def _add_party(
    crime: Crime, nominal: Nominal, role: str, acting_user: User | None, moment: datetime
) -> CrimeParty:
    link = link_add(
        acting_user=acting_user,
        nominal=nominal,
        target=crime,
        role=role,
        note=f"{PartyRole(role).label} of crime {crime.number}",
    )
    return CrimeParty.objects.create(crime=crime, role=role, link=link, added_at=moment, added_by=acting_user)


def crime_record(
    *,
    acting_user: User | None,
    offence_code: str,
    committed_from: datetime,
    committed_to: datetime | None = None,
    incidents: Sequence[Incident] = (),
    reported_at: datetime | None = None,
    victims: Sequence[Nominal] = (),
    suspects: Sequence[Nominal] = (),
    offenders: Sequence[Nominal] = (),
    witnesses: Sequence[Nominal] = (),
    address: Address | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    location_text: str = "",
    modus_operandi: str = "",
    additional_offence_codes: Sequence[str] = (),
    allocated_officer: User | None = None,
    victim_update_interval_days: int | None = None,
    restricted: bool = False,
    restriction_contact: str = "",
    recorded_by: User | None = None,
    at: datetime | None = None,
) -> Crime:
    """Record a crime, from its incidents (whose 24-hour decisions it meets) or on its own.

    The report time is the earliest linked incident's (or ``reported_at``). A victim opens the
    Victims' Code duties. An import (``acting_user=None``) may say who recorded it (``recorded_by``)
    and when (``at``). Raises ``UnknownOffenceCode`` (field ``offence_code``),
    ``OneCrimePerVictim`` or ``VictimAlreadyRecorded`` (field ``victims``) among others.
    """
    _require(acting_user, RECORD)
    offence = codes.offence(offence_code)
    extra: list[str] = []
    for code in dict.fromkeys(additional_offence_codes):
        try:
            extra.append(codes.offence(code).code)
        except UnknownOffenceCode as error:
            raise UnknownOffenceCode(error.message, field="additional_offence_codes") from None
    if offence.code in extra:
        raise ValidationFailed(
            "The principal offence cannot also be an additional offence.", field="additional_offence_codes"
        )
    victim_list = _unique(victims)
    if len(victim_list) > 1:
        raise OneCrimePerVictim()
    parties = [(PartyRole.VICTIM, person) for person in victim_list]
    for role, people in (
        (PartyRole.SUSPECT, suspects),
        (PartyRole.OFFENDER, offenders),
        (PartyRole.WITNESS, witnesses),
    ):
        parties += [(role, person) for person in _unique(people)]
    moment = _moment(acting_user, at)
    if timezone.is_naive(committed_from) or (committed_to is not None and timezone.is_naive(committed_to)):
        raise ValidationFailed("Give the times with their time zone.", field="committed_from")
    if committed_to is not None and committed_to < committed_from:
        raise ValidationFailed("The offence cannot end before it began.", field="committed_to")
    if (committed_to or committed_from) > moment + CLOCK_SKEW:
        raise ValidationFailed("The offence cannot be in the future.", field="committed_from")
    interval = victim_update_interval_days or VICTIM_UPDATE.due_after.days
    if not 1 <= interval <= 365:
        raise ValidationFailed(
            "Agree an update interval of 1 to 365 days.", field="victim_update_interval_days"
        )
    if restricted and not restriction_contact.strip():
        raise ValidationFailed(
            "Say whom to ask for access to a restricted crime.", field="restriction_contact"
        )
    _check_officer(acting_user, allocated_officer)
    if recorded_by is not None and acting_user is not None and recorded_by.pk != acting_user.pk:
        raise ValidationFailed("A crime is recorded by the person saving it.", field="recorded_by")
    recorder = acting_user or recorded_by
    mo = _text(modus_operandi, "modus_operandi", label="the modus operandi")
    incident_list = _unique(incidents)
    with transaction.atomic():
        locked = list(
            Incident.objects.select_for_update(of=("self",))
            .select_related("address", "beat")
            .filter(pk__in=[incident.pk for incident in incident_list])
            .order_by("pk")
        )
        if len(locked) != len(incident_list):
            raise NotFound("One of the incidents does not exist.", field="incidents")
        times = [incident.opened_at for incident in locked] + ([reported_at] if reported_at else [])
        if not times:
            raise ValidationFailed("Say when the crime was reported.", field="reported_at")
        reported = min(times)
        if reported > moment + CLOCK_SKEW:
            raise ValidationFailed("The report cannot be in the future.", field="reported_at")
        if committed_from > reported + CLOCK_SKEW:
            raise ValidationFailed(
                "The offence cannot have begun after it was reported "
                f"({timezone.localtime(reported):%d %b %Y %H:%M}).",
                field="committed_from",
            )
        incident_ids = [incident.pk for incident in locked]
        if victim_list:
            earlier = _victim_on_incidents(victim_list[0], incident_ids)
            if earlier is not None:
                raise VictimAlreadyRecorded(_person_label(victim_list[0]), earlier.number)
        principal = (
            Crime.objects.filter(incident_links__incident_id__in=incident_ids, state=CrimeState.RECORDED)
            .order_by("recorded_at", "pk")
            .first()
        )
        force = locked[0].force if locked else default_force()
        place = _place(locked, address, latitude, longitude, location_text)
        crime = Crime.objects.create(
            force=force,
            number=crime_number(force.pk, moment),
            offence_code=offence.code,
            police_uk_category=offence.police_uk_category.slug,
            additional_offence_codes=extra,
            principal_crime=(principal.principal_crime or principal) if principal is not None else None,
            committed_from=committed_from,
            committed_to=committed_to,
            reported_at=min(reported, moment),
            recorded_at=moment,
            recorded_by=recorder,
            modus_operandi=mo,
            investigation_status=(
                InvestigationStatus.UNDER_INVESTIGATION
                if allocated_officer
                else InvestigationStatus.AWAITING_ALLOCATION
            ),
            allocated_officer=allocated_officer,
            allocated_at=moment if allocated_officer else None,
            victim_update_interval_days=interval,
            restricted=restricted,
            restriction_contact=restriction_contact.strip()[:200],
            **place,
        )
        CrimeIncidentLink.objects.bulk_create(
            CrimeIncidentLink(crime=crime, incident=incident, linked_at=moment, linked_by=acting_user)
            for incident in locked
        )
        if acting_user is not None:
            _grant(acting_user, crime, acting_user, "Recorded the crime", RECORD)
        if (
            allocated_officer is not None
            and acting_user is not None
            and allocated_officer.pk != acting_user.pk
        ):
            _grant(acting_user, crime, allocated_officer, "Allocated investigator", "crimes.allocate_crime")
        for role, person in parties:
            _add_party(crime, person, role, acting_user, moment)
        note = f"Crime {crime.number} recorded ({offence.code} {offence.description})"
        for incident in locked:
            duties_discharge_for(
                subject=incident,
                kinds=[CRIME_RECORDING_DECISION.code],
                acting_user=acting_user,
                note=note,
                at=moment,
            )
        if victim_list:
            _open_victims_code_duties(crime, acting_user, moment)
        _audit(
            acting_user,
            Action.COLLECTION,
            "crimes.crime_record",
            crime,
            {
                "offence_code": offence.code,
                "police_uk_category": offence.police_uk_category.slug,
                "incidents": incident_ids,
                "parties": {role.value: person.pk for role, person in parties},
                "hours_from_report": round((moment - crime.reported_at).total_seconds() / 3600, 2),
            },
        )
        _changed(crime, "recorded", incident_ids)
    return crime


def crime_incident_link(*, acting_user: User | None, crime: Crime, incident: Incident) -> CrimeIncidentLink:
    """Link a further incident to a crime (another report of the same crime); meets its decision."""
    _require(acting_user, CHANGE)
    moment = timezone.now()
    with transaction.atomic():
        current = _live(crime)
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if CrimeIncidentLink.objects.filter(crime=current, incident=locked).exists():
            raise Conflict(
                f"Incident {locked.reference} is already linked to {current.number}.", field="incident"
            )
        victim = (
            CrimeParty.objects.filter(crime=current, role=PartyRole.VICTIM)
            .select_related("link__nominal")
            .first()
        )
        if victim is not None:
            earlier = _victim_on_incidents(victim.link.nominal, [locked.pk])
            if earlier is not None:
                raise VictimAlreadyRecorded(_person_label(victim.link.nominal), earlier.number)
        link = CrimeIncidentLink.objects.create(
            crime=current, incident=locked, linked_at=moment, linked_by=acting_user
        )
        if locked.opened_at < current.reported_at:
            Crime.objects.filter(pk=current.pk).update(reported_at=locked.opened_at)
        duties_discharge_for(
            subject=locked,
            kinds=[CRIME_RECORDING_DECISION.code],
            acting_user=acting_user,
            note=f"Linked to crime {current.number}",
        )
        _bump(current)
        _audit(acting_user, Action.ALTERATION, "crimes.incident_link", current, {"incident": locked.pk})
        _changed(current, "incident_linked", [locked.pk])
    return link


def non_crime_rationale_record(
    *,
    acting_user: User | None,
    incident: Incident,
    rationale: str,
    n100_reason: str = "",
    decided_by: User | None = None,
    at: datetime | None = None,
) -> NonCrimeRationale:
    """Record why a crime-related incident is not a crime: meets its 24-hour recording decision.

    Only a supervisor or the force crime registrar may decide it (``decided_by`` names them when the
    system imports the decision). With ``n100_reason`` the incident was a report of rape, and an
    N100 record is made with the rationale.
    """
    decider = acting_user if acting_user is not None else decided_by
    if decider is None or not decider.is_authenticated or not decider.is_active:
        raise RationaleNotAuthorised()
    if not decider.has_perm("crimes.record_noncrime_rationale"):
        raise RationaleNotAuthorised()
    text = _text(rationale, "rationale", label="the reason no crime is recorded", minimum=MIN_REASON)
    if n100_reason and n100_reason not in N100Reason.values:
        raise ValidationFailed(f"Unknown N100 reason '{n100_reason}'.", field="n100_reason")
    if n100_reason in (N100Reason.OTHER_OFFENCE, N100Reason.CANCELLED):
        raise ValidationFailed(
            "That N100 reason is for a recorded crime, not a non-crime decision.", field="n100_reason"
        )
    moment = _moment(acting_user, at)
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if not locked.crime_related:
            raise ValidationFailed(
                f"Incident {locked.reference} is not crime-related: there is no recording decision to make.",
                field="incident",
            )
        crime = Crime.objects.filter(incident_links__incident=locked).order_by("recorded_at").first()
        if crime is not None:
            raise Conflict(
                f"Crime {crime.number} is already recorded for incident {locked.reference}.", field="incident"
            )
        if NonCrimeRationale.objects.filter(incident=locked).exists():
            raise Conflict(
                f"Incident {locked.reference} already has a non-crime rationale.", field="incident"
            )
        if moment < locked.opened_at:
            raise ValidationFailed("The decision cannot come before the report.", field="at")
        decision = NonCrimeRationale.objects.create(
            force_id=locked.force_id, incident=locked, rationale=text, decided_by=decider, decided_at=moment
        )
        duties_discharge_for(
            subject=locked,
            kinds=[CRIME_RECORDING_DECISION.code],
            acting_user=decider,
            note=f"No crime: rationale recorded by {decider}",
            at=moment,
        )
        if n100_reason:
            _n100(acting_user=decider, reason=n100_reason, rationale=text, moment=moment, incident=locked)
        audit_record(
            actor=decider,
            action=Action.ALTERATION,
            operation="crimes.noncrime_rationale",
            record_type="incidents.incident",
            record_id=locked.pk,
            purpose="Crime recording decision",
            detail={
                "rationale_id": decision.pk,
                "n100": n100_reason or None,
                "imported": acting_user is None,
            },
        )
        events.publish(CHANGED_TOPIC, {"id": None, "change": "noncrime_rationale", "incidents": [locked.pk]})
    return decision


def n100_record(
    *,
    acting_user: User | None,
    reason: str,
    rationale: str,
    incident: Incident | None = None,
    crime: Crime | None = None,
) -> N100Record:
    """Record an N100: a report of rape not (or no longer) recorded as a crime of rape, and why."""
    _require(acting_user, "crimes.record_n100")
    if reason not in N100Reason.values:
        raise ValidationFailed(f"Unknown N100 reason '{reason}'.", field="reason")
    if incident is None and crime is None:
        raise ValidationFailed("Say which incident or crime the rape report is.", field="incident")
    text = _text(rationale, "rationale", label="the reason", minimum=MIN_REASON)
    with transaction.atomic():
        record = _n100(
            acting_user=acting_user,
            reason=reason,
            rationale=text,
            moment=timezone.now(),
            incident=incident,
            crime=crime,
        )
    return record


# --- classification, outcome, transfer, cancellation -----------------------------------------------


def crime_reclassify(*, acting_user: User | None, crime: Crime, offence_code: str, reason: str) -> Crime:
    """Change the Home Office classification (and so the police.uk category), with the reason."""
    _require(acting_user, "crimes.reclassify_crime")
    offence = codes.offence(offence_code)
    why = _text(reason, "reason", label="the reason for the change", minimum=MIN_NOTE)
    moment = timezone.now()
    with transaction.atomic():
        current = _live(crime)
        if current.offence_code == offence.code:
            raise ValidationFailed(
                f"Crime {current.number} is already classified {offence.code}.", field="offence_code"
            )
        before = codes.offence(current.offence_code) if current.offence_code in codes.offences() else None
        ClassificationChange.objects.create(
            crime=current,
            from_code=current.offence_code,
            to_code=offence.code,
            from_category=current.police_uk_category,
            to_category=offence.police_uk_category.slug,
            reason=why,
            changed_by=acting_user,
            changed_at=moment,
        )
        Crime.objects.filter(pk=current.pk).update(
            offence_code=offence.code,
            police_uk_category=offence.police_uk_category.slug,
            additional_offence_codes=[
                code for code in current.additional_offence_codes if code != offence.code
            ],
            version=F("version") + 1,
        )
        if before is not None and before.is_rape and not offence.is_rape:
            _n100(
                acting_user=acting_user,
                reason=N100Reason.OTHER_OFFENCE,
                rationale=why,
                moment=moment,
                crime=current,
            )
        _audit(
            acting_user,
            Action.ALTERATION,
            "crimes.reclassify",
            current,
            {"from": current.offence_code, "to": offence.code, "reason": why},
        )
        _changed(current, "reclassified")
    crime.refresh_from_db()
    return crime


def _outcome_number(outcome_type: int | str) -> int:
    if isinstance(outcome_type, str) and outcome_type.strip().isdigit():
        return int(outcome_type.strip())
    return cast(int, outcome_type)


def crime_outcome_set(
    *,
    acting_user: User | None,
    crime: Crime,
    outcome_type: int | str,
    outcome_at: datetime | None = None,
    reason: str = "",
) -> Crime:
    """Record the Home Office outcome type (mapped to its police.uk outcome); finalises the crime."""
    _require(acting_user, "crimes.set_crime_outcome")
    outcome = codes.outcome_type(_outcome_number(outcome_type))
    now = timezone.now()
    when = outcome_at or now
    if timezone.is_naive(when):
        raise ValidationFailed("Give the outcome time with its time zone.", field="outcome_at")
    if when > now + CLOCK_SKEW:
        raise ValidationFailed("The outcome date cannot be in the future.", field="outcome_at")
    why = _text(reason, "reason", label="the reason")
    with transaction.atomic():
        current = _live(crime)
        if when < current.committed_from:
            raise ValidationFailed("The outcome cannot come before the offence.", field="outcome_at")
        if current.outcome_type is not None:
            if current.outcome_type == outcome.number:
                raise ValidationFailed(
                    f"The outcome is already {outcome.number} {outcome.name}.", field="outcome_type"
                )
            if len(why) < MIN_NOTE:
                raise ValidationFailed("Say why the outcome is changing.", field="reason")
        OutcomeChange.objects.create(
            crime=current,
            from_type=current.outcome_type,
            to_type=outcome.number,
            from_police_uk=current.police_uk_outcome,
            to_police_uk=outcome.police_uk_outcome.slug,
            outcome_at=when,
            reason=why,
            changed_by=acting_user,
            changed_at=now,
        )
        Crime.objects.filter(pk=current.pk).update(
            outcome_type=outcome.number,
            outcome_at=when,
            police_uk_outcome=outcome.police_uk_outcome.slug,
            investigation_status=InvestigationStatus.FINALISED,
            version=F("version") + 1,
        )
        _audit(
            acting_user,
            Action.ALTERATION,
            "crimes.outcome",
            current,
            {"from": current.outcome_type, "to": outcome.number, "police_uk": outcome.police_uk_outcome.slug},
        )
        _changed(current, "outcome")
    crime.refresh_from_db()
    return crime


def crime_transfer(*, acting_user: User, crime: Crime, to_force: str, reason: str) -> Crime:
    """Pass a crime to the force where it happened (ground C1): it leaves this force's count.

    Passing the record to another force is a disclosure, logged with that force as recipient.
    """
    check_permission(acting_user, "crimes.transfer_crime")
    force_name = _text(to_force, "to_force", label="the force it goes to")
    if not force_name:
        raise ValidationFailed("Name the force the crime is transferred to.", field="to_force")
    if force_name.casefold() == default_force().name.casefold():
        raise ValidationFailed("A crime cannot be transferred to this force.", field="to_force")
    why = _text(reason, "reason", label="why it belongs to that force", minimum=MIN_REASON)
    moment = timezone.now()
    with transaction.atomic():
        current = _live(crime)
        Crime.objects.filter(pk=current.pk).update(
            state=CrimeState.TRANSFERRED,
            transferred_to_force=force_name[:120],
            transferred_at=moment,
            transferred_by=acting_user,
            cancellation_code=TRANSFER_CODE,
            cancellation_reason=why,
            version=F("version") + 1,
        )
        _end_crime_duties(current, acting_user, f"Crime {current.number} transferred to {force_name}: {why}")
        if codes.offence(current.offence_code).is_rape:
            _n100(
                acting_user=acting_user,
                reason=N100Reason.OTHER_FORCE,
                rationale=why,
                moment=moment,
                crime=current,
            )
        audit_record(
            actor=acting_user,
            action=Action.DISCLOSURE,
            operation="crimes.transfer",
            record_type="crimes.crime",
            record_id=current.pk,
            purpose="Transfer of a crime to the force where it happened (Crime Recording Rules, C1)",
            recipient=force_name[:200],
            detail={"number": current.number, "reason": why},
        )
        _changed(current, "transferred")
    crime.refresh_from_db()
    return crime


def crime_cancel(*, acting_user: User, crime: Crime, code: str, reason: str) -> Crime:
    """Cancel a recorded crime: the force crime registrar only, on a cancellation ground, with a reason."""
    if acting_user is None or not acting_user.is_authenticated or not acting_user.is_active:
        raise RegistrarOnly()
    if not acting_user.has_perm("crimes.cancel_crime"):
        raise RegistrarOnly()
    ground = codes.recording_code((code or "").strip()) if (code or "").strip() else None
    if ground is None:
        raise ValidationFailed("Choose the ground for cancelling (C2, C3 or C4).", field="code")
    if ground.kind is not RecordingCodeKind.CANCELLATION:
        raise ValidationFailed(f"{ground.code} is not a ground for cancelling a crime.", field="code")
    if ground.code == TRANSFER_CODE:
        raise ValidationFailed(
            "A crime that belongs to another force is transferred, not cancelled.", field="code"
        )
    why = _text(reason, "reason", label="the reason for cancelling", minimum=MIN_REASON)
    moment = timezone.now()
    with transaction.atomic():
        current = _live(crime)
        Crime.objects.filter(pk=current.pk).update(
            state=CrimeState.CANCELLED,
            cancellation_code=ground.code,
            cancellation_reason=why,
            cancelled_at=moment,
            cancelled_by=acting_user,
            version=F("version") + 1,
        )
        _end_crime_duties(current, acting_user, f"Crime {current.number} cancelled ({ground.code}): {why}")
        if codes.offence(current.offence_code).is_rape:
            reason_code = N100Reason.NO_CRIME if ground.code == "C2" else N100Reason.CANCELLED
            _n100(acting_user=acting_user, reason=reason_code, rationale=why, moment=moment, crime=current)
        _audit(acting_user, Action.ALTERATION, "crimes.cancel", current, {"code": ground.code, "reason": why})
        _changed(current, "cancelled")
    crime.refresh_from_db()
    return crime


# --- people, allocation, investigation ---------------------------------------------------------------


def crime_party_add(
    *, acting_user: User | None, crime: Crime, nominal: Nominal, role: str, at: datetime | None = None
) -> CrimeParty:
    """Add a person from the person index to a crime as victim, suspect, offender or witness."""
    _require(acting_user, CHANGE)
    if role not in PartyRole.values:
        raise ValidationFailed(
            f"Unknown role '{role}'. Use one of: {', '.join(PartyRole.values)}.", field="role"
        )
    moment = _moment(acting_user, at)
    with transaction.atomic():
        current = _live(crime)
        if CrimeParty.objects.filter(crime=current, role=role, link__nominal=nominal).exists():
            raise Conflict(
                f"{_person_label(nominal)} is already a {role} of {current.number}.", field="person"
            )
        if role == PartyRole.VICTIM:
            victim = (
                CrimeParty.objects.filter(crime=current, role=PartyRole.VICTIM)
                .select_related("link__nominal")
                .first()
            )
            if victim is not None:
                raise OneCrimePerVictim(
                    f"Crime {current.number} already has a victim ({victim.link.nominal.reference}). One crime "
                    "per victim: record a separate crime for this victim (Crime Recording Rules, section D).",
                    field="role",
                )
            incident_ids = list(current.incident_links.values_list("incident_id", flat=True))
            earlier = _victim_on_incidents(nominal, incident_ids)
            if earlier is not None:
                raise VictimAlreadyRecorded(_person_label(nominal), earlier.number)
        party = _add_party(current, nominal, role, acting_user, moment)
        if role == PartyRole.VICTIM:
            _open_victims_code_duties(current, acting_user, moment)
        _bump(current)
        _audit(
            acting_user, Action.ALTERATION, "crimes.party_add", current, {"person": nominal.pk, "role": role}
        )
        _changed(current, "party")
    return party


def crime_allocate(*, acting_user: User, crime: Crime, officer: User) -> Crime:
    """Allocate the crime to an investigator: its open duties go to them, the clocks do not restart."""
    check_permission(acting_user, "crimes.allocate_crime")
    _check_officer(acting_user, officer)
    moment = timezone.now()
    with transaction.atomic():
        current = _live(crime)
        previous = current.allocated_officer_id
        if previous == officer.pk:
            raise ValidationFailed(f"{current.number} is already allocated to {officer}.", field="officer")
        status = (
            InvestigationStatus.UNDER_INVESTIGATION
            if current.investigation_status == InvestigationStatus.AWAITING_ALLOCATION
            else current.investigation_status
        )
        Crime.objects.filter(pk=current.pk).update(
            allocated_officer=officer,
            allocated_at=moment,
            investigation_status=status,
            version=F("version") + 1,
        )
        current.refresh_from_db()
        _grant(acting_user, current, officer, "Allocated investigator", "crimes.allocate_crime")
        for duty in _crime_duties(current):
            if duty.kind in VICTIMS_CODE_KINDS or duty.owner_user_id in (None, previous):
                duty_reassign(
                    duty=duty,
                    acting_user=acting_user,
                    owner_user=officer,
                    note=f"Crime allocated to {officer}",
                )
        _audit(
            acting_user, Action.ALTERATION, "crimes.allocate", current, {"from": previous, "to": officer.pk}
        )
        _changed(current, "allocated")
    crime.refresh_from_db()
    return crime


def investigation_action_add(
    *,
    acting_user: User | None,
    crime: Crime,
    description: str,
    due_at: datetime,
    owner_user: User | None = None,
    owner_team: Team | None = None,
    at: datetime | None = None,
) -> InvestigationAction:
    """Set an investigation action: it is an owned duty, due when given, until its result is recorded."""
    _require(acting_user, "crimes.manage_investigation_actions")
    text = _text(description, "description", label="the action", minimum=MIN_NOTE)
    moment = _moment(acting_user, at)
    if timezone.is_naive(due_at):
        raise ValidationFailed("Give the due time with its time zone.", field="due_at")
    if due_at <= moment:
        raise ValidationFailed("An action must be due after it is set.", field="due_at")
    if owner_user is not None and not owner_user.is_active:
        raise ValidationFailed(f"{owner_user} is not an active user.", field="owner_user")
    with transaction.atomic():
        current = _live(crime)
        if owner_user is None and owner_team is None:
            owner_user = current.allocated_officer or acting_user
        if owner_user is None and owner_team is None:
            owner_team = _owners(current, acting_user)[1]
        action = InvestigationAction.objects.create(
            crime=current,
            description=text,
            owner_user=owner_user,
            owner_team=owner_team,
            due_at=due_at,
            created_at=moment,
            created_by=acting_user,
        )
        duty = duty_open(
            kind=INVESTIGATION_ACTION.code,
            title=f"{text[:120]} ({current.number})",
            subject=action,
            subject_label=_crime_label(current),
            owner_user=owner_user,
            owner_team=owner_team,
            opened_by=acting_user,
            opened_at=moment,
            due_at=due_at,
            risk=_crime_risk(current, _incidents_of(current)),
            rule="Investigation action set on the crime",
            tags=["investigation"],
        )
        InvestigationAction.objects.filter(pk=action.pk).update(duty=duty)
        action.duty = duty
        _bump(current)
        _audit(
            acting_user,
            Action.ALTERATION,
            "crimes.action_add",
            current,
            {"action": action.pk, "due_at": due_at},
        )
        _changed(current, "action")
    return action


def investigation_action_complete(
    *, acting_user: User | None, action: InvestigationAction, result: str, at: datetime | None = None
) -> InvestigationAction:
    """Record an action's result: discharges its duty."""
    if acting_user is not None and acting_user.pk != action.owner_user_id:
        _require(acting_user, "crimes.manage_investigation_actions")
    text = _text(result, "result", label="the result", minimum=MIN_NOTE)
    moment = _moment(acting_user, at)
    with transaction.atomic():
        current = _live(action.crime)
        changed = InvestigationAction.objects.filter(pk=action.pk, status=ActionStatus.OPEN).update(
            status=ActionStatus.DONE, completed_at=moment, completed_by=acting_user, result=text
        )
        if changed != 1:
            raise Conflict("This action is no longer open; nothing was changed.", field="result")
        duties_discharge_for(
            subject=action, kinds=[INVESTIGATION_ACTION.code], acting_user=acting_user, note=text, at=moment
        )
        _bump(current)
        _audit(acting_user, Action.ALTERATION, "crimes.action_complete", current, {"action": action.pk})
        _changed(current, "action")
    action.refresh_from_db()
    return action


def supervisor_review_record(
    *, acting_user: User, crime: Crime, review: str, directions: str = ""
) -> SupervisorReview:
    """Record a supervisor's review of the investigation and the directions given."""
    check_permission(acting_user, "crimes.review_crime")
    text = _text(review, "review", label="the review", minimum=MIN_NOTE)
    steer = _text(directions, "directions", label="the directions")
    with transaction.atomic():
        current = Crime.objects.select_for_update().get(pk=crime.pk)
        if current.allocated_officer_id == acting_user.pk:
            raise PermissionRefused(
                "A supervisor review is by someone other than the allocated investigator."
            )
        entry = SupervisorReview.objects.create(
            crime=current, reviewer=acting_user, reviewed_at=timezone.now(), review=text, directions=steer
        )
        _bump(current)
        _audit(acting_user, Action.ALTERATION, "crimes.review", current, {"review": entry.pk})
        _changed(current, "review")
    return entry


def victim_contact_record(
    *,
    acting_user: User | None,
    crime: Crime,
    obligation: str,
    note: str,
    consent: str = "",
    next_update_interval_days: int | None = None,
    at: datetime | None = None,
) -> VictimContact:
    """Record that a Victims' Code obligation was met for the crime's victim: discharges its duty.

    A referral to victim services records the victim's answer (consent given, or declined). An
    update opens the next one, at the interval agreed with the victim, until the crime is finalised.
    """
    _require(acting_user, "crimes.record_victim_contact")
    try:
        item = codes.victims_code().get(obligation)
    except UnknownCode as error:
        raise UnknownCode(error.message, field="obligation") from None
    text = _text(note, "note", label="what was done", minimum=MIN_NOTE)
    if item.code == VICTIM_SERVICES_REFERRAL.code and consent not in VictimConsent.values:
        raise ValidationFailed("Say whether the victim consented to the referral.", field="consent")
    if item.code != VICTIM_SERVICES_REFERRAL.code and consent:
        raise ValidationFailed(
            "Consent is recorded only for the referral to victim services.", field="consent"
        )
    if next_update_interval_days is not None and not 1 <= next_update_interval_days <= 365:
        raise ValidationFailed(
            "Agree an update interval of 1 to 365 days.", field="next_update_interval_days"
        )
    moment = _moment(acting_user, at)
    with transaction.atomic():
        current = _live(crime)
        if not CrimeParty.objects.filter(crime=current, role=PartyRole.VICTIM).exists():
            raise ValidationFailed(f"Crime {current.number} has no victim.", field="obligation")
        duty = (
            Duty.objects.select_for_update()
            .filter(
                subject_type=ContentType.objects.get_for_model(Crime),
                subject_id=str(current.pk),
                kind=item.code,
                status=DutyStatus.OPEN,
            )
            .first()
        )
        if duty is None and not item.repeats:
            raise Conflict(f"{item.name} is already done for {current.number}.", field="obligation")
        if next_update_interval_days is not None:
            Crime.objects.filter(pk=current.pk).update(victim_update_interval_days=next_update_interval_days)
            current.victim_update_interval_days = next_update_interval_days
        wording = text if not consent else f"{VictimConsent(consent).label}: {text}"
        contact = VictimContact.objects.create(
            crime=current,
            obligation=item.code,
            at=moment,
            by=acting_user,
            note=wording,
            consent=consent,
            duty=duty,
        )
        duties_discharge_for(
            subject=current, kinds=[item.code], acting_user=acting_user, note=wording, at=moment
        )
        if item.repeats and not current.is_finalised:
            _open_victim_duty(current, item, acting_user, moment, _incidents_of(current))
        _bump(current)
        _audit(
            acting_user,
            Action.ALTERATION,
            "crimes.victim_contact",
            current,
            {"obligation": item.code, "consent": consent or None},
        )
        _changed(current, "victim_contact")
    return contact
