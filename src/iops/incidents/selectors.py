"""Reads of calls and incidents, restricted to the user's force and permission.

``likely_duplicates`` finds open incidents near in place and time with a category of the same
family, so a call handler can link a further call instead of opening a second incident;
``incidents_near`` finds what happened at or near a location in the last twelve months (the risk
panel); ``open_incidents`` is the filtered list; ``incident_detail`` fetches one incident with its
calls, THRIVE versions, grade history and log in a fixed handful of queries. These return records
holding callers' personal data, so pages and the API reach them through ``incidents.access``,
which writes the s.62 log; selectors themselves log nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from iops.audit.access import check_permission, get_or_not_found
from iops.geo.geometry import degrees_around, haversine_m
from iops.geo.selectors import check_point
from iops.incidents import codes
from iops.incidents.choices import IncidentStatus
from iops.incidents.models import Call, GradeDecision, Incident, IncidentLogEntry, ThriveAssessment
from iops.platform.errors import ValidationFailed

VIEW = "incidents.view_incident"
DUPLICATE_RADIUS_M = 250
DUPLICATE_WINDOW = timedelta(minutes=60)
HISTORY_RADIUS_M = 100
HISTORY_WINDOW = timedelta(days=365)
MAX_RADIUS_M = 2_000
LIST_LIMIT = 200


def _force_id(user: Any) -> int:
    return int(user.force_id)


def _point(latitude: float | None, longitude: float | None) -> tuple[float, float] | None:
    if latitude is None and longitude is None:
        return None
    if latitude is None or longitude is None:
        raise ValidationFailed(
            "Give both latitude and longitude, or neither.", field="lat" if latitude is None else "lon"
        )
    check_point(latitude, longitude)
    return latitude, longitude


def _radius(radius_m: float | None, default: float) -> float:
    radius = default if radius_m is None else float(radius_m)
    if not 0 < radius <= MAX_RADIUS_M:
        raise ValidationFailed(f"The radius must be between 1 and {MAX_RADIUS_M} metres.", field="radius")
    return radius


def _near(
    queryset: QuerySet[Incident], point: tuple[float, float] | None, radius_m: float, address_id: int | None
) -> QuerySet[Incident]:
    """Incidents at the address or inside the square around the point (refined by distance later)."""
    condition = Q()
    if address_id is not None:
        condition |= Q(address_id=address_id)
    if point is not None:
        dlat, dlon = degrees_around(point[0], radius_m)
        condition |= Q(
            latitude__gte=point[0] - dlat,
            latitude__lte=point[0] + dlat,
            longitude__gte=point[1] - dlon,
            longitude__lte=point[1] + dlon,
        )
    return queryset.filter(condition)


def _distance(incident: Incident, point: tuple[float, float] | None) -> float | None:
    if point is None or incident.latitude is None or incident.longitude is None:
        return None
    return haversine_m(point[0], point[1], incident.latitude, incident.longitude)


# --- likely duplicates -------------------------------------------------------------------------


@dataclass(frozen=True)
class DuplicateCandidate:
    """An open incident that may be the same event as the call being taken, and why."""

    incident: Incident
    distance_m: float | None
    same_address: bool
    minutes_apart: float
    score: float

    @property
    def reasons(self) -> list[str]:
        found = []
        if self.same_address:
            found.append("same address")
        elif self.distance_m is not None:
            found.append(f"{round(self.distance_m)} m away")
        found.append(f"opened {round(self.minutes_apart)} min apart")
        found.append(codes.opening_category(self.incident.opening_category).group.label.lower())
        return found


def categories_like(opening_category: str) -> list[str]:
    """The categories of the same family (crime, ASB, public safety, transport, administration)."""
    group = codes.opening_category(opening_category).group
    return [category.code for category in codes.opening_categories() if category.group == group]


def likely_duplicates(
    user: Any,
    *,
    opening_category: str,
    latitude: float | None = None,
    longitude: float | None = None,
    address_id: int | None = None,
    at: datetime | None = None,
    radius_m: float = DUPLICATE_RADIUS_M,
    window: timedelta = DUPLICATE_WINDOW,
    exclude: int | None = None,
    limit: int = 5,
) -> list[DuplicateCandidate]:
    """Open incidents within ``radius_m`` and ``window`` of the call, of the same family of
    category, nearest in place and time first. Nothing without a place to compare."""
    check_permission(user, VIEW)
    point = _point(latitude, longitude)
    radius = _radius(radius_m, DUPLICATE_RADIUS_M)
    if point is None and address_id is None:
        return []
    moment = at or timezone.now()
    candidates = _near(
        Incident.objects.filter(
            force_id=_force_id(user),
            status=IncidentStatus.OPEN,
            opened_at__gte=moment - window,
            opened_at__lte=moment + window,
            opening_category__in=categories_like(opening_category),
        ),
        point,
        radius,
        address_id,
    ).select_related("address")
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude)
    found = []
    for incident in candidates[:200]:
        same_address = address_id is not None and incident.address_id == address_id
        distance = _distance(incident, point)
        if not same_address and (distance is None or distance > radius):
            continue
        minutes = abs((incident.opened_at - moment).total_seconds()) / 60
        place_score = 0.0 if same_address else (distance or 0.0) / radius
        score = place_score + minutes / (window.total_seconds() / 60)
        found.append(DuplicateCandidate(incident, distance, same_address, minutes, score))
    found.sort(key=lambda candidate: (candidate.score, -candidate.incident.pk))
    return found[:limit]


# --- history at a location ---------------------------------------------------------------------


@dataclass(frozen=True)
class NearbyIncident:
    """An incident at or near a location, with how near."""

    incident: Incident
    distance_m: float | None
    same_address: bool


def incidents_near(
    user: Any,
    *,
    latitude: float | None = None,
    longitude: float | None = None,
    address_id: int | None = None,
    radius_m: float = HISTORY_RADIUS_M,
    window: timedelta = HISTORY_WINDOW,
    now: datetime | None = None,
    exclude: int | None = None,
    limit: int = 20,
) -> list[NearbyIncident]:
    """Incidents (open or closed) at the address or within ``radius_m`` of the point, opened in
    the last ``window`` (twelve months), newest first."""
    check_permission(user, VIEW)
    point = _point(latitude, longitude)
    radius = _radius(radius_m, HISTORY_RADIUS_M)
    if point is None and address_id is None:
        return []
    moment = now or timezone.now()
    candidates = _near(
        Incident.objects.filter(
            force_id=_force_id(user), opened_at__gte=moment - window, opened_at__lte=moment
        ),
        point,
        radius,
        address_id,
    ).order_by("-opened_at", "-pk")
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude)
    found = []
    for incident in candidates[:500]:
        same_address = address_id is not None and incident.address_id == address_id
        distance = _distance(incident, point)
        if not same_address and (distance is None or distance > radius):
            continue
        found.append(NearbyIncident(incident, distance, same_address))
        if len(found) >= limit:
            break
    return found


# --- lists and one incident --------------------------------------------------------------------


def _grade_rank() -> Case:
    """Emergency first, then the other grades in the force's order, then ungraded."""
    return Case(
        *[When(grade=grade.code, then=Value(grade.order)) for grade in codes.grades()],
        default=Value(0),
        output_field=IntegerField(),
    )


@dataclass(frozen=True)
class IncidentFilter:
    """The filters of the open-incidents list; empty strings mean "any"."""

    grade: str = ""
    group: str = ""
    qualifier: str = ""
    district: str = ""
    category: str = ""

    def validated(self) -> IncidentFilter:
        if self.grade and self.grade != "ungraded":
            codes.grade(self.grade)
        if self.category:
            codes.opening_category(self.category)
        if self.qualifier:
            codes.qualifier(self.qualifier)
        if self.group and self.group not in {group.value for group in codes.IncidentGroup}:
            raise ValidationFailed(f"Unknown family of categories '{self.group}'.", field="group")
        return self


def open_incidents(user: Any, filters: IncidentFilter | None = None) -> QuerySet[Incident]:
    """Open incidents of the user's force, ungraded and emergency first, then oldest first."""
    check_permission(user, VIEW)
    chosen = (filters or IncidentFilter()).validated()
    incidents = Incident.objects.filter(force_id=_force_id(user), status=IncidentStatus.OPEN)
    if chosen.grade == "ungraded":
        incidents = incidents.filter(grade="")
    elif chosen.grade:
        incidents = incidents.filter(grade=chosen.grade)
    if chosen.group:
        incidents = incidents.filter(
            opening_category__in=[
                category.code for category in codes.opening_categories() if category.group == chosen.group
            ]
        )
    if chosen.category:
        incidents = incidents.filter(opening_category=chosen.category)
    if chosen.qualifier:
        incidents = incidents.filter(qualifiers__contains=[chosen.qualifier])
    if chosen.district:
        incidents = incidents.filter(district__code=chosen.district)
    return (
        incidents.select_related("beat", "district", "address")
        .annotate(grade_rank=_grade_rank())
        .order_by("grade_rank", "opened_at", "pk")
    )


def incident_detail_queryset() -> QuerySet[Incident]:
    """Incidents with everything their page shows, fetched in a fixed number of queries."""
    return Incident.objects.select_related(
        "opened_by", "closed_by", "address", "beat", "district", "duplicate_of", "eido_import"
    ).prefetch_related(
        Prefetch(
            "calls",
            queryset=Call.objects.select_related("handler", "address").order_by("connected_at", "pk"),
        ),
        Prefetch(
            "thrive_assessments",
            queryset=ThriveAssessment.objects.select_related("assessed_by").order_by("-version"),
        ),
        Prefetch(
            "grade_decisions",
            queryset=GradeDecision.objects.select_related("decided_by").order_by("-version"),
        ),
        Prefetch("log", queryset=IncidentLogEntry.objects.select_related("author").order_by("at", "pk")),
    )


def incident_for(user: Any, pk: Any) -> Incident:
    """One incident of the user's force, for a writer (no personal data shown); or NotFound."""
    check_permission(user, VIEW)
    return get_or_not_found(Incident.objects.filter(force_id=_force_id(user)), pk, label="incident")


def call_for(user: Any, pk: Any) -> Call:
    """One call of the user's force, for a writer; or NotFound."""
    check_permission(user, "incidents.view_call")
    return get_or_not_found(Call.objects.filter(force_id=_force_id(user)), pk, label="call")


def calls_taken_today(user: Any, *, now: datetime | None = None) -> QuerySet[Call]:
    """The calls this user answered since midnight (local time), newest first."""
    moment = timezone.localtime(now or timezone.now())
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return (
        Call.objects.filter(handler_id=user.pk, connected_at__gte=midnight)
        .select_related("incident")
        .order_by("-connected_at", "-pk")
    )
