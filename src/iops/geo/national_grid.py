"""British National Grid eastings and northings to and from WGS84 latitude and longitude.

Gazetteers and boundary files from British sources often give positions in OSGB36 National Grid
metres (EPSG:27700) rather than latitude and longitude. The conversion is the Ordnance Survey's
published method ("A guide to coordinate systems in Great Britain", annexes B and C): the inverse
Transverse Mercator projection on the Airy 1830 ellipsoid gives OSGB36 latitude and longitude,
which go to Earth-centred Cartesian coordinates, through the seven-parameter Helmert
transformation to ETRS89/WGS84, and back to latitude and longitude on GRS80. The Helmert step is
good to about 3.5 m (95%); OSTN15 would be centimetric but needs a 16 MB grid file, and a few metres
is well inside what placing an address in a beat needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Ellipsoid:
    a: float
    b: float

    @property
    def e2(self) -> float:
        return (self.a**2 - self.b**2) / self.a**2


AIRY_1830 = Ellipsoid(6_377_563.396, 6_356_256.909)
GRS80 = Ellipsoid(6_378_137.000, 6_356_752.3141)

# National Grid projection constants.
F0 = 0.9996012717
PHI0 = math.radians(49.0)
LAMBDA0 = math.radians(-2.0)
E0 = 400_000.0
N0 = -100_000.0


@dataclass(frozen=True)
class Helmert:
    """Translations in metres, scale in parts per million, rotations in arc-seconds."""

    tx: float
    ty: float
    tz: float
    s: float
    rx: float
    ry: float
    rz: float

    def inverse(self) -> Helmert:
        # Negating every parameter inverts the small-angle transformation to within millimetres.
        return Helmert(-self.tx, -self.ty, -self.tz, -self.s, -self.rx, -self.ry, -self.rz)


WGS84_TO_OSGB36 = Helmert(-446.448, 125.157, -542.060, 20.4894, -0.1502, -0.2470, -0.8421)
OSGB36_TO_WGS84 = WGS84_TO_OSGB36.inverse()

# The National Grid covers Great Britain; anything outside these is not a grid reference.
EASTING_RANGE = (0.0, 700_000.0)
NORTHING_RANGE = (0.0, 1_300_000.0)


def _meridional_arc(phi: float) -> float:
    a, b = AIRY_1830.a, AIRY_1830.b
    n = (a - b) / (a + b)
    n2, n3 = n * n, n * n * n
    d = phi - PHI0
    s = phi + PHI0
    return (
        b
        * F0
        * (
            (1 + n + 1.25 * n2 + 1.25 * n3) * d
            - (3 * n + 3 * n2 + 2.625 * n3) * math.sin(d) * math.cos(s)
            + (1.875 * n2 + 1.875 * n3) * math.sin(2 * d) * math.cos(2 * s)
            - (35 / 24) * n3 * math.sin(3 * d) * math.cos(3 * s)
        )
    )


def _radii(phi: float) -> tuple[float, float, float]:
    """nu, rho and eta squared at latitude ``phi`` on the scaled Airy ellipsoid."""
    a, e2 = AIRY_1830.a, AIRY_1830.e2
    sin2 = math.sin(phi) ** 2
    nu = a * F0 / math.sqrt(1 - e2 * sin2)
    rho = a * F0 * (1 - e2) / (1 - e2 * sin2) ** 1.5
    return nu, rho, nu / rho - 1


def grid_to_osgb36(easting: float, northing: float) -> tuple[float, float]:
    """Inverse Transverse Mercator: National Grid metres to OSGB36 (latitude, longitude) in degrees."""
    a = AIRY_1830.a
    phi = (northing - N0) / (a * F0) + PHI0
    arc = _meridional_arc(phi)
    # Iterate until the arc matches the northing to a hundredth of a millimetre.
    for _ in range(20):
        if abs(northing - N0 - arc) < 1e-5:
            break
        phi += (northing - N0 - arc) / (a * F0)
        arc = _meridional_arc(phi)
    nu, rho, eta2 = _radii(phi)
    tan = math.tan(phi)
    tan2, tan4, tan6 = tan**2, tan**4, tan**6
    sec = 1 / math.cos(phi)
    vii = tan / (2 * rho * nu)
    viii = tan / (24 * rho * nu**3) * (5 + 3 * tan2 + eta2 - 9 * tan2 * eta2)
    ix = tan / (720 * rho * nu**5) * (61 + 90 * tan2 + 45 * tan4)
    x = sec / nu
    xi = sec / (6 * nu**3) * (nu / rho + 2 * tan2)
    xii = sec / (120 * nu**5) * (5 + 28 * tan2 + 24 * tan4)
    xiia = sec / (5040 * nu**7) * (61 + 662 * tan2 + 1320 * tan4 + 720 * tan6)
    de = easting - E0
    latitude = phi - vii * de**2 + viii * de**4 - ix * de**6
    longitude = LAMBDA0 + x * de - xi * de**3 + xii * de**5 - xiia * de**7
    return math.degrees(latitude), math.degrees(longitude)


def osgb36_to_grid(latitude: float, longitude: float) -> tuple[float, float]:
    """Transverse Mercator: OSGB36 (latitude, longitude) in degrees to National Grid metres."""
    phi = math.radians(latitude)
    lam = math.radians(longitude)
    nu, rho, eta2 = _radii(phi)
    sin, cos, tan2 = math.sin(phi), math.cos(phi), math.tan(phi) ** 2
    i = _meridional_arc(phi) + N0
    ii = nu / 2 * sin * cos
    iii = nu / 24 * sin * cos**3 * (5 - tan2 + 9 * eta2)
    iiia = nu / 720 * sin * cos**5 * (61 - 58 * tan2 + tan2**2)
    iv = nu * cos
    v = nu / 6 * cos**3 * (nu / rho - tan2)
    vi = nu / 120 * cos**5 * (5 - 18 * tan2 + tan2**2 + 14 * eta2 - 58 * tan2 * eta2)
    dl = lam - LAMBDA0
    northing = i + ii * dl**2 + iii * dl**4 + iiia * dl**6
    easting = E0 + iv * dl + v * dl**3 + vi * dl**5
    return easting, northing


def to_cartesian(
    latitude: float, longitude: float, height: float, ellipsoid: Ellipsoid
) -> tuple[float, float, float]:
    """Latitude, longitude (degrees) and ellipsoidal height to Earth-centred x, y, z in metres."""
    phi = math.radians(latitude)
    lam = math.radians(longitude)
    e2 = ellipsoid.e2
    nu = ellipsoid.a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
    return (
        (nu + height) * math.cos(phi) * math.cos(lam),
        (nu + height) * math.cos(phi) * math.sin(lam),
        ((1 - e2) * nu + height) * math.sin(phi),
    )


def from_cartesian(x: float, y: float, z: float, ellipsoid: Ellipsoid) -> tuple[float, float, float]:
    """Earth-centred x, y, z to latitude, longitude (degrees) and ellipsoidal height."""
    e2 = ellipsoid.e2
    p = math.hypot(x, y)
    phi = math.atan2(z, p * (1 - e2))
    nu = ellipsoid.a
    for _ in range(20):
        nu = ellipsoid.a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
        following = math.atan2(z + e2 * nu * math.sin(phi), p)
        if abs(following - phi) < 1e-13:
            phi = following
            break
        phi = following
    nu = ellipsoid.a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
    return math.degrees(phi), math.degrees(math.atan2(y, x)), p / math.cos(phi) - nu


def helmert(x: float, y: float, z: float, params: Helmert) -> tuple[float, float, float]:
    """The seven-parameter (position vector, small-angle) Helmert transformation."""
    arcsec = math.pi / (180 * 3600)
    s = params.s * 1e-6
    rx, ry, rz = params.rx * arcsec, params.ry * arcsec, params.rz * arcsec
    return (
        params.tx + (1 + s) * x - rz * y + ry * z,
        params.ty + rz * x + (1 + s) * y - rx * z,
        params.tz - ry * x + rx * y + (1 + s) * z,
    )


def bng_to_wgs84(easting: float, northing: float) -> tuple[float, float]:
    """National Grid metres to WGS84 (latitude, longitude) in degrees, good to a few metres."""
    latitude, longitude = grid_to_osgb36(easting, northing)
    x, y, z = to_cartesian(latitude, longitude, 0.0, AIRY_1830)
    latitude, longitude, _ = from_cartesian(*helmert(x, y, z, OSGB36_TO_WGS84), GRS80)
    return latitude, longitude


def wgs84_to_bng(latitude: float, longitude: float) -> tuple[float, float]:
    """WGS84 (latitude, longitude) in degrees to National Grid metres (easting, northing)."""
    x, y, z = to_cartesian(latitude, longitude, 0.0, GRS80)
    latitude, longitude, _ = from_cartesian(*helmert(x, y, z, WGS84_TO_OSGB36), AIRY_1830)
    return osgb36_to_grid(latitude, longitude)


def in_grid_range(easting: float, northing: float) -> bool:
    return (
        EASTING_RANGE[0] <= easting <= EASTING_RANGE[1] and NORTHING_RANGE[0] <= northing <= NORTHING_RANGE[1]
    )
