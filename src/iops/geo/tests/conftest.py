"""Fixtures for geo tests: a loaded two-district geography and a gazetteer of invented addresses."""

from __future__ import annotations

import io
from typing import Any

import pytest

from iops.geo.services import boundaries_import, gazetteer_import
from iops.geo.tests.factories import LAT0, LON0, two_districts

GAZETTEER = f"""UPRN,SAO_TEXT,PAO_TEXT,PAO_START_NUMBER,STREET_DESCRIPTION,LOCALITY,TOWN_NAME,POSTCODE_LOCATOR,CLASS,LATITUDE,LONGITUDE
900000000001,,,12,HIGH STREET,,WESTMERE,DM1 2AB,RD04,{LAT0 + 0.01},{LON0 + 0.01}
900000000002,FLAT 3,,12,HIGH STREET,,WESTMERE,DM1 2AB,RD06,{LAT0 + 0.01},{LON0 + 0.01}
900000000003,,,120,HIGH STREET,,WESTMERE,DM1 2AD,RD04,{LAT0 + 0.011},{LON0 + 0.012}
900000000004,,ROSE COURT,2,ST MARY'S ROAD,,WESTMERE,DM1 3EF,RD06,{LAT0 + 0.07},{LON0 + 0.05}
900000000005,,MILL FARM,,FEN LANE,UPPER SALLOWBY,EASTHOLT,DM2 5HY,RD02,{LAT0 + 0.08},{LON0 + 0.15}
900000000006,,,7,MARKET PLACE,,EASTHOLT,DM2 1AA,CR08,{LAT0 + 0.02},{LON0 + 0.15}
"""


def load_geography() -> None:
    files = two_districts()
    boundaries_import(acting_user=None, collection=files["district"], kind="district", source="test")
    boundaries_import(
        acting_user=None, collection=files["neighbourhood"], kind="neighbourhood", parent_property="district"
    )
    boundaries_import(acting_user=None, collection=files["beat"], kind="beat", parent_property="nbhd")
    boundaries_import(acting_user=None, collection=files["lsoa"], kind="lsoa")


@pytest.fixture
def geography(db: Any) -> None:
    load_geography()


@pytest.fixture
def gazetteer(geography: None) -> None:
    gazetteer_import(acting_user=None, lines=io.StringIO(GAZETTEER), source="test.csv")
