"""Reads of crimes: the investigator's list, the registrar's audit of undecided crime-related
incidents, and the recording-compliance figure.

The registrar's audit is the safety net of the 24-hour rule: it lists every crime-related incident,
open or closed, that has neither a crime nor a non-crime rationale, whatever happened to its duty
(even if the duty was cancelled or never opened), so missing crimes cannot pile up unseen. It asks
the incidents themselves, not the duties, for that reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Count, Exists, F, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Cast, TruncWeek
from django.utils import timezone

from iops.accounts.models import User
from iops.audit.access import check_permission
from iops.audit.models import AccessGrant
from iops.crimes import codes
from iops.crimes.choices import CrimeState, InvestigationStatus
from iops.crimes.models import Crime, CrimeIncidentLink, InvestigationAction, NonCrimeRationale
from iops.duties.choices import DutyStatus, EscalationLevel
from iops.duties.models import Duty
from iops.incidents.duty_kinds import CRIME_RECORDING_DECISION
from iops.incidents.models import Incident
from iops.people.models import NominalName
from iops.platform.errors import ValidationFailed

RECORDING_WINDOW = timedelta(hours=24)
DEFAULT_WEEKS = 8
AUDIT_PERMISSION = "crimes.view_registrar_audit"


# --- crimes for people -----------------------------------------------------------------------------


def _visible(user: User, queryset: QuerySet[Crime]) -> QuerySet[Crime]:
    """Restricted crimes only for their access list (need-to-know)."""
    granted = AccessGrant.objects.filter(
        record_type="crimes.crime", record_id=Cast(OuterRef("pk"), CharField()), user_id=user.pk
    )
    return queryset.filter(Q(restricted=False) | Exists(granted))


def _related(queryset: QuerySet[Crime]) -> QuerySet[Crime]:
    return queryset.select_related("allocated_officer", "district", "beat")


def crimes_allocated_to(user: User) -> QuerySet[Crime]:
    """Crimes this person investigates and has not finalised, oldest report first."""
    check_permission(user, "crimes.view_crime")
    return _related(
        _visible(
            user,
            Crime.objects.filter(allocated_officer=user, state=CrimeState.RECORDED).exclude(
                investigation_status=InvestigationStatus.FINALISED
            ),
        )
    ).order_by("reported_at", "pk")


@dataclass(frozen=True)
class CrimeFilter:
    state: str = ""
    status: str = ""
    category: str = ""
    allocated: int | None = None
    unallocated: bool = False
    number: str = ""


def crime_list(user: User, filters: CrimeFilter) -> QuerySet[Crime]:
    """Crimes the user may see, newest first, filtered."""
    check_permission(user, "crimes.view_crime")
    queryset = Crime.objects.all()
    if filters.state:
        queryset = queryset.filter(state=filters.state)
    if filters.status:
        queryset = queryset.filter(investigation_status=filters.status)
    if filters.category:
        queryset = queryset.filter(police_uk_category=filters.category)
    if filters.allocated is not None:
        queryset = queryset.filter(allocated_officer_id=filters.allocated)
    if filters.unallocated:
        queryset = queryset.filter(allocated_officer__isnull=True, state=CrimeState.RECORDED)
    if filters.number.strip():
        queryset = queryset.filter(number__icontains=filters.number.strip())
    return _related(_visible(user, queryset)).order_by("-recorded_at", "-pk")


def crimes_for_incident(incident: Incident) -> QuerySet[Crime]:
    return Crime.objects.filter(incident_links__incident=incident).order_by("recorded_at", "pk")


# --- the registrar's audit ---------------------------------------------------------------------------


@dataclass(frozen=True)
class UnresolvedFilter:
    """Filters of the registrar's audit view. ``clock``: overdue, escalated, due (not yet overdue) or
    no_duty (no open decision duty: cancelled, or never opened)."""

    district: int | None = None
    category: str = ""
    incident_status: str = ""
    clock: str = ""
    older_than_hours: int | None = None

    CLOCKS = ("overdue", "escalated", "due", "no_duty")

    def validated(self) -> UnresolvedFilter:
        if self.clock and self.clock not in self.CLOCKS:
            raise ValidationFailed(f"clock must be one of {', '.join(self.CLOCKS)}.", field="clock")
        if self.incident_status and self.incident_status not in ("open", "closed"):
            raise ValidationFailed("incident_status must be open or closed.", field="incident_status")
        if self.older_than_hours is not None and self.older_than_hours < 0:
            raise ValidationFailed("older_than_hours must not be negative.", field="older_than_hours")
        return self


def _decision_duty(field_name: str) -> Subquery:
    """A column of the incident's crime recording decision duty (the open one first)."""
    duties = Duty.objects.filter(
        kind=CRIME_RECORDING_DECISION.code,
        subject_type=ContentType.objects.get_for_model(Incident),
        subject_id=Cast(OuterRef("pk"), CharField()),
    ).order_by(F("status").desc(), "-opened_at")
    # "open" sorts after "discharged"/"cancelled" descending, so the open duty comes first.
    return Subquery(duties.values(field_name)[:1])


def unresolved_incidents(
    filters: UnresolvedFilter | None = None, *, now: datetime | None = None
) -> QuerySet[Incident]:
    """Crime-related incidents with neither a crime nor a non-crime rationale, oldest report first.

    Each row carries its decision duty's id, status, due time and escalation level
    (``decision_duty_id``, ``decision_status``, ``decision_due_at``, ``decision_escalation``).
    """
    moment = now or timezone.now()
    chosen = (filters or UnresolvedFilter()).validated()
    queryset = (
        Incident.objects.filter(crime_related=True)
        .exclude(Exists(CrimeIncidentLink.objects.filter(incident_id=OuterRef("pk"))))
        .exclude(Exists(NonCrimeRationale.objects.filter(incident_id=OuterRef("pk"))))
        .annotate(
            decision_duty_id=_decision_duty("pk"),
            decision_status=_decision_duty("status"),
            decision_due_at=_decision_duty("due_at"),
            decision_escalation=_decision_duty("escalation_level"),
        )
        .select_related("district", "beat")
    )
    if chosen.district is not None:
        queryset = queryset.filter(district_id=chosen.district)
    if chosen.category:
        queryset = queryset.filter(opening_category=chosen.category)
    if chosen.incident_status:
        queryset = queryset.filter(status=chosen.incident_status)
    if chosen.older_than_hours is not None:
        queryset = queryset.filter(opened_at__lte=moment - timedelta(hours=chosen.older_than_hours))
    if chosen.clock == "overdue":
        queryset = queryset.filter(decision_status=DutyStatus.OPEN, decision_due_at__lte=moment)
    elif chosen.clock == "escalated":
        queryset = queryset.filter(
            decision_status=DutyStatus.OPEN, decision_escalation__gt=EscalationLevel.NONE
        )
    elif chosen.clock == "due":
        queryset = queryset.filter(decision_status=DutyStatus.OPEN, decision_due_at__gt=moment)
    elif chosen.clock == "no_duty":
        queryset = queryset.filter(~Q(decision_status=DutyStatus.OPEN) | Q(decision_status__isnull=True))
    return queryset.order_by("opened_at", "pk")


@dataclass(frozen=True)
class UnresolvedSummary:
    count: int
    overdue: int
    escalated: int
    oldest_reported_at: datetime | None
    at: datetime

    @property
    def oldest_age(self) -> timedelta | None:
        return None if self.oldest_reported_at is None else self.at - self.oldest_reported_at


def unresolved_summary(*, now: datetime | None = None) -> UnresolvedSummary:
    """How many crime-related incidents await a decision, how many are overdue or escalated, the oldest."""
    moment = now or timezone.now()
    figures = (
        unresolved_incidents(now=moment)
        .order_by()
        .aggregate(
            count=Count("pk"),
            overdue=Count("pk", filter=Q(decision_status=DutyStatus.OPEN, decision_due_at__lte=moment)),
            escalated=Count(
                "pk", filter=Q(decision_status=DutyStatus.OPEN, decision_escalation__gt=EscalationLevel.NONE)
            ),
            oldest=Min("opened_at"),
        )
    )
    return UnresolvedSummary(
        count=figures["count"],
        overdue=figures["overdue"],
        escalated=figures["escalated"],
        oldest_reported_at=figures["oldest"],
        at=moment,
    )


def age_text(age: timedelta) -> str:
    """An age as a person says it: '3 h', '2 days 4 h'."""
    hours = int(age.total_seconds() // 3600)
    if hours < 1:
        return f"{max(int(age.total_seconds() // 60), 0)} min"
    days, rest = divmod(hours, 24)
    if not days:
        return f"{rest} h"
    return f"{days} day{'s' if days != 1 else ''}" + (f" {rest} h" if rest else "")


# --- recording compliance --------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplianceWeek:
    week_start: date
    crimes: int
    within_24h: int

    @property
    def share(self) -> float | None:
        return None if not self.crimes else self.within_24h / self.crimes


@dataclass(frozen=True)
class ComplianceFigure:
    """Share of crimes recorded within 24 hours of the report, overall and by week of report."""

    since: datetime
    until: datetime
    crimes: int
    within_24h: int
    weeks: list[ComplianceWeek] = field(default_factory=list)

    @property
    def share(self) -> float | None:
        return None if not self.crimes else self.within_24h / self.crimes

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since,
            "until": self.until,
            "crimes": self.crimes,
            "within_24h": self.within_24h,
            "share": self.share,
            "weeks": [
                {
                    "week_start": week.week_start,
                    "crimes": week.crimes,
                    "within_24h": week.within_24h,
                    "share": week.share,
                }
                for week in self.weeks
            ],
        }


def start_of_day(day: date) -> datetime:
    """Local midnight at the start of ``day``."""
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _start_of_week(moment: datetime) -> datetime:
    local = timezone.localtime(moment)
    monday = local.date() - timedelta(days=local.weekday())
    return timezone.make_aware(datetime.combine(monday, datetime.min.time()))


def recording_compliance(
    *, since: datetime | None = None, until: datetime | None = None, now: datetime | None = None
) -> ComplianceFigure:
    """Crimes reported in [since, until) and how many were recorded within 24 hours of the report.

    Every crime counts, whatever became of it later (a transferred or cancelled crime was still
    recorded when it was). Weeks start on Monday, local time. Defaults to the last 8 whole weeks
    and this one.
    """
    moment = now or timezone.now()
    end = until or moment
    start = since or _start_of_week(moment) - timedelta(weeks=DEFAULT_WEEKS)
    if start >= end:
        raise ValidationFailed("The period must start before it ends.", field="since")
    on_time = Q(recorded_at__lte=F("reported_at") + RECORDING_WINDOW)
    crimes = Crime.objects.filter(reported_at__gte=start, reported_at__lt=end)
    totals = crimes.aggregate(crimes=Count("pk"), within=Count("pk", filter=on_time))
    rows = (
        crimes.annotate(week=TruncWeek("reported_at", tzinfo=ZoneInfo(settings.TIME_ZONE)))
        .values("week")
        .annotate(crimes=Count("pk"), within=Count("pk", filter=on_time))
        .order_by("week")
    )
    weeks = [
        ComplianceWeek(
            week_start=timezone.localtime(row["week"]).date(), crimes=row["crimes"], within_24h=row["within"]
        )
        for row in rows
    ]
    return ComplianceFigure(
        since=start, until=end, crimes=totals["crimes"], within_24h=totals["within"], weeks=weeks
    )


# --- one crime, for its page and the API -------------------------------------------------------------


@dataclass(frozen=True)
class PartyView:
    person_id: int
    reference: str
    name: str
    role: str
    role_label: str
    restricted: bool


@dataclass(frozen=True)
class HistoryItem:
    at: datetime
    what: str
    who: str


def crime_parties(crime: Crime) -> list[PartyView]:
    """The people party to a crime, victim first; a restricted person shows by reference only."""
    parties = list(crime.parties.select_related("link__nominal").order_by("role", "id"))
    person_ids = [party.link.nominal_id for party in parties]
    names: dict[int, str] = {}
    for name in NominalName.objects.filter(nominal_id__in=person_ids).order_by("id"):
        names.setdefault(name.nominal_id, name.display)
    order = {"victim": 0, "suspect": 1, "offender": 2, "witness": 3}
    views = [
        PartyView(
            person_id=party.link.nominal_id,
            reference=party.link.nominal.reference,
            name="" if party.link.nominal.restricted else names.get(party.link.nominal_id, ""),
            role=party.role,
            role_label=party.get_role_display(),
            restricted=party.link.nominal.restricted,
        )
        for party in parties
    ]
    return sorted(views, key=lambda view: order.get(view.role, 9))


def crime_duties(crime: Crime) -> QuerySet[Duty]:
    """Every duty about the crime or its investigation actions, open ones first, by due time."""
    crime_type = ContentType.objects.get_for_model(Crime)
    action_type = ContentType.objects.get_for_model(InvestigationAction)
    action_ids = [str(pk) for pk in crime.actions.values_list("pk", flat=True)]
    return (
        (
            Duty.objects.filter(Q(subject_type=crime_type, subject_id=str(crime.pk)))
            | Duty.objects.filter(subject_type=action_type, subject_id__in=action_ids)
        )
        .select_related("owner_user", "owner_team")
        .order_by(F("status").desc(), "due_at")
    )


def _who(user: Any) -> str:
    return str(user) if user is not None else "the system"


def crime_history(crime: Crime) -> list[HistoryItem]:
    """What happened to the crime, oldest first: recording, classification, outcome, reviews, actions,
    victim contacts, transfer or cancellation."""
    items = [
        HistoryItem(
            crime.recorded_at,
            f"Recorded as {crime_offence_label(crime.offence_code)}",
            _who(crime.recorded_by),
        )
    ]
    for change in crime.classification_changes.select_related("changed_by"):
        items.append(
            HistoryItem(
                change.changed_at,
                f"Reclassified from {change.from_code} to {change.to_code} ({change.to_category}): {change.reason}",
                _who(change.changed_by),
            )
        )
    for outcome in crime.outcome_changes.select_related("changed_by"):
        text = f"Outcome {outcome.to_type} ({outcome.to_police_uk})"
        if outcome.from_type is not None:
            text = f"Outcome changed from {outcome.from_type} to {outcome.to_type} ({outcome.to_police_uk})"
        items.append(
            HistoryItem(
                outcome.changed_at,
                text + (f": {outcome.reason}" if outcome.reason else ""),
                _who(outcome.changed_by),
            )
        )
    for review in crime.reviews.select_related("reviewer"):
        items.append(
            HistoryItem(review.reviewed_at, f"Supervisor review: {review.review}", _who(review.reviewer))
        )
    for action in crime.actions.select_related("created_by", "completed_by"):
        items.append(
            HistoryItem(action.created_at, f"Action set: {action.description}", _who(action.created_by))
        )
        if action.completed_at:
            items.append(
                HistoryItem(action.completed_at, f"Action done: {action.result}", _who(action.completed_by))
            )
    for contact in crime.victim_contacts.select_related("by"):
        items.append(
            HistoryItem(
                contact.at,
                f"Victim contact ({contact.obligation.replace('_', ' ')}): {contact.note}",
                _who(contact.by),
            )
        )
    for n100 in crime.n100s.select_related("recorded_by"):
        items.append(
            HistoryItem(
                n100.recorded_at,
                f"N100 {n100.reference}: {n100.get_reason_display()}",
                _who(n100.recorded_by),
            )
        )
    if crime.transferred_at:
        items.append(
            HistoryItem(
                crime.transferred_at,
                f"Transferred to {crime.transferred_to_force}: {crime.cancellation_reason}",
                _who(crime.transferred_by),
            )
        )
    if crime.cancelled_at:
        items.append(
            HistoryItem(
                crime.cancelled_at,
                f"Cancelled ({crime.cancellation_code}): {crime.cancellation_reason}",
                _who(crime.cancelled_by),
            )
        )
    return sorted(items, key=lambda item: item.at)


def crime_offence_label(code: str) -> str:
    if code in codes.offences():
        return f"{code} {codes.offence(code).description}"
    return code
