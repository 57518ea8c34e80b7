"""Reading a force's boundary file: a GeoJSON FeatureCollection of Polygons and MultiPolygons.

Boundary files come from a force's GIS team or from the ONS Open Geography Portal. Each feature
becomes one area; which property holds its code, name and parent's code is the operator's choice.
ONS publishes most boundaries both in WGS84 and in British National Grid metres (a GeoJSON with a
``crs`` naming EPSG:27700); both are accepted, and grid positions are converted to WGS84 here. Any
fault is reported with the feature's place in the file and the property at fault, because the file
is loaded all or nothing and the operator has to find the one bad feature among hundreds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from iops.geo.geometry import BBox, GeometryInvalid, bbox_of, validate_geometry
from iops.geo.national_grid import bng_to_wgs84, in_grid_range

MAX_CODE_LENGTH = 32
MAX_NAME_LENGTH = 160


class BoundaryFileInvalid(ValueError):
    """What is wrong and where: ``field`` is a path such as ``features[12].properties.code``."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class BoundaryFeature:
    index: int
    code: str
    name: str
    parent_code: str
    setting: str
    geometry: dict[str, Any]
    bbox: BBox


def _is_british_grid(collection: dict[str, Any]) -> bool:
    crs = collection.get("crs")
    if not isinstance(crs, dict):
        return False
    name = str((crs.get("properties") or {}).get("name", ""))
    return name.replace("::", ":").upper().endswith(("EPSG:27700", "EPSG:27700:"))


def _is_position(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) >= 2
        and all(isinstance(item, int | float) and not isinstance(item, bool) for item in value)
    )


def _grid_to_wgs84(value: Any, path: str) -> Any:
    """Convert every [easting, northing] position of a coordinates array to [longitude, latitude].
    Anything that is not a position or a list is left as it is for validation to report."""
    if _is_position(value):
        easting, northing = float(value[0]), float(value[1])
        if not in_grid_range(easting, northing):
            raise GeometryInvalid(
                f"[{value[0]}, {value[1]}] is not a National Grid position "
                "(easting 0 to 700000, northing 0 to 1300000)",
                path,
            )
        latitude, longitude = bng_to_wgs84(easting, northing)
        return [round(longitude, 7), round(latitude, 7)]
    if isinstance(value, list):
        return [_grid_to_wgs84(item, f"{path}[{index}]") for index, item in enumerate(value)]
    return value


def _text(properties: dict[str, Any], name: str) -> str:
    value = properties.get(name)
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()


def read_boundaries(
    collection: Any,
    *,
    code_property: str = "code",
    name_property: str = "name",
    parent_property: str = "",
    setting_property: str = "setting",
) -> list[BoundaryFeature]:
    """Check every feature and return them; raise ``BoundaryFileInvalid`` at the first fault."""
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise BoundaryFileInvalid("The file must be a GeoJSON FeatureCollection.", "type")
    features = collection.get("features")
    if not isinstance(features, list) or not features:
        raise BoundaryFileInvalid("The FeatureCollection has no features.", "features")
    british_grid = _is_british_grid(collection)
    seen: dict[str, int] = {}
    result = []
    for index, feature in enumerate(features):
        where = f"features[{index}]"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise BoundaryFileInvalid(f"Feature {index} is not a GeoJSON Feature.", where)
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            raise BoundaryFileInvalid(
                f"Feature {index}: properties must be an object.", f"{where}.properties"
            )
        code = _text(properties, code_property)
        if not code:
            raise BoundaryFileInvalid(
                f"Feature {index}: property '{code_property}' (the area's code) is missing or empty.",
                f"{where}.properties.{code_property}",
            )
        if len(code) > MAX_CODE_LENGTH:
            raise BoundaryFileInvalid(
                f"Feature {index}: code '{code[:40]}...' is longer than {MAX_CODE_LENGTH} characters.",
                f"{where}.properties.{code_property}",
            )
        if code in seen:
            raise BoundaryFileInvalid(
                f"Feature {index}: code '{code}' is used again (first by feature {seen[code]}).",
                f"{where}.properties.{code_property}",
            )
        seen[code] = index
        name = _text(properties, name_property) or code
        if len(name) > MAX_NAME_LENGTH:
            raise BoundaryFileInvalid(
                f"Feature {index} ('{code}'): name is longer than {MAX_NAME_LENGTH} characters.",
                f"{where}.properties.{name_property}",
            )
        parent_code = _text(properties, parent_property) if parent_property else ""
        setting = _text(properties, setting_property).lower() if setting_property else ""
        if setting and setting not in ("urban", "rural"):
            raise BoundaryFileInvalid(
                f"Feature {index} ('{code}'): setting '{setting}' must be 'urban' or 'rural'.",
                f"{where}.properties.{setting_property}",
            )
        geometry = feature.get("geometry")
        try:
            if british_grid and isinstance(geometry, dict):
                geometry = {
                    **geometry,
                    "coordinates": _grid_to_wgs84(geometry.get("coordinates"), "coordinates"),
                }
            geometry = validate_geometry(geometry)
        except GeometryInvalid as error:
            path = f"{where}.geometry" + (f".{error.path}" if error.path else "")
            raise BoundaryFileInvalid(
                f"Feature {index} ('{code}'): {path}: {error.message}.", path
            ) from error
        result.append(
            BoundaryFeature(
                index=index,
                code=code,
                name=name,
                parent_code=parent_code,
                setting=setting or "urban",
                geometry=geometry,
                bbox=bbox_of(geometry),
            )
        )
    return result
