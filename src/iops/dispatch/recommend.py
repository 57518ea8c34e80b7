"""Which unit to send: the skills an incident needs, and each available unit's estimated time to arrive.

The estimate is deliberately simple and stated here so a dispatcher can judge it:

* distance: the great-circle (haversine) distance from the unit's last reported position to the
  incident, times a road factor of 1.35, because roads rarely run straight (studies of road
  network circuity in Britain put the ratio of road to straight-line distance at about 1.2 to 1.4);
* speed: an average over the whole journey for the kind of unit, on blue lights where that kind of
  unit responds on them (response 48 km/h, roads 60, armed response 55, dog 48, public order 45;
  neighbourhood 30 and CID 30, which usually do not);
* plus a time to get moving (45 s for a crewed vehicle, longer for units that are not sat in one).

A unit whose position is more than 30 minutes old is still listed, flagged, after the units whose
position is current (its estimate may be far out); units with no position at all come last. Units that lack a skill the incident needs are left out unless the
dispatcher asks for every available unit. No routing engine is assumed; a force with one can swap
``estimate`` for a call to it without changing anything else.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from iops.dispatch.choices import Skill, UnitStatus, UnitType
from iops.geo.geometry import haversine_m

ROAD_FACTOR = 1.35
SPEED_KMH: dict[str, float] = {
    UnitType.RESPONSE: 48.0,
    UnitType.ROADS: 60.0,
    UnitType.ARMED_RESPONSE: 55.0,
    UnitType.DOG: 48.0,
    UnitType.PUBLIC_ORDER: 45.0,
    UnitType.NEIGHBOURHOOD: 30.0,
    UnitType.CID: 30.0,
}
DEFAULT_SPEED_KMH = 40.0
MOBILISE_SECONDS: dict[str, int] = {UnitType.NEIGHBOURHOOD: 90, UnitType.CID: 120}
DEFAULT_MOBILISE_SECONDS = 45
STALE_POSITION = timedelta(minutes=30)
DEFAULT_LIMIT = 5

# What an incident's qualifiers and category say it needs. Kept short on purpose: a rule here hides
# every unit without the skill, so only needs that would endanger a crew sent without it are listed.
NEEDS_BY_QUALIFIER: dict[str, tuple[str, ...]] = {
    "FIREARMS": (Skill.FIREARMS,),
    "KNIFE": (Skill.TASER,),
}
NEEDS_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    "CR-WEAP": (Skill.TASER,),
    "TRN-RTC-SERIOUS": (Skill.COLLISION,),
}


class UnitLike(Protocol):
    pk: int
    call_sign: str
    unit_type: str
    skills: list[str]
    status: str
    latitude: float | None
    longitude: float | None
    position_at: datetime | None


def needed_skills(opening_category: str, qualifiers: Iterable[str]) -> tuple[str, ...]:
    """The skills an incident needs, from its qualifiers and category, in a stable order."""
    needs: dict[str, None] = {}
    for qualifier in qualifiers:
        needs.update(dict.fromkeys(NEEDS_BY_QUALIFIER.get(qualifier, ())))
    needs.update(dict.fromkeys(NEEDS_BY_CATEGORY.get(opening_category, ())))
    return tuple(needs)


@dataclass(frozen=True)
class Estimate:
    distance_m: float
    eta_seconds: int


def estimate(unit_type: str, from_lat: float, from_lon: float, to_lat: float, to_lon: float) -> Estimate:
    """Road distance and time to arrive for a unit of ``unit_type`` (see the module's model)."""
    straight = haversine_m(from_lat, from_lon, to_lat, to_lon)
    road = straight * ROAD_FACTOR
    speed = SPEED_KMH.get(unit_type, DEFAULT_SPEED_KMH) * 1000 / 3600
    mobilise = MOBILISE_SECONDS.get(unit_type, DEFAULT_MOBILISE_SECONDS)
    return Estimate(distance_m=road, eta_seconds=round(mobilise + road / speed))


@dataclass(frozen=True)
class Recommendation:
    """An available unit for an incident, with how far it is and how soon it could be there."""

    unit: UnitLike
    distance_m: float | None
    eta_seconds: int | None
    position_stale: bool

    @property
    def eta_minutes(self) -> int | None:
        return None if self.eta_seconds is None else max(1, round(self.eta_seconds / 60))

    @property
    def distance_km(self) -> float | None:
        return None if self.distance_m is None else round(self.distance_m / 1000, 1)


def rank(
    units: Iterable[UnitLike],
    *,
    latitude: float | None,
    longitude: float | None,
    skills: Sequence[str] = (),
    now: datetime,
    limit: int | None = DEFAULT_LIMIT,
) -> list[Recommendation]:
    """Available units holding every skill in ``skills``, soonest to arrive first.

    With no point for the incident, units are listed by call sign without estimates.
    """
    needed = set(skills)
    placed: list[Recommendation] = []
    unplaced: list[Recommendation] = []
    for unit in units:
        if unit.status != UnitStatus.AVAILABLE or not needed <= set(unit.skills):
            continue
        if latitude is None or longitude is None or unit.latitude is None or unit.longitude is None:
            unplaced.append(Recommendation(unit, None, None, False))
            continue
        found = estimate(unit.unit_type, unit.latitude, unit.longitude, latitude, longitude)
        stale = unit.position_at is None or now - unit.position_at > STALE_POSITION
        placed.append(Recommendation(unit, found.distance_m, found.eta_seconds, stale))
    placed.sort(key=lambda r: (r.position_stale, r.eta_seconds or 0, r.unit.call_sign))
    unplaced.sort(key=lambda r: r.unit.call_sign)
    ranked = placed + unplaced
    return ranked if limit is None else ranked[:limit]
