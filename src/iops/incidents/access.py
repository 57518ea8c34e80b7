"""Logged reads of calls and incidents, and the risk at a location while a call is taken.

An incident holds callers' names, numbers and words, so every read that shows them passes here:
``access_incident`` (one incident, with its calls, THRIVE, grades and log) writes a consultation
with its purpose; ``access_incident_list`` and ``access_incident_history`` write one entry per
list with the ids shown. ``location_risk`` is what the call-taking screen shows as soon as a
location is known (people linked to the address and their warning markers, incidents there in
the last twelve months, people named in the call), each part read through the people and
incidents access helpers under the purpose ``RISK_PURPOSE``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from iops.audit.access import access_record, check_permission, get_or_not_found
from iops.audit.choices import Action
from iops.audit.services import audit_record, clean_purpose
from iops.geo.models import Address
from iops.geo.selectors import addresses_near
from iops.incidents import selectors
from iops.incidents.models import Incident
from iops.incidents.selectors import NearbyIncident
from iops.people.selectors import AddressSummary, SearchOutcome, nominal_search, people_at_address
from iops.platform.errors import DomainError, PermissionRefused

VIEW = "incidents.view_incident"
RISK_PURPOSE = "Call taking: risk at location"
# An AML radius is often tens of metres; a gazetteer point sits at the building's centre. Look a
# little wider than a tight fix, never so wide that a street's worth of people is shown.
MIN_ADDRESS_RADIUS_M = 30
MAX_ADDRESS_RADIUS_M = 150
ADDRESSES_FOR_A_POINT = 3


def access_incident(user: Any, pk: Any, *, purpose: str | None) -> Incident:
    """One incident with its calls, THRIVE versions, grade history and log, the read logged."""
    check_permission(user, VIEW)
    incident = get_or_not_found(
        selectors.incident_detail_queryset().filter(force_id=user.force_id), pk, label="incident"
    )
    return access_record(user, incident, purpose=purpose, permission=VIEW, operation="incidents.view")


def _log_list(user: Any, operation: str, purpose: str, ids: list[int], detail: dict[str, Any]) -> None:
    with transaction.atomic():
        audit_record(
            actor=user,
            action=Action.CONSULTATION,
            operation=operation,
            record_type="incidents.incident",
            purpose=purpose,
            detail={**detail, "ids": ids},
        )


def access_incident_list(
    user: Any, filters: selectors.IncidentFilter, *, purpose: str | None, limit: int = selectors.LIST_LIMIT
) -> list[Incident]:
    """A page of open incidents (summaries can name people), logged once with the ids shown."""
    check_permission(user, VIEW)
    purpose_text = clean_purpose(purpose)
    incidents = list(selectors.open_incidents(user, filters)[:limit])
    _log_list(
        user,
        "incidents.list",
        purpose_text,
        [incident.pk for incident in incidents],
        {"filters": {key: value for key, value in vars(filters).items() if value}},
    )
    return incidents


def access_incident_history(
    user: Any,
    *,
    purpose: str | None,
    latitude: float | None = None,
    longitude: float | None = None,
    address_id: int | None = None,
    radius_m: float = selectors.HISTORY_RADIUS_M,
    exclude: int | None = None,
) -> list[NearbyIncident]:
    """Incidents at or near a place in the last twelve months, logged once with the ids shown."""
    check_permission(user, VIEW)
    purpose_text = clean_purpose(purpose)
    found = selectors.incidents_near(
        user,
        latitude=latitude,
        longitude=longitude,
        address_id=address_id,
        radius_m=radius_m,
        exclude=exclude,
    )
    _log_list(
        user,
        "incidents.history_at_location",
        purpose_text,
        [item.incident.pk for item in found],
        {"address_id": address_id, "latitude": latitude, "longitude": longitude, "radius_m": radius_m},
    )
    return found


# --- risk at a location ------------------------------------------------------------------------


@dataclass
class NamedPersonCheck:
    """A name the caller gave, and who in the nominal index it may be."""

    name: str
    outcome: SearchOutcome | None = None
    problem: str = ""


@dataclass
class LocationRisk:
    """The risk panel: who is linked to the place, what happened there, who the caller named."""

    addresses: list[AddressSummary] = field(default_factory=list)
    history: list[NearbyIncident] = field(default_factory=list)
    named: list[NamedPersonCheck] = field(default_factory=list)
    people_refused: str = ""
    history_refused: str = ""
    located: bool = False

    @property
    def marker_count(self) -> int:
        return sum(len(person.markers) for summary in self.addresses for person in summary.people)


def _addresses_for(
    user: Any, address_id: int | None, latitude: float | None, longitude: float | None, radius_m: int | None
) -> list[Address]:
    if address_id is not None:
        return [get_or_not_found(Address.objects.filter(force_id=user.force_id), address_id, label="address")]
    if latitude is None or longitude is None:
        return []
    reach = min(max(radius_m or 0, MIN_ADDRESS_RADIUS_M), MAX_ADDRESS_RADIUS_M)
    near = addresses_near(latitude, longitude, reach, limit=ADDRESSES_FOR_A_POINT, force_id=user.force_id)
    return [address for address, _ in near]


def location_risk(
    user: Any,
    *,
    purpose: str | None = RISK_PURPOSE,
    address_id: int | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    radius_m: int | None = None,
    names: list[str] | tuple[str, ...] = (),
    exclude_incident: int | None = None,
) -> LocationRisk:
    """Everything the call handler should see about a place and the people named, each read
    logged with ``purpose``. A part the user's role may not read says so instead of failing."""
    purpose_text = clean_purpose(purpose)
    risk = LocationRisk()
    addresses = _addresses_for(user, address_id, latitude, longitude, radius_m)
    risk.located = bool(addresses) or (latitude is not None and longitude is not None)
    try:
        for address in addresses:
            risk.addresses.append(people_at_address(user=user, address_id=address.pk, purpose=purpose_text))
    except PermissionRefused as refusal:
        risk.people_refused = refusal.message
    if risk.located:
        # At the address, or near the point (the caller's, else the address's own).
        point_lat = latitude if latitude is not None else (addresses[0].latitude if addresses else None)
        point_lon = longitude if longitude is not None else (addresses[0].longitude if addresses else None)
        try:
            risk.history = access_incident_history(
                user,
                purpose=purpose_text,
                latitude=point_lat,
                longitude=point_lon,
                address_id=addresses[0].pk if addresses else None,
                exclude=exclude_incident,
            )
        except PermissionRefused as refusal:
            risk.history_refused = refusal.message
    for name in dict.fromkeys(" ".join(name.split()) for name in names if name.strip()):
        check = NamedPersonCheck(name=name)
        try:
            check.outcome = nominal_search(user=user, purpose=purpose_text, name=name, limit=5)
        except DomainError as error:
            # One unsearchable name (digits only, too long) must not hide the rest of the panel.
            check.problem = error.message
        risk.named.append(check)
    return risk
