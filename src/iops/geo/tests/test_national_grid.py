"""National Grid conversion against the Ordnance Survey's published worked examples ("A guide to
coordinate systems in Great Britain", annexes B and C, and its Helmert example), and round trips."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from iops.geo.national_grid import (
    AIRY_1830,
    GRS80,
    WGS84_TO_OSGB36,
    bng_to_wgs84,
    from_cartesian,
    grid_to_osgb36,
    helmert,
    osgb36_to_grid,
    to_cartesian,
    wgs84_to_bng,
)

ARCSEC = 1 / 3600


def dms(degrees: int, minutes: int, seconds: float) -> float:
    sign = -1 if degrees < 0 else 1
    return sign * (abs(degrees) + minutes / 60 + seconds / 3600)


# Annex C: E 651409.903, N 313177.270 is 52°39'27.2531"N, 1°43'4.5177"E on OSGB36.
EXAMPLE_E, EXAMPLE_N = 651_409.903, 313_177.270
EXAMPLE_LAT, EXAMPLE_LON = dms(52, 39, 27.2531), dms(1, 43, 4.5177)
# Annex B and the Helmert example: one point in ETRS89 (GRS80) and in OSGB36.
ETRS_LAT, ETRS_LON, ETRS_H = dms(53, 36, 43.1653), -dms(1, 39, 51.9920), 299.800
ETRS_XYZ = (3_790_644.900, -110_149.210, 5_111_482.970)
OSGB_XYZ = (3_790_269.549, -110_038.064, 5_111_050.261)
OSGB_LAT, OSGB_LON, OSGB_H = dms(53, 36, 42.2972), -dms(1, 39, 46.5416), 249.950


def test_inverse_projection_matches_the_worked_example() -> None:
    latitude, longitude = grid_to_osgb36(EXAMPLE_E, EXAMPLE_N)
    assert abs(latitude - EXAMPLE_LAT) < 0.0001 * ARCSEC
    assert abs(longitude - EXAMPLE_LON) < 0.0001 * ARCSEC


def test_projection_matches_the_worked_example() -> None:
    easting, northing = osgb36_to_grid(EXAMPLE_LAT, EXAMPLE_LON)
    assert abs(easting - EXAMPLE_E) < 0.001
    assert abs(northing - EXAMPLE_N) < 0.001


def test_cartesian_conversion_matches_the_worked_example() -> None:
    x, y, z = to_cartesian(ETRS_LAT, ETRS_LON, ETRS_H, GRS80)
    for got, want in zip((x, y, z), ETRS_XYZ, strict=True):
        assert abs(got - want) < 0.001
    latitude, longitude, height = from_cartesian(*OSGB_XYZ, AIRY_1830)
    assert abs(latitude - OSGB_LAT) < 0.0001 * ARCSEC
    assert abs(longitude - OSGB_LON) < 0.0001 * ARCSEC
    assert abs(height - OSGB_H) < 0.001


def test_helmert_matches_the_worked_example() -> None:
    for got, want in zip(helmert(*ETRS_XYZ, WGS84_TO_OSGB36), OSGB_XYZ, strict=True):
        assert abs(got - want) < 0.001


def test_grid_reference_converts_to_the_wgs84_position_of_the_worked_example() -> None:
    """The whole chain on the OS example point: its OSGB36 position, projected to the grid, comes
    back as its published ETRS89 (WGS84) position to within a centimetre."""
    easting, northing = osgb36_to_grid(OSGB_LAT, OSGB_LON)
    latitude, longitude = bng_to_wgs84(easting, northing)
    assert abs(latitude - ETRS_LAT) < 0.001 * ARCSEC
    assert abs(longitude - ETRS_LON) < 0.001 * ARCSEC


def test_datum_shift_matches_a_published_example() -> None:
    # Movable Type's geodesy notes: WGS84 53°N 1°E is 52°59'58.72"N 1°00'06.49"E on OSGB36.
    latitude, longitude = grid_to_osgb36(*wgs84_to_bng(53.0, 1.0))
    assert abs(latitude - dms(52, 59, 58.72)) < 0.01 * ARCSEC
    assert abs(longitude - dms(1, 0, 6.49)) < 0.01 * ARCSEC


@given(st.floats(50.0, 58.5), st.floats(-5.5, 1.7))
def test_round_trip_through_the_grid_is_exact_to_a_millimetre(latitude: float, longitude: float) -> None:
    easting, northing = wgs84_to_bng(latitude, longitude)
    back_latitude, back_longitude = bng_to_wgs84(easting, northing)
    assert abs(back_latitude - latitude) * 111_000 < 0.005
    assert abs(back_longitude - longitude) * 111_000 * math.cos(math.radians(latitude)) < 0.005
