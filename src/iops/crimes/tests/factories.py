"""Test helpers for crimes: people in each role, a beat with an address, crime-related incidents
made by the incidents services, and people in the person index."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from iops.accounts.choices import Rank, TeamKind
from iops.accounts.models import District, Team, User
from iops.accounts.services import user_create
from iops.geo.models import Address, Area
from iops.incidents import services as incident_services
from iops.incidents.models import Incident
from iops.people.models import Nominal
from iops.people.services import NameInput, nominal_create

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-2.30, 53.45], [-2.20, 53.45], [-2.20, 53.50], [-2.30, 53.50], [-2.30, 53.45]]],
}


def district() -> District:
    found, _ = District.objects.get_or_create(code="D1", defaults={"name": "North district"})
    return found


def team(kind: str = TeamKind.RESPONSE, code: str = "D1-RESP", supervisor: User | None = None) -> Team:
    found, _ = Team.objects.get_or_create(
        code=code, defaults={"name": f"North {kind}", "kind": kind, "district": district()}
    )
    if supervisor is not None:
        Team.objects.filter(pk=found.pk).update(supervisor=supervisor)
        found.refresh_from_db()
    return found


def person_user(username: str, *roles: str, team: Team | None = None, **fields: Any) -> User:
    return user_create(
        acting_user=None,
        username=username,
        password=None,
        roles=list(roles),
        team=team,
        rank=fields.pop("rank", Rank.POLICE_STAFF),
        **fields,
    )


def beat_with_address() -> Address:
    area, _ = Area.objects.get_or_create(
        kind="beat",
        code="B1",
        defaults={
            "name": "Beat B1",
            "district": district(),
            "geometry": SQUARE,
            "min_lon": -2.30,
            "min_lat": 53.45,
            "max_lon": -2.20,
            "max_lat": 53.50,
        },
    )
    lsoa, _ = Area.objects.get_or_create(
        kind="lsoa",
        code="E01000001",
        defaults={
            "name": "Northam 001A",
            "geometry": SQUARE,
            "min_lon": -2.30,
            "min_lat": 53.45,
            "max_lon": -2.20,
            "max_lat": 53.50,
        },
    )
    address, _ = Address.objects.get_or_create(
        uprn=900000000001,
        defaults={
            "building_number": "12",
            "street": "High Street",
            "town": "Northam",
            "postcode": "NM1 2AB",
            "latitude": 53.47,
            "longitude": -2.25,
            "full_address": "12 High Street, Northam NM1 2AB",
            "beat": area,
            "lsoa": lsoa,
        },
    )
    return address


def crime_incident(
    handler: User,
    *,
    opened_at: datetime | None = None,
    category: str = "CR-BURG-RES",
    qualifiers: tuple[str, ...] = (),
    summary: str = "Back door forced, laptop taken",
) -> Incident:
    return incident_services.incident_create(
        acting_user=handler,
        opening_category=category,
        qualifiers=list(qualifiers),
        summary=summary,
        address=beat_with_address(),
        opened_at=opened_at,
    )


def person(given: str = "Alex", family: str = "Morgan") -> Nominal:
    return nominal_create(acting_user=None, names=[NameInput(given_names=given, family_name=family)])
