"""Plane geometry: containment (with holes and boundaries), validation, centroids, distances and
the grid index, checked against properties that must hold for any polygon hypothesis draws."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from iops.geo.geometry import (
    BOUNDARY,
    INSIDE,
    OUTSIDE,
    GeometryInvalid,
    PolygonIndex,
    bbox_of,
    centroid,
    contains,
    haversine_m,
    interior_point,
    ring_area,
    ring_position,
    validate_geometry,
)


def square(x0: float, y0: float, size: float) -> dict[str, Any]:
    ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
    return validate_geometry({"type": "Polygon", "coordinates": [ring]})


def convex_hull(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Andrew's monotone chain, anticlockwise, without the closing point."""
    points = sorted(set(points))
    if len(points) < 3:
        return points

    def cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    for point in points:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], point) <= 0:
            lower.pop()
        lower.append(point)
    upper: list[tuple[float, float]] = []
    for point in reversed(points):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], point) <= 0:
            upper.pop()
        upper.append(point)
    return lower[:-1] + upper[:-1]


coordinate = st.integers(-5000, 5000).map(lambda n: n / 1000)  # degrees, to a metre or so
points = st.lists(st.tuples(coordinate, coordinate), min_size=3, max_size=12)


@st.composite
def convex_polygons(draw: st.DrawFn) -> tuple[dict[str, Any], list[tuple[float, float]]]:
    hull = convex_hull(draw(points))
    assume(len(hull) >= 3)
    ring = [*hull, hull[0]]
    assume(ring_area(ring) > 0.01)
    return validate_geometry({"type": "Polygon", "coordinates": [[list(p) for p in ring]]}), hull


@given(convex_polygons(), st.lists(st.floats(0.001, 1), min_size=12, max_size=12), st.floats(0, 0.98))
def test_points_drawn_inside_a_convex_polygon_are_inside(
    polygon: tuple[dict[str, Any], list[tuple[float, float]]], weights: list[float], shrink: float
) -> None:
    geometry, hull = polygon
    cx, cy = centroid(geometry)
    # A convex combination of the vertices, pulled towards the centroid: strictly inside.
    used = weights[: len(hull)]
    total = sum(used)
    x = sum(w * p[0] for w, p in zip(used, hull, strict=True)) / total
    y = sum(w * p[1] for w, p in zip(used, hull, strict=True)) / total
    x, y = cx + (x - cx) * shrink, cy + (y - cy) * shrink
    assert contains(geometry, x, y)


@given(convex_polygons(), coordinate, coordinate)
def test_points_outside_the_bounding_box_are_outside(
    polygon: tuple[dict[str, Any], list[tuple[float, float]]], dx: float, dy: float
) -> None:
    geometry, _ = polygon
    box = bbox_of(geometry)
    x = box.max_lon + abs(dx) + 0.001
    y = box.min_lat - abs(dy) - 0.001
    assert not contains(geometry, x, box.min_lat)
    assert not contains(geometry, box.min_lon, y)
    assert not contains(geometry, x, y)


@given(st.integers(-170, 169), st.integers(-80, 79), st.floats(0, 1))
def test_a_squares_corners_and_sides_are_inside_it(x0: int, y0: int, along: float) -> None:
    geometry = square(x0, y0, 1)
    for corner in ((x0, y0), (x0 + 1, y0), (x0 + 1, y0 + 1), (x0, y0 + 1)):
        assert contains(geometry, *corner)
    assert contains(geometry, x0 + along, y0)
    assert contains(geometry, x0 + 1, y0 + along)
    assert contains(geometry, x0 + along, y0 + 1)
    assert contains(geometry, x0, y0 + along)
    ring = geometry["coordinates"][0]
    assert ring_position(x0 + along, y0, [tuple(p) for p in ring]) == BOUNDARY


def test_a_point_in_a_hole_is_outside_but_the_holes_edge_is_inside() -> None:
    outer = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]
    hole = [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]
    geometry = validate_geometry({"type": "Polygon", "coordinates": [outer, hole]})
    assert not contains(geometry, 5, 5)
    assert contains(geometry, 4, 5)
    assert contains(geometry, 2, 2)
    assert ring_position(5, 5, [tuple(p) for p in geometry["coordinates"][1]]) == INSIDE
    assert ring_position(20, 5, [tuple(p) for p in geometry["coordinates"][1]]) == OUTSIDE


def test_a_multipolygon_holds_points_in_any_of_its_parts() -> None:
    geometry = validate_geometry(
        {
            "type": "MultiPolygon",
            "coordinates": [
                [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]],
                [[[5, 5], [6, 5], [6, 6], [5, 6], [5, 5]]],
            ],
        }
    )
    assert contains(geometry, 0.5, 0.5)
    assert contains(geometry, 5.5, 5.5)
    assert not contains(geometry, 3, 3)


def test_validation_orients_rings_as_rfc_7946_asks() -> None:
    clockwise = [[0, 0], [0, 10], [10, 10], [10, 0], [0, 0]]
    hole_anticlockwise = [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]
    geometry = validate_geometry({"type": "Polygon", "coordinates": [clockwise, hole_anticlockwise]})
    exterior, hole = geometry["coordinates"]
    assert ring_area([tuple(p) for p in exterior]) > 0
    assert ring_area([tuple(p) for p in hole]) < 0


@pytest.mark.parametrize(
    ("geometry", "path", "words"),
    [
        ({"type": "Point", "coordinates": [0, 0]}, "type", "Polygon or MultiPolygon"),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0.5]]]},
            "coordinates[0]",
            "not closed",
        ),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]},
            "coordinates[0]",
            "at least 4 positions",
        ),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 95], [0, 0]]]},
            "coordinates[0][2]",
            "latitude 95 is out of range",
        ),
        (
            {"type": "Polygon", "coordinates": [[[651409, 0], [1, 0], [1, 1], [651409, 0]]]},
            "coordinates[0][0]",
            "National Grid metres",
        ),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [2, 2], [0, 0]]]}, "coordinates[0]", "no area"),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], ["a", 0], [1, 1], [0, 0]]]},
            "coordinates[0][1]",
            "not a number",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]], [[2, 2], [3, 2], [3, 3], [2, 2]]],
            },
            "coordinates[1]",
            "outside the exterior",
        ),
    ],
)
def test_invalid_geometry_names_the_place_and_the_fault(
    geometry: dict[str, Any], path: str, words: str
) -> None:
    with pytest.raises(GeometryInvalid) as raised:
        validate_geometry(geometry)
    assert raised.value.path == path
    assert words in raised.value.message


@given(st.floats(-170, 170), st.floats(-80, 80), st.floats(0.001, 5))
def test_a_squares_centroid_is_its_middle(x0: float, y0: float, size: float) -> None:
    cx, cy = centroid(square(x0, y0, size))
    assert math.isclose(cx, x0 + size / 2, abs_tol=1e-9)
    assert math.isclose(cy, y0 + size / 2, abs_tol=1e-9)


def test_interior_point_of_a_u_shape_is_inside_it() -> None:
    u_shape = validate_geometry(
        {
            "type": "Polygon",
            "coordinates": [[[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3], [0, 0]]],
        }
    )
    assert not contains(u_shape, *centroid(u_shape))  # why the interior point is needed
    assert contains(u_shape, *interior_point(u_shape))


@given(st.floats(49, 61), st.floats(-8, 2), st.floats(49, 61), st.floats(-8, 2))
def test_haversine_is_a_distance(lat1: float, lon1: float, lat2: float, lon2: float) -> None:
    there = haversine_m(lat1, lon1, lat2, lon2)
    assert haversine_m(lat1, lon1, lat1, lon1) == 0
    assert math.isclose(there, haversine_m(lat2, lon2, lat1, lon1), rel_tol=1e-12)
    assert there <= haversine_m(lat1, lon1, 55, -3) + haversine_m(55, -3, lat2, lon2) + 1e-6


def test_haversine_matches_known_distances() -> None:
    # One degree of latitude is 111.2 km on the mean sphere; London to Paris is about 344 km.
    assert math.isclose(haversine_m(52, -1, 53, -1), 111_195, rel_tol=1e-3)
    assert math.isclose(haversine_m(51.5074, -0.1278, 48.8566, 2.3522), 343_500, rel_tol=5e-3)


tiles = st.integers(2, 6)


@settings(max_examples=40, deadline=None)
@given(tiles, tiles, st.lists(st.tuples(st.floats(-0.5, 6.5), st.floats(-0.5, 6.5)), min_size=1, max_size=60))
def test_the_index_finds_what_testing_every_polygon_finds(
    columns: int, rows: int, probes: list[tuple[float, float]]
) -> None:
    """Tiles with wavy shared edges, a hole in one, points anywhere (on edges too)."""
    areas = []
    for i in range(columns):
        for j in range(rows):
            ring = [[i, j], [i + 0.5, j + 0.1], [i + 1, j], [i + 1.1, j + 0.5], [i + 1, j + 1]]
            ring += [[i + 0.5, j + 1.1], [i, j + 1], [i + 0.1, j + 0.5], [i, j]]
            areas.append(((i, j), validate_geometry({"type": "Polygon", "coordinates": [ring]})))
    holed = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]
    areas.insert(
        0,
        (
            "holed",
            validate_geometry(
                {"type": "Polygon", "coordinates": [holed, [[0.4, 0.4], [0.6, 0.4], [0.6, 0.6], [0.4, 0.4]]]}
            ),
        ),
    )
    index = PolygonIndex(areas, cells_per_polygon=16)
    for x, y in [*probes, (0.5, 0.45), (1, 1), (0.4, 0.4)]:
        expected = next((key for key, geometry in areas if contains(geometry, x, y)), None)
        assert index.find(x, y) == expected


def test_an_empty_index_finds_nothing() -> None:
    assert PolygonIndex([]).find(0, 0) is None
