"""Reading a gazetteer CSV in the shape of a UPRN address file (OS AddressBase and its kin).

A force loads its own gazetteer from the local authorities' or Ordnance Survey's address file. The
file needs a header row; its columns are matched by name, case and punctuation ignored, against
the aliases below, so ``UPRN,SAO_TEXT,PAO_START_NUMBER,STREET_DESCRIPTION,TOWN_NAME,POSTCODE_LOCATOR,
CLASS,LATITUDE,LONGITUDE`` and ``uprn,flat,house number,street,town,postcode,x,y`` both load.
Positions are WGS84 latitude and longitude, or National Grid eastings and northings (converted).
Each row is either an address or a rejection with its line number; a bad row never stops the rest.
The list of accepted headers is in docs/howto/load-force-geography.md: keep the two in step.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from iops.geo import addressing
from iops.geo.national_grid import bng_to_wgs84, in_grid_range

# Field -> accepted header names, in order of preference (the first present is used).
COLUMNS: dict[str, tuple[str, ...]] = {
    "uprn": ("UPRN",),
    "sub_building": ("SAO_TEXT", "SAO", "SUB_BUILDING_NAME", "SUB_BUILDING", "FLAT"),
    "sao_start_number": ("SAO_START_NUMBER",),
    "sao_start_suffix": ("SAO_START_SUFFIX",),
    "sao_end_number": ("SAO_END_NUMBER",),
    "sao_end_suffix": ("SAO_END_SUFFIX",),
    "building_name": ("BUILDING_NAME", "PAO_TEXT", "BUILDING"),
    "building_number": ("BUILDING_NUMBER", "PAO_START_NUMBER", "PAO", "HOUSE_NUMBER", "NUMBER"),
    "pao_start_suffix": ("PAO_START_SUFFIX",),
    "pao_end_number": ("PAO_END_NUMBER",),
    "pao_end_suffix": ("PAO_END_SUFFIX",),
    "street": ("STREET_DESCRIPTION", "STREET", "THOROUGHFARE", "STREET_NAME"),
    "locality": ("LOCALITY", "DEPENDENT_LOCALITY", "LOCALITY_NAME"),
    "town": ("TOWN_NAME", "TOWN", "POST_TOWN", "POSTTOWN"),
    "postcode": ("POSTCODE_LOCATOR", "POSTCODE", "POST_CODE"),
    "classification": ("CLASSIFICATION_CODE", "CLASS", "CLASSIFICATION"),
    "latitude": ("LATITUDE", "LAT"),
    "longitude": ("LONGITUDE", "LON", "LNG", "LONG"),
    "easting": ("EASTING", "X_COORDINATE", "X", "X_COORD"),
    "northing": ("NORTHING", "Y_COORDINATE", "Y", "Y_COORD"),
}

# The model's column widths, so a long value is a rejected row rather than a database error.
MAX_LENGTHS = {
    "sub_building": 120,
    "building_name": 120,
    "building_number": 16,
    "street": 160,
    "locality": 120,
    "town": 120,
    "classification": 8,
}
MAX_UPRN = 999_999_999_999  # twelve digits

# Where a force's gazetteer may lie: Great Britain, Northern Ireland and the Crown dependencies.
# A position outside is nearly always latitude and longitude swapped, or a grid position in the
# degree columns.
LATITUDE_RANGE = (49.0, 61.0)
LONGITUDE_RANGE = (-8.8, 2.0)

_CLASSIFICATION_RE = re.compile(r"^[A-Z0-9]{1,8}$")
_HEADER_CLEAN = re.compile(r"[^A-Z0-9]+")


class GazetteerFileInvalid(ValueError):
    """The file as a whole cannot be read (no header, no UPRN column, no position columns)."""

    def __init__(self, message: str, field: str = "header") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(slots=True)
class GazetteerAddress:
    """One good row. Not frozen: a frozen dataclass's constructor costs several times more, and a
    real gazetteer makes hundreds of thousands of these."""

    line: int
    uprn: int
    sub_building: str
    building_name: str
    building_number: str
    street: str
    locality: str
    town: str
    postcode: str
    postcode_key: str
    classification: str
    latitude: float
    longitude: float

    @property
    def full_address(self) -> str:
        return addressing.full_address(
            sub_building=self.sub_building,
            building_name=self.building_name,
            building_number=self.building_number,
            street=self.street,
            locality=self.locality,
            town=self.town,
            postcode=self.postcode,
        )

    @property
    def search_text(self) -> str:
        return addressing.search_text(
            sub_building=self.sub_building,
            building_name=self.building_name,
            building_number=self.building_number,
            street=self.street,
            locality=self.locality,
            town=self.town,
            postcode=self.postcode,
        )


@dataclass(frozen=True)
class Rejection:
    line: int
    message: str
    field: str = ""


def header_key(name: str) -> str:
    """``"Street Description"``, ``"street-description"`` -> ``"STREET_DESCRIPTION"``."""
    return _HEADER_CLEAN.sub("_", name.replace("\ufeff", "").strip().upper()).strip("_")


def map_header(header: list[str]) -> tuple[dict[str, int], list[str]]:
    """Field -> column index, and the columns that were not used. Raises if the file cannot load."""
    keys = [header_key(name) for name in header]
    positions: dict[str, int] = {}
    for field, aliases in COLUMNS.items():
        for alias in aliases:
            if alias in keys:
                positions[field] = keys.index(alias)
                break
    if "uprn" not in positions:
        raise GazetteerFileInvalid(
            "The header has no UPRN column. The first row must name the columns; see "
            "docs/howto/load-force-geography.md for the names accepted."
        )
    has_degrees = "latitude" in positions and "longitude" in positions
    has_grid = "easting" in positions and "northing" in positions
    if not (has_degrees or has_grid):
        found = [field for field in ("latitude", "longitude", "easting", "northing") if field in positions]
        raise GazetteerFileInvalid(
            "The header needs LATITUDE and LONGITUDE columns, or EASTING and NORTHING (X_COORDINATE "
            f"and Y_COORDINATE); it has {', '.join(found).upper() or 'none of them'}."
        )
    used = set(positions.values())
    ignored = [name for index, name in enumerate(header) if index not in used and name.strip()]
    return positions, ignored


def _number_range(start: str, start_suffix: str, end: str, end_suffix: str) -> str:
    """AddressBase numbers: start, suffix, end -> ``"12A"``, ``"12-14"``."""
    first = f"{start}{start_suffix}".strip()
    last = f"{end}{end_suffix}".strip()
    return f"{first}-{last}" if first and last else first or last


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def _position(values: dict[str, str]) -> tuple[float, float] | Rejection:
    latitude_text = values.get("latitude", "")
    longitude_text = values.get("longitude", "")
    if latitude_text or longitude_text:
        latitude, longitude = _float(latitude_text), _float(longitude_text)
        if latitude is None:
            return Rejection(0, f"latitude '{latitude_text}' is not a number", "latitude")
        if longitude is None:
            return Rejection(0, f"longitude '{longitude_text}' is not a number", "longitude")
        if not LATITUDE_RANGE[0] <= latitude <= LATITUDE_RANGE[1]:
            swapped = LATITUDE_RANGE[0] <= longitude <= LATITUDE_RANGE[1]
            hint = " (latitude and longitude look swapped)" if swapped else ""
            return Rejection(
                0,
                f"latitude {latitude} is outside the United Kingdom ({LATITUDE_RANGE[0]} to {LATITUDE_RANGE[1]}){hint}",
                "latitude",
            )
        if not LONGITUDE_RANGE[0] <= longitude <= LONGITUDE_RANGE[1]:
            return Rejection(
                0,
                f"longitude {longitude} is outside the United Kingdom ({LONGITUDE_RANGE[0]} to {LONGITUDE_RANGE[1]})",
                "longitude",
            )
        return latitude, longitude
    easting_text = values.get("easting", "")
    northing_text = values.get("northing", "")
    if easting_text or northing_text:
        easting, northing = _float(easting_text), _float(northing_text)
        if easting is None:
            return Rejection(0, f"easting '{easting_text}' is not a number", "easting")
        if northing is None:
            return Rejection(0, f"northing '{northing_text}' is not a number", "northing")
        if not in_grid_range(easting, northing):
            return Rejection(
                0,
                f"easting {easting}, northing {northing} is not on the National Grid "
                "(easting 0 to 700000, northing 0 to 1300000)",
                "easting",
            )
        return bng_to_wgs84(easting, northing)
    return Rejection(
        0, "the row has no position (latitude and longitude, or easting and northing)", "latitude"
    )


def parse_row(line: int, row: list[str], positions: dict[str, int]) -> GazetteerAddress | Rejection:
    values = {field: row[index].strip() if index < len(row) else "" for field, index in positions.items()}
    uprn_text = values["uprn"]
    if not uprn_text.isdigit() or not 0 < int(uprn_text) <= MAX_UPRN:
        return Rejection(line, f"UPRN '{uprn_text}' is not a reference number of 1 to 12 digits", "uprn")
    position = _position(values)
    if isinstance(position, Rejection):
        return Rejection(line, position.message, position.field)
    sub_building = " ".join(
        part
        for part in (
            values.get("sub_building", ""),
            _number_range(
                values.get("sao_start_number", ""),
                values.get("sao_start_suffix", ""),
                values.get("sao_end_number", ""),
                values.get("sao_end_suffix", ""),
            ),
        )
        if part
    )
    building_number = _number_range(
        values.get("building_number", ""),
        values.get("pao_start_suffix", ""),
        values.get("pao_end_number", ""),
        values.get("pao_end_suffix", ""),
    )
    parts = {
        "sub_building": sub_building,
        "building_name": values.get("building_name", ""),
        "building_number": building_number,
        "street": values.get("street", ""),
        "locality": values.get("locality", ""),
        "town": values.get("town", ""),
        "classification": values.get("classification", "").upper(),
    }
    for field, limit in MAX_LENGTHS.items():
        if len(parts[field]) > limit:
            return Rejection(line, f"{field.replace('_', ' ')} is longer than {limit} characters", field)
    if not (parts["street"] or parts["building_name"] or parts["sub_building"]):
        return Rejection(line, "the row has no street, building name or sub-building to show", "street")
    if parts["classification"] and not _CLASSIFICATION_RE.match(parts["classification"]):
        return Rejection(
            line, f"classification '{parts['classification']}' is not a class code", "classification"
        )
    postcode_text = values.get("postcode", "")
    postcode = ""
    if postcode_text:
        normalised = addressing.normalise_postcode(postcode_text)
        if normalised is None:
            return Rejection(line, f"postcode '{postcode_text}' is not a UK postcode", "postcode")
        postcode = normalised
    latitude, longitude = position
    return GazetteerAddress(
        line=line,
        uprn=int(uprn_text),
        postcode=postcode,
        postcode_key=addressing.postcode_key(postcode),
        latitude=round(latitude, 7),
        longitude=round(longitude, 7),
        **parts,
    )


@dataclass
class GazetteerReading:
    """What reading a file found: each row in turn, and the columns left unused."""

    rows: Iterator[GazetteerAddress | Rejection]
    ignored_columns: list[str]


def read_gazetteer(lines: Iterable[str]) -> GazetteerReading:
    """Read the header now (raising ``GazetteerFileInvalid``) and the rows lazily.

    A UPRN given twice keeps its first row; the later ones are rejected with the first's line.
    """
    iterator = iter(lines)
    header_line = 0
    first = None
    for candidate in iterator:
        header_line += 1
        if candidate.strip():
            first = candidate
            break
    if first is None:
        raise GazetteerFileInvalid("The file is empty.")
    # The delimiter is the commonest of the usual ones in the header (AddressBase uses commas;
    # spreadsheets exported in some locales use semicolons or tabs).
    delimiter = max(",\t;|", key=first.count) if any(mark in first for mark in ",\t;|") else ","
    header = next(csv.reader([first], delimiter=delimiter))
    positions, ignored = map_header(header)

    def rows() -> Iterator[GazetteerAddress | Rejection]:
        reader = csv.reader(iterator, delimiter=delimiter)
        seen: dict[int, int] = {}
        for row in reader:
            # csv counts the lines it has read since the header (a quoted field may span lines).
            line = reader.line_num + header_line
            if not row or not any(cell.strip() for cell in row):
                continue
            parsed = parse_row(line, row, positions)
            if isinstance(parsed, GazetteerAddress):
                if parsed.uprn in seen:
                    yield Rejection(
                        line, f"UPRN {parsed.uprn} was already given on line {seen[parsed.uprn]}", "uprn"
                    )
                    continue
                seen[parsed.uprn] = line
            yield parsed

    return GazetteerReading(rows=rows(), ignored_columns=ignored)
