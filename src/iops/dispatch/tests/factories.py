"""Test helpers for dispatch: control-room users, units placed at a point, and an incident to send
them to (in the beat and at the address the incidents factories make)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.utils import timezone

from iops.accounts.models import User
from iops.accounts.services import user_create
from iops.dispatch import services
from iops.dispatch.choices import UnitStatus
from iops.dispatch.models import Unit
from iops.incidents import services as incident_services
from iops.incidents.models import Incident
from iops.incidents.tests.factories import address_in, beat

THRIVE = {
    "threat": "Ex-partner at the door shouting threats",
    "harm": "Risk of assault; caller frightened",
    "risk": "High: history of violence",
    "investigation": "Possible breach of a non-molestation order",
    "vulnerability": "Caller alone with two children",
    "engagement": "Caller engaging, wants police now",
}


def user(username: str, *roles: str, **fields: Any) -> User:
    return user_create(acting_user=None, username=username, password=None, roles=list(roles), **fields)


def unit(
    call_sign: str,
    *,
    unit_type: str = "response",
    skills: Iterable[str] = (),
    crew: Iterable[User] = (),
    at: tuple[float, float] | None = (53.47, -2.25),
    status: str = UnitStatus.AVAILABLE,
) -> Unit:
    latitude, longitude = at if at is not None else (None, None)
    return services.unit_create(
        acting_user=None,
        call_sign=call_sign,
        unit_type=unit_type,
        skills=skills,
        crew=crew,
        status=status,
        latitude=latitude,
        longitude=longitude,
    )


def incident(
    handler: User,
    *,
    category: str = "CR-VIOL",
    qualifiers: Iterable[str] = (),
    grade: str | None = "emergency",
    latitude: float = 53.47,
    longitude: float = -2.25,
    opened_minutes_ago: float = 0,
) -> Incident:
    if not beat_exists():
        address_in(beat())
    opened = timezone.now() - timedelta(minutes=opened_minutes_ago)
    made = incident_services.incident_create(
        acting_user=handler,
        opening_category=category,
        qualifiers=list(qualifiers),
        latitude=latitude,
        longitude=longitude,
        opened_at=opened,
    )
    if grade:
        incident_services.thrive_record(acting_user=handler, incident=made, **THRIVE)
        incident_services.incident_grade(acting_user=handler, incident=made, grade=grade)
    made.refresh_from_db()
    return made


def beat_exists() -> bool:
    from iops.geo.models import Area

    return Area.objects.filter(kind="beat").exists()
