"""Test helpers for incidents: users in control-room roles, a beat and an address in it."""

from __future__ import annotations

from typing import Any

from iops.accounts.choices import TeamKind
from iops.accounts.models import District, Team, User
from iops.accounts.services import user_create
from iops.geo.models import Address, Area

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-2.30, 53.45], [-2.20, 53.45], [-2.20, 53.50], [-2.30, 53.50], [-2.30, 53.45]]],
}


def control_room_user(username: str = "handler", *roles: str) -> User:
    return user_create(
        acting_user=None, username=username, password=None, roles=list(roles or ("call_handler",))
    )


def beat(*, rural: bool = False, code: str = "B1") -> Area:
    district, _ = District.objects.get_or_create(code="D1", defaults={"name": "North district"})
    Team.objects.get_or_create(
        code="D1-RESP", defaults={"name": "North response", "kind": TeamKind.RESPONSE, "district": district}
    )
    return Area.objects.create(
        kind="beat",
        code=code,
        name=f"Beat {code}",
        district=district,
        setting="rural" if rural else "urban",
        geometry=SQUARE,
        min_lon=-2.30,
        min_lat=53.45,
        max_lon=-2.20,
        max_lat=53.50,
    )


def address_in(area: Area, **fields: Any) -> Address:
    values = {
        "uprn": 900000000001,
        "building_number": "12",
        "street": "High Street",
        "town": "Northam",
        "postcode": "NM1 2AB",
        "latitude": 53.47,
        "longitude": -2.25,
        "full_address": "12 High Street, Northam NM1 2AB",
        "beat": area,
    }
    values.update(fields)
    return Address.objects.create(**values)


def searchable_address(area: Area, **fields: Any) -> Address:
    """An address as the gazetteer import would store it, so type-ahead finds it."""
    from iops.geo import addressing

    address = address_in(area, **fields)
    parts = {
        key: getattr(address, key)
        for key in (
            "sub_building",
            "building_name",
            "building_number",
            "street",
            "locality",
            "town",
            "postcode",
        )
    }
    address.search_text = addressing.search_text(**parts)
    address.postcode_key = addressing.postcode_key(address.postcode)
    address.save(update_fields=["search_text", "postcode_key"])
    return address


def aml_message(latitude: float, longitude: float, radius_m: int | None = 25) -> str:
    """A well-formed AML SMS placing the caller at the point, as a handset would send it."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from iops.incidents.aml import AmlLocation, PositioningMethod, format_aml

    return format_aml(
        AmlLocation(
            latitude=Decimal(f"{latitude:.5f}"),
            longitude=Decimal(f"{longitude:.5f}"),
            radius_m=radius_m,
            positioned_at=datetime.now(UTC).replace(microsecond=0),
            confidence_percent=68,
            positioning_method=PositioningMethod.GNSS,
            imsi="234302543446355",
            imei="356708041746734",
            mcc="234",
            mnc="30",
        )
    )


def resident_with_marker(
    address: Address,
    *,
    given: str = "Jordan",
    family: str = "Blakeley",
    marker: str = "violence",
    details: str = "Assaulted a previous partner",
) -> Any:
    """A person living at the address with a warning marker, recorded as an intelligence officer would."""
    from iops.people.services import AddressInput, NameInput, marker_add, nominal_create

    recorder = User.objects.filter(username="recorder").first() or control_room_user(
        "recorder", "intelligence_officer"
    )
    person = nominal_create(
        acting_user=recorder,
        names=[NameInput(given_names=given, family_name=family)],
        addresses=[AddressInput(address_id=address.pk)],
    )
    marker_add(acting_user=recorder, nominal=person, kind=marker, source="PNC check", details=details)
    return person


THRIVE_ANSWERS = {
    "threat": "Ex-partner at the door shouting threats",
    "harm": "Risk of assault; caller frightened",
    "risk": "High: history of violence",
    "investigation": "Possible breach of a non-molestation order",
    "vulnerability": "Caller alone with two children",
    "engagement": "Caller engaging, wants police now",
}
