"""Plane geometry on GeoJSON polygons, written out because PostGIS and shapely are not assumed.

Positions are ``(longitude, latitude)`` in WGS84 degrees, as GeoJSON has them. A force's areas are
small enough (tens of kilometres) that treating degrees as a plane is exact enough for containment
and centroids; distances use the haversine formula on the mean Earth radius. Polygons are *closed*
sets: a point on an exterior edge or a vertex is inside, a point strictly inside a hole is not, and
a point on a hole's edge is inside (the edge belongs to the polygon). ``validate_geometry`` is what
the importers run on untrusted boundaries; ``PolygonIndex`` places many points among many polygons
quickly, by a grid whose cells are classified once as inside, outside or on a boundary.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

Position = tuple[float, float]
Ring = list[Position]
PolygonRings = list[Ring]

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius

INSIDE = 1
BOUNDARY = 0
OUTSIDE = -1


class GeometryInvalid(ValueError):
    """A geometry that breaks a rule; ``path`` says where, e.g. ``coordinates[0][3]``."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.message = message
        self.path = path


@dataclass(frozen=True)
class BBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def contains(self, lon: float, lat: float) -> bool:
        return self.min_lon <= lon <= self.max_lon and self.min_lat <= lat <= self.max_lat

    def union(self, other: BBox) -> BBox:
        return BBox(
            min(self.min_lon, other.min_lon),
            min(self.min_lat, other.min_lat),
            max(self.max_lon, other.max_lon),
            max(self.max_lat, other.max_lat),
        )


# --- validation ---------------------------------------------------------------------------------


def _position(value: Any, path: str) -> Position:
    if not isinstance(value, list | tuple) or len(value) < 2:
        raise GeometryInvalid("a position must be a list of [longitude, latitude]", path)
    lon, lat = value[0], value[1]
    for number, name in ((lon, "longitude"), (lat, "latitude")):
        # bool is an int in Python; true/false in a boundary file is a mistake, not a coordinate.
        if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
            raise GeometryInvalid(f"{name} {number!r} is not a number", path)
    if not -180 <= lon <= 180:
        hint = " (it looks like National Grid metres, not degrees)" if abs(lon) > 1000 else ""
        raise GeometryInvalid(f"longitude {lon} is out of range (-180 to 180){hint}", path)
    if not -90 <= lat <= 90:
        raise GeometryInvalid(f"latitude {lat} is out of range (-90 to 90)", path)
    return float(lon), float(lat)


def _ring(value: Any, path: str) -> Ring:
    if not isinstance(value, list | tuple):
        raise GeometryInvalid("a ring must be a list of positions", path)
    if len(value) < 4:
        raise GeometryInvalid(f"a ring needs at least 4 positions (it has {len(value)})", path)
    ring = [_position(item, f"{path}[{index}]") for index, item in enumerate(value)]
    if ring[0] != ring[-1]:
        raise GeometryInvalid(
            f"the ring is not closed: it starts at {list(ring[0])} and ends at {list(ring[-1])}", path
        )
    if ring_area(ring) == 0:
        raise GeometryInvalid("the ring encloses no area (its positions are in a line)", path)
    return ring


def _polygon(value: Any, path: str) -> PolygonRings:
    if not isinstance(value, list | tuple) or not value:
        raise GeometryInvalid("a polygon must be a non-empty list of rings", path)
    rings = [_ring(ring, f"{path}[{index}]") for index, ring in enumerate(value)]
    for index, hole in enumerate(rings[1:], start=1):
        for lon, lat in hole:
            if ring_position(lon, lat, rings[0]) == OUTSIDE:
                raise GeometryInvalid(
                    f"hole {index} reaches outside the exterior ring (at {[lon, lat]})", f"{path}[{index}]"
                )
    return rings


def validate_geometry(geometry: Any) -> dict[str, Any]:
    """Check a GeoJSON Polygon or MultiPolygon and return it in a normal form.

    The normal form has float positions without altitude, exterior rings anticlockwise and holes
    clockwise (RFC 7946 section 3.1.6), so every stored polygon has the same orientation.
    """
    if not isinstance(geometry, dict):
        raise GeometryInvalid("the geometry must be a GeoJSON object")
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        rings = _polygon(coordinates, "coordinates")
        return {"type": "Polygon", "coordinates": _oriented(rings)}
    if kind == "MultiPolygon":
        if not isinstance(coordinates, list | tuple) or not coordinates:
            raise GeometryInvalid("a MultiPolygon must be a non-empty list of polygons", "coordinates")
        polygons = [
            _oriented(_polygon(polygon, f"coordinates[{index}]")) for index, polygon in enumerate(coordinates)
        ]
        return {"type": "MultiPolygon", "coordinates": polygons}
    raise GeometryInvalid(f"the geometry type must be Polygon or MultiPolygon, not {kind!r}", "type")


def _oriented(rings: PolygonRings) -> list[list[list[float]]]:
    result = []
    for index, ring in enumerate(rings):
        anticlockwise = ring_area(ring) > 0
        # Exterior anticlockwise, holes clockwise.
        if anticlockwise != (index == 0):
            ring = list(reversed(ring))
        result.append([[lon, lat] for lon, lat in ring])
    return result


def polygons_of(geometry: dict[str, Any]) -> list[PolygonRings]:
    """The polygons of a (validated) Polygon or MultiPolygon, as lists of rings of tuples."""
    parts = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [[[(float(p[0]), float(p[1])) for p in ring] for ring in polygon] for polygon in parts]


# --- measures -----------------------------------------------------------------------------------


def ring_area(ring: Sequence[Position]) -> float:
    """Signed area in square degrees by the shoelace formula: positive when anticlockwise."""
    total = 0.0
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        total += x1 * y2 - x2 * y1
    return total / 2


def bbox_of(geometry: dict[str, Any]) -> BBox:
    lons = []
    lats = []
    for polygon in polygons_of(geometry):
        for lon, lat in polygon[0]:
            lons.append(lon)
            lats.append(lat)
    return BBox(min(lons), min(lats), max(lons), max(lats))


def centroid(geometry: dict[str, Any]) -> Position:
    """Area-weighted centroid (holes subtracted). It may lie outside a concave shape."""
    polygons = polygons_of(geometry)
    # Measured from a vertex, not from (0, 0): far from the origin the shoelace products of a
    # small polygon cancel each other and lose most of their digits.
    ox, oy = polygons[0][0][0]
    total_area = 0.0
    cx = 0.0
    cy = 0.0
    for polygon in polygons:
        for ring in polygon:
            for (x1, y1), (x2, y2) in itertools.pairwise(ring):
                x1, y1, x2, y2 = x1 - ox, y1 - oy, x2 - ox, y2 - oy
                cross = x1 * y2 - x2 * y1
                total_area += cross
                cx += (x1 + x2) * cross
                cy += (y1 + y2) * cross
    if total_area == 0:
        box = bbox_of(geometry)
        return ((box.min_lon + box.max_lon) / 2, (box.min_lat + box.max_lat) / 2)
    return (ox + cx / (3 * total_area), oy + cy / (3 * total_area))


def interior_point(geometry: dict[str, Any]) -> Position:
    """A point certainly inside the geometry: the centroid if it is, else the middle of the widest
    inside stretch of a horizontal line through the largest polygon. Used to find which area a
    whole boundary lies in (a beat's neighbourhood) without a polygon-in-polygon test."""
    point = centroid(geometry)
    if contains(geometry, *point):
        return point
    polygons = polygons_of(geometry)
    largest = max(polygons, key=lambda polygon: abs(ring_area(polygon[0])))
    lats = [lat for _, lat in largest[0]]
    low, high = min(lats), max(lats)
    best: tuple[float, Position] | None = None
    # A line through a vertex is a degenerate case; trying a few heights always finds a clean one.
    for fraction in (0.5, 0.37, 0.63, 0.25, 0.75, 0.13, 0.87):
        y = low + (high - low) * fraction
        crossings = sorted(_crossings(largest, y))
        for start, end in zip(crossings[::2], crossings[1::2], strict=False):
            if best is None or end - start > best[0]:
                best = (end - start, ((start + end) / 2, y))
        if best is not None:
            return best[1]
    return largest[0][0]


def _crossings(polygon: PolygonRings, y: float) -> list[float]:
    xs = []
    for ring in polygon:
        for (x1, y1), (x2, y2) in itertools.pairwise(ring):
            if (y1 > y) != (y2 > y):
                xs.append(x1 + (y - y1) * (x2 - x1) / (y2 - y1))
    return xs


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    phi1 = math.radians(lat1)
    phi2 = math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def degrees_around(lat: float, radius_m: float) -> tuple[float, float]:
    """Half-widths in degrees (latitude, longitude) of a box that holds a circle of ``radius_m``."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    cos_lat = max(math.cos(math.radians(lat)), 1e-6)
    dlon = min(180.0, math.degrees(radius_m / (EARTH_RADIUS_M * cos_lat)))
    return dlat, dlon


# --- containment --------------------------------------------------------------------------------


def ring_position(lon: float, lat: float, ring: Sequence[Position]) -> int:
    """INSIDE, BOUNDARY or OUTSIDE of one closed ring (even-odd crossing test).

    The boundary test is a zero cross product, which is exact for vertices and for edges along a
    meridian or parallel, so a square's own corners and sides are always on its boundary.
    """
    inside = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (
            (x1 <= lon <= x2 or x2 <= lon <= x1)
            and (y1 <= lat <= y2 or y2 <= lat <= y1)
            and (x2 - x1) * (lat - y1) - (y2 - y1) * (lon - x1) == 0
        ):
            return BOUNDARY
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return INSIDE if inside else OUTSIDE


def polygon_contains(polygon: Sequence[Sequence[Position]], lon: float, lat: float) -> bool:
    """Inside or on the exterior ring, and not strictly inside a hole."""
    if ring_position(lon, lat, polygon[0]) == OUTSIDE:
        return False
    return all(ring_position(lon, lat, hole) != INSIDE for hole in polygon[1:])


def contains(geometry: dict[str, Any], lon: float, lat: float) -> bool:
    """Whether a validated Polygon or MultiPolygon holds the point (boundary included)."""
    return any(polygon_contains(polygon, lon, lat) for polygon in polygons_of(geometry))


# --- many points among many polygons -------------------------------------------------------------

K = TypeVar("K", bound=Hashable)


class PolygonIndex(Generic[K]):
    """Which of many polygons holds a point, for hundreds of thousands of points.

    A grid is laid over the polygons. For each polygon, each grid cell it might touch is marked
    *boundary* if an edge passes near it, else *inside* or *outside* by the polygon's crossings
    along the row's centre line. A point in an *inside* cell needs no test at all; only points in
    boundary cells get the exact test. Where polygons overlap, the first one given wins, so give
    them in a stable order (by code).
    """

    def __init__(self, items: Iterable[tuple[K, dict[str, Any]]], *, cells_per_polygon: int = 400) -> None:
        self._parts: list[PolygonRings] = []
        self._keys: list[K] = []
        for key, geometry in items:
            for polygon in polygons_of(geometry):
                self._parts.append(polygon)
                self._keys.append(key)
        # Cell number -> the polygons that may hold its points, in the order given, each encoded
        # as ``2 * polygon + 1`` when the cell is wholly inside it and ``2 * polygon`` when an edge
        # crosses the cell (ints in tuples: a real force's grid has a few hundred thousand cells).
        self._cells: dict[int, tuple[int, ...]] = {}
        if not self._parts:
            self._nx = self._ny = 0
            return
        xs = [x for part in self._parts for x, _ in part[0]]
        ys = [y for part in self._parts for _, y in part[0]]
        self._x0, self._y0 = min(xs), min(ys)
        width = max(max(xs) - self._x0, 1e-9)
        height = max(max(ys) - self._y0, 1e-9)
        cells = min(4_000_000, max(1024, cells_per_polygon * len(self._parts)))
        self._cw = max(math.sqrt(width * height / cells), width / 4096, height / 4096)
        self._ch = self._cw
        self._nx = int(width / self._cw) + 1
        self._ny = int(height / self._ch) + 1
        building: dict[int, list[int]] = defaultdict(list)
        for number, part in enumerate(self._parts):
            self._classify(number, part, building)
        self._cells = {cell: tuple(entries) for cell, entries in building.items()}

    def __len__(self) -> int:
        return len(self._parts)

    def _column(self, x: float) -> float:
        return (x - self._x0) / self._cw

    def _row(self, y: float) -> float:
        return (y - self._y0) / self._ch

    def _classify(self, number: int, part: PolygonRings, building: dict[int, list[int]]) -> None:
        nx, ny = self._nx, self._ny
        boundary: set[int] = set()
        rows_edges: dict[int, list[tuple[float, float, float, float]]] = defaultdict(list)
        slack = 1e-6  # in cells: a point on a cell edge is counted in both cells it touches
        for ring in part:
            for (x1, y1), (x2, y2) in itertools.pairwise(ring):
                c1, c2 = self._column(x1), self._column(x2)
                r1, r2 = self._row(y1), self._row(y2)
                # Split long edges so each piece spans at most one cell; mark each piece's box.
                pieces = max(1, math.ceil(max(abs(c2 - c1), abs(r2 - r1))))
                for step in range(pieces):
                    a = step / pieces
                    b = (step + 1) / pieces
                    ca, cb = c1 + (c2 - c1) * a, c1 + (c2 - c1) * b
                    ra, rb = r1 + (r2 - r1) * a, r1 + (r2 - r1) * b
                    for column in range(
                        max(0, math.floor(min(ca, cb) - slack)),
                        min(nx - 1, math.floor(max(ca, cb) + slack)) + 1,
                    ):
                        for row in range(
                            max(0, math.floor(min(ra, rb) - slack)),
                            min(ny - 1, math.floor(max(ra, rb) + slack)) + 1,
                        ):
                            boundary.add(row * nx + column)
                # Rows whose centre line this edge crosses.
                low, high = min(r1, r2), max(r1, r2)
                for row in range(max(0, math.ceil(low - 0.5)), min(ny - 1, math.floor(high - 0.5)) + 1):
                    rows_edges[row].append((x1, y1, x2, y2))
        for row, edges in rows_edges.items():
            y = self._y0 + (row + 0.5) * self._ch
            xs = sorted(
                x1 + (y - y1) * (x2 - x1) / (y2 - y1) for x1, y1, x2, y2 in edges if (y1 > y) != (y2 > y)
            )
            for start, end in zip(xs[::2], xs[1::2], strict=False):
                first = max(0, math.ceil(self._column(start) - 0.5))
                last = min(nx - 1, math.floor(self._column(end) - 0.5))
                for column in range(first, last + 1):
                    cell = row * nx + column
                    if cell not in boundary:
                        building[cell].append(2 * number + 1)
        for cell in boundary:
            building[cell].append(2 * number)

    def find(self, lon: float, lat: float) -> K | None:
        """The key of the first polygon holding the point, or None."""
        if not self._parts:
            return None
        column = math.floor(self._column(lon))
        row = math.floor(self._row(lat))
        if not (0 <= column < self._nx and 0 <= row < self._ny):
            return None
        for entry in self._cells.get(row * self._nx + column, ()):
            number = entry >> 1
            if entry & 1 or polygon_contains(self._parts[number], lon, lat):
                return self._keys[number]
        return None
