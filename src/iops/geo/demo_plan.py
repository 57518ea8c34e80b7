"""The plan of the synthetic force's geography, worked out in memory from a seed.

Demoshire is an invented county in the East Midlands of England: every town, village, street,
postcode (area ``DM``, which no real postcode uses) and property reference (``9000...``) is made up.
Its ground is a lattice of cells of about two-thirds of a kilometre whose corners are shifted a
little at random, so boundaries wander as real ones do while neighbouring areas still share every
corner exactly. Districts are grown from the cells, neighbourhoods from each district's cells and
beats from each neighbourhood's, so beats tile neighbourhoods and neighbourhoods tile districts
with no gaps or overlaps; statistical areas (LSOA-like, codes ``X01...``) are an independent
grouping of the same cells. Each district has a market town (the urban core, where most addresses
are) and villages and farms towards its rural edges.

Nothing here touches the database, so the plan can be checked for determinism cheaply; ``demo.py``
writes it.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from faker import Faker

from iops.geo import addressing
from iops.geo.gazetteer import GazetteerAddress
from iops.geo.geometry import PolygonIndex, ring_area, ring_position, validate_geometry

Cell = tuple[int, int]
Vertex = tuple[int, int]

COUNTY = "Demoshire"
# Somewhere plausible in lowland England; the names and streets laid over it are all invented.
CENTRE_LAT = 52.70
CENTRE_LON = -0.85
COLUMNS = 66
ROWS = 51
CELL_KM = 0.667
JITTER = 0.25  # of a cell: corners move at most a quarter-cell, so every cell stays a simple quad
POSTCODE_AREA = "DM"
FIRST_UPRN = 900_000_000_001
KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON = 111.320 * math.cos(math.radians(CENTRE_LAT))

TOWNS = [
    "Marrowcliffe",
    "Callowford",
    "Brindlecombe",
    "Kestrelby",
    "Fallowmere",
    "Wyvernholt",
    "Tanseybridge",
    "Umberstow",
    "Larkenwick",
    "Quillthorpe",
    "Pennickdene",
    "Sallowmarsh",
]
VILLAGE_STEMS = [
    "Brindle", "Callow", "Dunmarrow", "Eskel", "Fallow", "Gorsey", "Hollin", "Kestrel", "Larken", "Merrow",
    "Nettle", "Pennick", "Quill", "Rookery", "Sallow", "Tansey", "Umber", "Wyvern", "Yarrow", "Thistle",
    "Bramble", "Copper", "Sedge", "Withy", "Osier", "Teasel", "Corrie", "Hobble", "Mardle", "Spinney",
]  # fmt: skip
VILLAGE_ENDINGS = [
    "by", "combe", "dene", "holt", "mere", "stow", "thorpe", "wick", "worth", "ley", "hurst", "cote",
    " Cross", " Green", " Parva", " Magna", " St Giles", " End",
]  # fmt: skip
STREET_STEMS = [
    "Church", "Mill", "Station", "School", "Chapel", "Manor", "Orchard", "Meadow", "Willow", "Beech",
    "Oak", "Elm", "Hazel", "Rowan", "Cedar", "Holly", "Linden", "Park", "Victoria", "Albert", "Queens",
    "Kings", "Windsor", "Castle", "Bridge", "Brook", "River", "Spring", "Well", "Market", "Granary",
    "Tannery", "Foundry", "Forge", "Wharf", "Canal", "Lock", "Abbey", "Priory", "Vicarage", "Rectory",
    "Glebe", "Common", "Heath", "Moor", "Fen", "Hill", "Ridge", "Vale", "Field", "Acre", "Furlong",
    "Croft", "Paddock", "Barley", "Clover", "Primrose", "Bluebell", "Foxglove", "Heather", "Juniper",
    "Sycamore", "Hawthorn", "Blackthorn", "Larch", "Poplar", "Chestnut", "Walnut", "Cherry", "Damson",
    "Swan", "Heron", "Kingfisher", "Lark", "Wren", "Falcon", "Badger", "Otter", "Hare", "Tithe",
]  # fmt: skip
STREET_ENDINGS = [
    ("Road", 18), ("Street", 12), ("Lane", 12), ("Close", 10), ("Avenue", 7), ("Drive", 6), ("Way", 6),
    ("Crescent", 5), ("Gardens", 4), ("Grove", 4), ("Terrace", 4), ("Place", 3), ("Court", 2),
    ("Mews", 2), ("Walk", 2), ("Rise", 2), ("View", 2), ("Row", 2), ("Green", 2), ("Square", 1),
]  # fmt: skip
CENTRE_STREETS = [
    "High Street",
    "Market Place",
    "Station Road",
    "Church Street",
    "Bridge Street",
    "Sheep Street",
]
BLOCK_ENDINGS = ["House", "Court", "Lodge", "Mansions", "Point", "Place"]
# Letters a postcode's inward unit may use (Royal Mail leaves out C, I, K, M, O and V).
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
COMPASS = ["East", "North East", "North", "North West", "West", "South West", "South", "South East"]


@dataclass
class PlannedArea:
    kind: str
    code: str
    name: str
    geometry: dict[str, Any]
    setting: str
    parent_code: str = ""
    district_code: str = ""
    cells: list[Cell] = field(default_factory=list, repr=False)


@dataclass(frozen=True)
class Town:
    name: str
    district_code: str
    x_km: float
    y_km: float
    radius_km: float
    weight: float
    market_town: bool

    @property
    def latitude(self) -> float:
        return round(CENTRE_LAT + self.y_km / KM_PER_DEGREE_LAT, 6)

    @property
    def longitude(self) -> float:
        return round(CENTRE_LON + self.x_km / KM_PER_DEGREE_LON, 6)


@dataclass
class DemoGeography:
    districts: list[PlannedArea]
    neighbourhoods: list[PlannedArea]
    beats: list[PlannedArea]
    lsoas: list[PlannedArea]
    towns: list[Town]
    addresses: list[GazetteerAddress]

    @property
    def areas(self) -> list[PlannedArea]:
        return self.districts + self.neighbourhoods + self.beats + self.lsoas


# --- the lattice --------------------------------------------------------------------------------


class Lattice:
    """Cell corners, shifted at random once, and the conversions between cells, km and degrees."""

    def __init__(self, rng: random.Random) -> None:
        self.jitter = {
            (i, j): (rng.uniform(-JITTER, JITTER), rng.uniform(-JITTER, JITTER))
            for j in range(ROWS + 1)
            for i in range(COLUMNS + 1)
        }

    @staticmethod
    def km(i: float, j: float) -> tuple[float, float]:
        """Lattice units to km east and north of the county's centre."""
        return (i - COLUMNS / 2) * CELL_KM, (j - ROWS / 2) * CELL_KM

    def vertex(self, vertex: Vertex) -> tuple[float, float]:
        dx, dy = self.jitter[vertex]
        x, y = self.km(vertex[0] + dx, vertex[1] + dy)
        return degrees(x, y)

    @classmethod
    def cell_centre_km(cls, cell: Cell) -> tuple[float, float]:
        return cls.km(cell[0] + 0.5, cell[1] + 0.5)


def degrees(x_km: float, y_km: float) -> tuple[float, float]:
    """(longitude, latitude) of a point given in km east and north of the centre, to 6 places."""
    return round(CENTRE_LON + x_km / KM_PER_DEGREE_LON, 6), round(CENTRE_LAT + y_km / KM_PER_DEGREE_LAT, 6)


def _neighbours(cell: Cell) -> list[Cell]:
    i, j = cell
    return [(i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)]


def _components(cells: set[Cell]) -> list[list[Cell]]:
    """Edge-connected pieces, largest first (ties by their first cell)."""
    unseen = set(cells)
    pieces = []
    for start in sorted(cells):
        if start not in unseen:
            continue
        unseen.discard(start)
        piece = [start]
        queue = deque([start])
        while queue:
            for neighbour in _neighbours(queue.popleft()):
                if neighbour in unseen:
                    unseen.discard(neighbour)
                    piece.append(neighbour)
                    queue.append(neighbour)
        pieces.append(sorted(piece))
    pieces.sort(key=lambda piece: (-len(piece), piece[0]))
    return pieces


def county_cells(rng: random.Random) -> set[Cell]:
    """An irregular, solid, edge-connected blob: an ellipse with a wavy rim."""
    waves = [(k, rng.uniform(0.02, 0.07), rng.uniform(0, 2 * math.pi)) for k in range(2, 6)]
    cells = set()
    for j in range(ROWS):
        for i in range(COLUMNS):
            dx = (i + 0.5 - COLUMNS / 2) / (COLUMNS / 2)
            dy = (j + 0.5 - ROWS / 2) / (ROWS / 2)
            angle = math.atan2(dy, dx)
            rim = 0.92 + sum(amplitude * math.sin(k * angle + phase) for k, amplitude, phase in waves)
            if math.hypot(dx, dy) < rim:
                cells.add((i, j))
    blob = set(_components(cells)[0])
    # Fill any enclosed gaps: a county has no holes. The sea around it is what reaches the corner.
    around = {(i, j) for j in range(-1, ROWS + 1) for i in range(-1, COLUMNS + 1)} - blob
    sea = next(piece for piece in _components(around) if (-1, -1) in piece)
    return {(i, j) for j in range(ROWS) for i in range(COLUMNS)} - set(sea)


# --- growing areas from cells -------------------------------------------------------------------


def partition(cells: Iterable[Cell], count: int, rng: random.Random) -> list[list[Cell]]:
    """Split cells into ``count`` edge-connected regions of similar size (k-means on the cell
    centres from spread-out seeds, then stray pieces handed to the neighbour they touch most)."""
    ordered = sorted(cells)
    count = max(1, min(count, len(ordered)))
    points = [(i + 0.5, j + 0.5) for i, j in ordered]
    seeds = [points[rng.randrange(len(points))]]
    nearest = [math.dist(point, seeds[0]) for point in points]
    while len(seeds) < count:
        far = max(range(len(points)), key=lambda index: (nearest[index], -index))
        seeds.append(points[far])
        nearest = [min(nearest[index], math.dist(points[index], points[far])) for index in range(len(points))]

    def assign(centres: list[tuple[float, float]]) -> list[int]:
        return [
            min(range(len(centres)), key=lambda k: ((px - centres[k][0]) ** 2 + (py - centres[k][1]) ** 2, k))
            for px, py in points
        ]

    labels = assign(seeds)
    for _ in range(6):
        sums = [[0.0, 0.0, 0] for _ in range(count)]
        for (px, py), label in zip(points, labels, strict=True):
            sums[label][0] += px
            sums[label][1] += py
            sums[label][2] += 1
        if any(total == 0 for _, _, total in sums):
            break
        centres = [(sx / total, sy / total) for sx, sy, total in sums]
        following = assign(centres)
        if len(set(following)) < count:
            break
        labels = following
    owner = dict(zip(ordered, labels, strict=True))
    # Make every region one piece: hand each stray piece to the region it shares most edges with.
    changed = True
    while changed:
        changed = False
        for label in range(count):
            members = {cell for cell, owned in owner.items() if owned == label}
            for piece in _components(members)[1:]:
                touching: dict[int, int] = {}
                for cell in piece:
                    for neighbour in _neighbours(cell):
                        other = owner.get(neighbour)
                        if other is not None and other != label:
                            touching[other] = touching.get(other, 0) + 1
                if touching:
                    best = max(sorted(touching), key=lambda other: touching[other])
                    for cell in piece:
                        owner[cell] = best
                    changed = True
    regions = [sorted(cell for cell, owned in owner.items() if owned == label) for label in range(count)]
    regions = [region for region in regions if region]
    # North-west first, so codes read across the map as a person would.
    return sorted(regions, key=_reading_order)


def _reading_order(region: list[Cell]) -> tuple[int, int]:
    ci = sum(i for i, _ in region) / len(region)
    cj = sum(j for _, j in region) / len(region)
    return (-round(cj / 4), round(ci))


def trace(cells: Iterable[Cell]) -> list[list[list[Vertex]]]:
    """The outline of a set of cells as polygons of lattice-corner rings (exterior first, then holes).

    Each cell's sides not shared with another cell of the set are boundary edges, directed with the
    set on their left. Walking them, at a corner where two cells meet only diagonally the walk
    turns left, so those cells stay separate rings instead of one ring crossing itself.
    """
    members = set(cells)
    outgoing: dict[Vertex, list[Vertex]] = {}
    for i, j in sorted(members):
        sides = (
            ((i, j - 1), (i, j), (i + 1, j)),
            ((i + 1, j), (i + 1, j), (i + 1, j + 1)),
            ((i, j + 1), (i + 1, j + 1), (i, j + 1)),
            ((i - 1, j), (i, j + 1), (i, j)),
        )
        for across, start, end in sides:
            if across not in members:
                outgoing.setdefault(start, []).append(end)
    rings: list[list[Vertex]] = []
    while outgoing:
        start = min(outgoing)
        ring = [start]
        current = start
        previous_direction: tuple[int, int] | None = None
        while True:
            choices = outgoing[current]
            if previous_direction is None or len(choices) == 1:
                following = choices[0]
            else:
                dx, dy = previous_direction
                preference = [(-dy, dx), (dx, dy), (dy, -dx)]  # left, straight on, right
                following = min(
                    choices,
                    key=lambda end: preference.index((end[0] - current[0], end[1] - current[1])),
                )
            choices.remove(following)
            if not choices:
                del outgoing[current]
            previous_direction = (following[0] - current[0], following[1] - current[1])
            current = following
            ring.append(current)
            if current == start:
                break
        rings.append(ring)
    outers = [ring for ring in rings if ring_area([(float(x), float(y)) for x, y in ring]) > 0]
    holes = [ring for ring in rings if ring_area([(float(x), float(y)) for x, y in ring]) < 0]
    polygons: list[list[list[Vertex]]] = [[outer] for outer in outers]
    for hole in holes:
        (x1, y1), (x2, y2) = hole[0], hole[1]
        # The cell on the right of a hole's first edge lies in the hole.
        probe = ((x1 + x2) / 2 + (y2 - y1) * 0.5, (y1 + y2) / 2 - (x2 - x1) * 0.5)
        hosts = [
            polygon
            for polygon in polygons
            if ring_position(probe[0], probe[1], [(float(x), float(y)) for x, y in polygon[0]]) > 0
        ]
        host = min(hosts, key=lambda polygon: ring_area([(float(x), float(y)) for x, y in polygon[0]]))
        host.append(hole)
    return polygons


def outline(lattice: Lattice, cells: Iterable[Cell]) -> dict[str, Any]:
    """A validated GeoJSON Polygon or MultiPolygon for a set of cells."""
    polygons = [[[lattice.vertex(vertex) for vertex in ring] for ring in polygon] for polygon in trace(cells)]
    coordinates: Any = polygons[0] if len(polygons) == 1 else polygons
    return validate_geometry(
        {"type": "Polygon" if len(polygons) == 1 else "MultiPolygon", "coordinates": coordinates}
    )


# --- settlements, areas and names ---------------------------------------------------------------


def _village_names(rng: random.Random) -> list[str]:
    names = sorted({f"{stem}{ending}" for stem in VILLAGE_STEMS for ending in VILLAGE_ENDINGS} - set(TOWNS))
    rng.shuffle(names)
    return names


def _setting(cells: list[Cell], urban: set[Cell], centres: set[Cell]) -> str:
    """Urban if it holds a market town's centre or is mostly within a town's built-up radius."""
    if centres.intersection(cells) or sum(cell in urban for cell in cells) >= 0.4 * len(cells):
        return "urban"
    return "rural"


def _compass(dx: float, dy: float) -> str:
    return COMPASS[round(math.atan2(dy, dx) / (math.pi / 4)) % 8]


def _centre_km(cells: list[Cell]) -> tuple[float, float]:
    xs, ys = zip(*(Lattice.cell_centre_km(cell) for cell in cells), strict=True)
    return sum(xs) / len(xs), sum(ys) / len(ys)


def plan_areas(
    rng: random.Random, lattice: Lattice, *, districts: int, neighbourhoods: int, beats: int, addresses: int
) -> tuple[list[PlannedArea], list[PlannedArea], list[PlannedArea], list[PlannedArea], list[Town]]:
    county = county_cells(rng)
    villages = _village_names(rng)
    towns: list[Town] = []
    district_areas: list[PlannedArea] = []
    for number, cells in enumerate(partition(county, districts, rng), start=1):
        code = f"D{number:02d}"
        members = set(cells)
        cx, cy = _centre_km(cells)
        # The town sits at the cell nearest the district's middle that is well inside it.
        inner = [cell for cell in cells if all(n in members for n in _neighbours(cell))] or cells
        centre = min(inner, key=lambda cell: (math.dist(Lattice.cell_centre_km(cell), (cx, cy)), cell))
        tx, ty = Lattice.cell_centre_km(centre)
        weight = 2.4 if number == 1 else rng.uniform(0.6, 1.8)
        name = TOWNS[number - 1] if number <= len(TOWNS) else f"{villages.pop()} Town"
        towns.append(Town(name, code, tx, ty, 1.1 + 0.7 * weight, weight, True))
        for _ in range(2 + rng.randrange(3)):
            far = [
                cell
                for cell in cells
                if all(math.dist(Lattice.cell_centre_km(cell), (t.x_km, t.y_km)) > 3.5 for t in towns)
            ]
            if not far:
                break
            vx, vy = Lattice.cell_centre_km(far[rng.randrange(len(far))])
            towns.append(Town(villages.pop(), code, vx, vy, 0.5, rng.uniform(0.15, 0.4), False))
        district_areas.append(PlannedArea("district", code, name, {}, "rural", cells=cells))
    urban = {
        cell
        for cell in county
        for town in towns
        if town.market_town
        and math.dist(Lattice.cell_centre_km(cell), (town.x_km, town.y_km)) <= town.radius_km
    }
    centres = {_cell_of(t.x_km, t.y_km) for t in towns if t.market_town}
    neighbourhood_areas: list[PlannedArea] = []
    beat_areas: list[PlannedArea] = []
    for district in district_areas:
        town = next(t for t in towns if t.district_code == district.code and t.market_town)
        # A district is called urban when its town is one of the big ones.
        district.setting = "urban" if town.weight >= 1.2 else "rural"
        district.geometry = outline(lattice, district.cells)
        used_names: set[str] = set()
        for n, cells in enumerate(partition(district.cells, neighbourhoods, rng), start=1):
            code = f"{district.code}N{n}"
            members = set(cells)
            inside = [
                t for t in towns if t.district_code == district.code and _cell_of(t.x_km, t.y_km) in members
            ]
            if any(t.market_town for t in inside):
                name = f"{town.name} Central"
            elif inside:
                name = inside[0].name
            else:
                cx, cy = _centre_km(cells)
                name = f"{town.name} {_compass(cx - town.x_km, cy - town.y_km)}"
            while name in used_names:
                name = f"{name} Rural"
            used_names.add(name)
            neighbourhood = PlannedArea(
                "neighbourhood",
                code,
                name,
                outline(lattice, cells),
                _setting(cells, urban, centres),
                parent_code=district.code,
                district_code=district.code,
                cells=cells,
            )
            neighbourhood_areas.append(neighbourhood)
            for b, beat_cells in enumerate(partition(cells, beats, rng), start=1):
                beat_areas.append(
                    PlannedArea(
                        "beat",
                        f"{code}B{b}",
                        f"{name} beat {b}",
                        outline(lattice, beat_cells),
                        _setting(beat_cells, urban, centres),
                        parent_code=code,
                        district_code=district.code,
                        cells=beat_cells,
                    )
                )
    lsoa_areas = _plan_lsoas(
        lattice, county, district_areas, towns, urban, centres, len(beat_areas), addresses
    )
    return district_areas, neighbourhood_areas, beat_areas, lsoa_areas, towns


def _cell_of(x_km: float, y_km: float) -> Cell:
    return (math.floor(x_km / CELL_KM + COLUMNS / 2), math.floor(y_km / CELL_KM + ROWS / 2))


def _plan_lsoas(
    lattice: Lattice,
    county: set[Cell],
    districts: list[PlannedArea],
    towns: list[Town],
    urban: set[Cell],
    centres: set[Cell],
    beat_count: int,
    addresses: int,
) -> list[PlannedArea]:
    """Statistical areas: squares of cells on a grid offset from everything else, split where the
    county's edge cuts them and with slivers merged into a neighbour."""
    # About one and a half per beat: finer than the policing areas, as the census geography is in
    # towns, and never coarser than a real LSOA's 650 or so addresses.
    target = max(3 * beat_count // 2, addresses // 650, 1)
    side = max(1, round(math.sqrt(len(county) / target)))
    offset = side // 2
    groups: dict[Cell, set[Cell]] = {}
    for i, j in sorted(county):
        groups.setdefault(((i + offset) // side, (j + offset) // side), set()).add((i, j))
    pieces = [piece for group in groups.values() for piece in _components(group)]
    smallest = max(1, (side * side) // 3)
    owner = {cell: index for index, piece in enumerate(pieces) for cell in piece}
    for index, piece in enumerate(pieces):
        if len(piece) >= smallest:
            continue
        touching: dict[int, int] = {}
        for cell in piece:
            for neighbour in _neighbours(cell):
                other = owner.get(neighbour)
                if other is not None and other != index:
                    touching[other] = touching.get(other, 0) + 1
        if touching:
            best = max(sorted(touching), key=lambda other: touching[other])
            for cell in piece:
                owner[cell] = best
    regions: list[list[Cell]] = []
    for index in range(len(pieces)):
        members = {cell for cell, owned in owner.items() if owned == index}
        if members:
            regions.extend(_components(members))
    regions.sort(key=_reading_order)
    district_of = {cell: district.code for district in districts for cell in district.cells}
    town_of = {t.district_code: t.name for t in towns if t.market_town}
    per_district: dict[str, int] = {}
    areas = []
    for number, cells in enumerate(regions, start=1):
        votes: dict[str, int] = {}
        for cell in cells:
            votes[district_of[cell]] = votes.get(district_of[cell], 0) + 1
        district_code = max(sorted(votes), key=lambda code: votes[code])
        ordinal = per_district.get(district_code, 0)
        per_district[district_code] = ordinal + 1
        name = f"{town_of[district_code]} {ordinal // 4 + 1:03d}{'ABCD'[ordinal % 4]}"
        areas.append(
            PlannedArea(
                "lsoa",
                f"X01{number:06d}",
                name,
                outline(lattice, cells),
                _setting(cells, urban, centres),
                district_code=district_code,
                cells=cells,
            )
        )
    return areas


# --- streets and addresses ----------------------------------------------------------------------


@dataclass
class _Building:
    x_km: float
    y_km: float
    number: str
    name: str
    flats: int
    classification: str


class _Streets:
    """Street names, unique within each town, from the stem list and Faker surnames."""

    def __init__(self, rng: random.Random, faker: Faker) -> None:
        self.rng = rng
        self.faker = faker
        self.used: dict[str, set[str]] = {}
        self.endings = [ending for ending, weight in STREET_ENDINGS for _ in range(weight)]

    def name(self, town: str, centre: bool) -> str:
        used = self.used.setdefault(town, set())
        if centre:
            for street in CENTRE_STREETS:
                if street not in used:
                    used.add(street)
                    return street
        for _ in range(50):
            stem = self.rng.choice(STREET_STEMS) if self.rng.random() < 0.6 else self.faker.last_name()
            ending = self.rng.choice(self.endings)
            street = f"{stem} {ending}"
            if stem != ending and street not in used:
                used.add(street)
                return street
        street = f"{self.faker.last_name()} {self.rng.choice(self.endings)} {len(used)}"
        used.add(street)
        return street


def _classify(rng: random.Random, urban: bool, central: bool) -> str:
    roll = rng.random()
    if central and roll < 0.45:
        return rng.choice(["CR08", "CR08", "CR06", "CO01", "CR01", "CC03"])
    if urban:
        if roll < 0.06:
            return rng.choice(["CR08", "CO01", "CI03", "CR06"])
        return "RD04" if roll < 0.5 else "RD03" if roll < 0.82 else "RD02"
    return "RD02" if roll < 0.55 else "RD03" if roll < 0.85 else "RD04"


def _street_buildings(
    rng: random.Random, faker: Faker, origin: tuple[float, float], urban: bool, central: bool
) -> list[_Building]:
    bearing = rng.uniform(0, math.pi)
    spacing = rng.uniform(0.008, 0.014) if urban else rng.uniform(0.018, 0.035)
    houses = rng.randrange(12, 70) if urban else rng.randrange(5, 26)
    ux, uy = math.cos(bearing), math.sin(bearing)
    offset = 0.012
    buildings = []
    for number in range(1, houses + 1):
        along = ((number - 1) // 2) * spacing - houses * spacing / 4
        side = 1 if number % 2 else -1
        x = origin[0] + ux * along - uy * offset * side
        y = origin[1] + uy * along + ux * offset * side
        flats = 0
        name = ""
        classification = _classify(rng, urban, central)
        # About one home in five in an English town is a flat; most are in small blocks.
        if urban and classification.startswith("R") and rng.random() < 0.025:
            flats = rng.randrange(4, 17)
            classification = "RD06"
            name = f"{rng.choice([*STREET_STEMS, faker.last_name()])} {rng.choice(BLOCK_ENDINGS)}"
        elif not urban and rng.random() < 0.12:
            name = f"{rng.choice(STREET_STEMS)} {rng.choice(['Cottage', 'House', 'Barn', 'Lodge'])}"
        buildings.append(_Building(x, y, str(number), name, flats, classification))
    return buildings


def plan_addresses(
    rng: random.Random,
    faker: Faker,
    towns: list[Town],
    beats: list[PlannedArea],
    neighbourhoods: list[PlannedArea],
    total: int,
) -> list[GazetteerAddress]:
    """``total`` addresses along invented streets, most in the market towns, all inside a beat."""
    index: PolygonIndex[int] = PolygonIndex((number, beat.geometry) for number, beat in enumerate(beats))
    streets = _Streets(rng, faker)
    market = [t for t in towns if t.market_town]
    village_list = [t for t in towns if not t.market_town]
    post_town = {t.district_code: t.name for t in market}
    # Where the addresses go: shares by town weight; villages and farms take the rest.
    budgets: list[tuple[Town, int]] = []
    town_share = 0.74 * total
    weights = sum(t.weight for t in market)
    budgets += [(t, round(town_share * t.weight / weights)) for t in market]
    village_weights = sum(t.weight for t in village_list) or 1.0
    budgets += [(t, round(0.2 * total * t.weight / village_weights)) for t in village_list]
    planned: list[tuple[Town, str, _Building, str, int]] = []  # town, street, building, flat, beat
    for settlement, budget in budgets:
        made = 0
        urban = settlement.market_town
        first = True
        attempts = 0
        while made < budget and attempts < budget + 200:
            attempts += 1
            spread = settlement.radius_km / (1.6 if urban else 1.2)
            distance = 0.0 if first else min(abs(rng.gauss(0, spread)), settlement.radius_km * 1.8)
            angle = rng.uniform(0, 2 * math.pi)
            origin = (
                settlement.x_km + distance * math.cos(angle),
                settlement.y_km + distance * math.sin(angle),
            )
            central = urban and distance < settlement.radius_km * 0.25
            street = streets.name(settlement.name, central)
            first = False
            for building in _street_buildings(rng, faker, origin, urban, central):
                lon, lat = degrees(building.x_km, building.y_km)
                beat_number = index.find(lon, lat)
                if beat_number is None:
                    continue
                for flat_number in range(1, building.flats + 1) if building.flats else [0]:
                    flat_name = f"Flat {flat_number}" if flat_number else ""
                    planned.append((settlement, street, building, flat_name, beat_number))
                    made += 1
                if made >= budget:
                    break
    # Farms and isolated houses make up the rest, down lanes named for the nearest village.
    farm_attempts = 0
    while len(planned) < total and farm_attempts < total * 20:
        farm_attempts += 1
        rural_beat = beats[rng.randrange(len(beats))]
        if rural_beat.setting != "rural" and farm_attempts < total * 10:
            continue
        cell = rural_beat.cells[rng.randrange(len(rural_beat.cells))]
        cx, cy = Lattice.cell_centre_km(cell)
        x, y = cx + rng.uniform(-0.3, 0.3), cy + rng.uniform(-0.3, 0.3)
        lon, lat = degrees(x, y)
        found = index.find(lon, lat)
        if found is None:
            continue
        nearest = min(towns, key=lambda t: (math.dist((t.x_km, t.y_km), (x, y)), t.name))
        lane = f"{nearest.name} Road" if not nearest.market_town else f"{nearest.name} Lane"
        name = f"{faker.last_name()} Farm" if rng.random() < 0.6 else f"{rng.choice(STREET_STEMS)} Farm"
        building = _Building(x, y, "", name, 0, "RD02")
        planned.append((nearest, lane, building, "", found))
    planned = planned[:total]
    # Postcode units: runs of up to about 14 addresses along one street inside one neighbourhood.
    neighbourhood_number = {area.code: int(area.code.split("N")[1]) for area in neighbourhoods}
    units: dict[tuple[str, int], int] = {}
    addresses = []
    current_key: tuple[str, str, str] | None = None
    current_postcode = ""
    in_unit = 0
    unit_size = 0
    for position, (settlement, street, building, sub_building, beat_number) in enumerate(planned):
        beat = beats[beat_number]
        key = (settlement.name, street, beat.parent_code)
        starting_block = sub_building in ("", "Flat 1")
        if key != current_key or (in_unit >= unit_size and starting_block):
            district_number = int(beat.district_code[1:])
            sector = neighbourhood_number[beat.parent_code] % 10
            unit = units.get((beat.district_code, sector), 0)
            units[(beat.district_code, sector)] = unit + 1
            if unit >= len(UNIT_LETTERS) ** 2:
                sector = (sector + 5) % 10
                unit -= len(UNIT_LETTERS) ** 2
            letters = UNIT_LETTERS[unit // len(UNIT_LETTERS)] + UNIT_LETTERS[unit % len(UNIT_LETTERS)]
            current_postcode = f"{POSTCODE_AREA}{district_number} {sector}{letters}"
            current_key = key
            in_unit = 0
            unit_size = rng.randrange(8, 16)
        in_unit += 1
        lon, lat = degrees(building.x_km, building.y_km)
        village = not settlement.market_town
        addresses.append(
            GazetteerAddress(
                line=0,
                uprn=FIRST_UPRN + position,
                sub_building=sub_building,
                building_name=building.name,
                building_number=building.number,
                street=street,
                locality=settlement.name if village else "",
                town=post_town[beat.district_code] if village else settlement.name,
                postcode=current_postcode,
                postcode_key=addressing.postcode_key(current_postcode),
                classification=building.classification,
                latitude=lat,
                longitude=lon,
            )
        )
    return addresses


def plan_force(
    seed: int, *, districts: int, neighbourhoods: int, beats: int, addresses: int
) -> DemoGeography:
    """The whole geography for a seed. Same seed and sizes, same force, on any machine.

    It draws from its own generators, seeded from the demo seed, rather than the shared ones, so
    whether this step builds or finds the geography already there, later steps see the same
    random sequence.
    """
    rng = random.Random(f"iops-geo-{seed}")
    faker = Faker("en_GB")
    faker.seed_instance(rng.randrange(2**32))
    lattice = Lattice(rng)
    district_areas, neighbourhood_areas, beat_areas, lsoa_areas, towns = plan_areas(
        rng, lattice, districts=districts, neighbourhoods=neighbourhoods, beats=beats, addresses=addresses
    )
    planned_addresses = plan_addresses(rng, faker, towns, beat_areas, neighbourhood_areas, addresses)
    return DemoGeography(
        district_areas, neighbourhood_areas, beat_areas, lsoa_areas, towns, planned_addresses
    )
