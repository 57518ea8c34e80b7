"""Geography API (mounted at /api/v1/geo): address type-ahead, one address, map layers, areas at a point.

Any signed-in user or token may call these: the gazetteer and boundaries are reference data, and
every screen that takes a location needs them. Bad input is a 422 naming the field; an unknown
address a 404, both as ``{"code", "message", "field"}``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from iops.geo import selectors
from iops.geo.choices import AreaKind
from iops.geo.models import Address, Area

router = Router(tags=["geo"])


class AreaRef(Schema):
    id: int
    kind: str
    code: str
    name: str


class DistrictRef(Schema):
    code: str
    name: str


class AddressOut(Schema):
    id: int
    uprn: int
    full_address: str
    sub_building: str
    building_name: str
    building_number: str
    street: str
    locality: str
    town: str
    postcode: str
    classification: str
    latitude: float
    longitude: float
    beat: AreaRef | None
    lsoa: AreaRef | None
    district: DistrictRef | None


class AreaOut(Schema):
    id: int
    kind: str
    code: str
    name: str
    setting: str
    parent_code: str | None
    district_code: str | None


def _area_ref(area: Area | None) -> AreaRef | None:
    if area is None:
        return None
    return AreaRef(id=area.pk, kind=area.kind, code=area.code, name=area.name)


def address_out(address: Address) -> AddressOut:
    district = address.beat.district if address.beat else None
    return AddressOut(
        id=address.pk,
        uprn=address.uprn,
        full_address=address.full_address,
        sub_building=address.sub_building,
        building_name=address.building_name,
        building_number=address.building_number,
        street=address.street,
        locality=address.locality,
        town=address.town,
        postcode=address.postcode,
        classification=address.classification,
        latitude=address.latitude,
        longitude=address.longitude,
        beat=_area_ref(address.beat),
        lsoa=_area_ref(address.lsoa),
        district=DistrictRef(code=district.code, name=district.name) if district else None,
    )


def area_out(area: Area) -> AreaOut:
    return AreaOut(
        id=area.pk,
        kind=area.kind,
        code=area.code,
        name=area.name,
        setting=area.setting,
        parent_code=area.parent.code if area.parent else None,
        district_code=area.district.code if area.district else None,
    )


class AddressQuery(Schema):
    q: str = Field(..., min_length=1, max_length=200, description="What has been typed so far")
    limit: int = Field(selectors.DEFAULT_LIMIT, ge=1, le=selectors.MAX_LIMIT)


class PointQuery(Schema):
    lat: float = Field(..., ge=-90, le=90, description="WGS84 latitude")
    lon: float = Field(..., ge=-180, le=180, description="WGS84 longitude")
    kind: AreaKind | None = Field(None, description="Only this kind of area")


class AreasQuery(Schema):
    kind: AreaKind = Field(AreaKind.BEAT)


def _force_id(request: HttpRequest) -> int | None:
    return getattr(request.user, "force_id", None)


@router.get("/addresses", response=list[AddressOut], summary="Address type-ahead")
def address_search(request: HttpRequest, filters: Query[AddressQuery]) -> list[AddressOut]:
    """Addresses matching what has been typed: words in any case, with or without punctuation,
    "st" or "street", a flat number before the house number, or a postcode with or without space."""
    found = selectors.address_search(filters.q, filters.limit, force_id=_force_id(request))
    return [address_out(address) for address in found]


class NearQuery(Schema):
    lat: float = Field(..., ge=-90, le=90, description="WGS84 latitude")
    lon: float = Field(..., ge=-180, le=180, description="WGS84 longitude")
    radius: float = Field(100, gt=0, le=selectors.MAX_RADIUS_M, description="Metres")
    limit: int = Field(selectors.DEFAULT_LIMIT, ge=1, le=selectors.MAX_LIMIT)


class NearbyAddressOut(Schema):
    distance_m: float
    address: AddressOut


@router.get("/addresses/near", response=list[NearbyAddressOut], summary="Addresses near a point")
def addresses_near(request: HttpRequest, filters: Query[NearQuery]) -> list[NearbyAddressOut]:
    """Addresses within ``radius`` metres, nearest first: for a caller's handset position (AML),
    which is a point with an uncertainty, not an address."""
    found = selectors.addresses_near(
        filters.lat, filters.lon, filters.radius, limit=filters.limit, force_id=_force_id(request)
    )
    return [
        NearbyAddressOut(distance_m=round(distance, 1), address=address_out(address))
        for address, distance in found
    ]


@router.get("/addresses/{address_id}", response=AddressOut, summary="One address")
def address_detail(request: HttpRequest, address_id: int) -> AddressOut:
    return address_out(selectors.address_get(address_id, force_id=_force_id(request)))


@router.get("/areas", summary="Areas of one kind as a GeoJSON FeatureCollection")
def areas(request: HttpRequest, filters: Query[AreasQuery]) -> dict[str, Any]:
    return selectors.areas_feature_collection(filters.kind, force_id=_force_id(request))


@router.get("/areas/at", response=list[AreaOut], summary="The areas holding a point")
def areas_at(request: HttpRequest, filters: Query[PointQuery]) -> list[AreaOut]:
    """Every kind of area holding the point (district, neighbourhood, beat, statistical area), or
    just the one kind asked for. An empty list means the point is outside the force's areas."""
    force_id = _force_id(request)
    if filters.kind is not None:
        area = selectors.area_at(filters.lat, filters.lon, filters.kind, force_id=force_id)
        return [area_out(area)] if area else []
    return [area_out(area) for area in selectors.areas_at(filters.lat, filters.lon, force_id=force_id)]
