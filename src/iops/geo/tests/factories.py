"""Factories and small synthetic geographies for geo tests. Every place and address is invented."""

from __future__ import annotations

from typing import Any

import factory

from iops.geo import addressing
from iops.geo.choices import AreaKind
from iops.geo.geometry import bbox_of, validate_geometry
from iops.geo.models import Address, Area

# A patch of lowland England for test areas; nothing here is a real boundary.
LON0, LAT0 = -0.90, 52.60


def box(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> dict[str, Any]:
    ring = [
        [min_lon, min_lat],
        [max_lon, min_lat],
        [max_lon, max_lat],
        [min_lon, max_lat],
        [min_lon, min_lat],
    ]
    return validate_geometry({"type": "Polygon", "coordinates": [ring]})


def feature(code: str, geometry: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": {"code": code, **properties}, "geometry": geometry}


def collection(*features: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features), **extra}


def two_districts() -> dict[str, dict[str, Any]]:
    """Boundary files for two districts side by side (0.1 degree squares), each one neighbourhood
    of two beats; and four statistical areas in a grid offset from them."""
    west = box(LON0, LAT0, LON0 + 0.1, LAT0 + 0.1)
    east = box(LON0 + 0.1, LAT0, LON0 + 0.2, LAT0 + 0.1)
    districts = collection(
        feature("W", west, name="Westmere"),
        feature("E", east, name="Eastholt"),
    )
    neighbourhoods = collection(
        feature("WN1", west, name="Westmere Central", district="W"),
        feature("EN1", east, name="Eastholt Central", district="E"),
    )
    beats = collection(
        feature("WN1A", box(LON0, LAT0, LON0 + 0.1, LAT0 + 0.05), name="Westmere south", nbhd="WN1"),
        feature("WN1B", box(LON0, LAT0 + 0.05, LON0 + 0.1, LAT0 + 0.1), name="Westmere north", nbhd="WN1"),
        feature("EN1A", box(LON0 + 0.1, LAT0, LON0 + 0.2, LAT0 + 0.05), name="Eastholt south", nbhd="EN1"),
        feature(
            "EN1B",
            box(LON0 + 0.1, LAT0 + 0.05, LON0 + 0.2, LAT0 + 0.1),
            name="Eastholt north",
            nbhd="EN1",
            setting="rural",
        ),
    )
    lsoas = collection(
        *(
            feature(
                f"X0100000{n}",
                box(
                    LON0 + 0.1 * (n % 2),
                    LAT0 + 0.05 * (n // 2),
                    LON0 + 0.1 * (n % 2) + 0.1,
                    LAT0 + 0.05 * (n // 2) + 0.05,
                ),
                name=f"Westmere 00{n}A",
            )
            for n in range(4)
        )
    )
    return {"district": districts, "neighbourhood": neighbourhoods, "beat": beats, "lsoa": lsoas}


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area

    kind = AreaKind.BEAT
    code = factory.Sequence(lambda n: f"B{n:03d}")
    name = factory.LazyAttribute(lambda area: f"Beat {area.code}")
    geometry = factory.LazyFunction(lambda: box(LON0, LAT0, LON0 + 0.1, LAT0 + 0.1))
    min_lon = factory.LazyAttribute(lambda area: bbox_of(area.geometry).min_lon)
    min_lat = factory.LazyAttribute(lambda area: bbox_of(area.geometry).min_lat)
    max_lon = factory.LazyAttribute(lambda area: bbox_of(area.geometry).max_lon)
    max_lat = factory.LazyAttribute(lambda area: bbox_of(area.geometry).max_lat)


def _parts(address: Any) -> dict[str, str]:
    return {
        "sub_building": address.sub_building,
        "building_name": address.building_name,
        "building_number": address.building_number,
        "street": address.street,
        "locality": address.locality,
        "town": address.town,
        "postcode": address.postcode,
    }


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    uprn = factory.Sequence(lambda n: 900_000_100_000 + n)
    sub_building = ""
    building_name = ""
    building_number = factory.Sequence(lambda n: str(n % 80 + 1))
    street = "Tannery Lane"
    locality = ""
    town = "Westmere"
    postcode = "DM1 4AB"
    classification = "RD04"
    latitude = LAT0 + 0.02
    longitude = LON0 + 0.02
    full_address = factory.LazyAttribute(lambda address: addressing.full_address(**_parts(address)))
    search_text = factory.LazyAttribute(lambda address: addressing.search_text(**_parts(address)))
    postcode_key = factory.LazyAttribute(lambda address: addressing.postcode_key(address.postcode))
