"""Read and write Advanced Mobile Location (AML) SMS messages, ETSI TS 103 625 version 1.

A handset that dials 999 or 112 sends its position to the emergency service as a text message of
``name=value`` fields separated by semicolons, for example
``A"ML=1;lt=+53.48095;lg=-2.23743;rd=50;top=20240101120000;lc=68;pm=G;si=...;ei=...;mcc=234;mnc=30;ml=127``.
``parse_aml`` turns such a message into an ``AmlLocation`` or into a list of reasons a call handler
can read, and never raises: a control room must not lose a call because a message was garbled.
``format_aml`` writes a location back as a message, and the two round-trip.

How strict the reader is, and why:

* Every version-1 field is required and may appear once; fields may come in any order; whitespace
  and line ends around the message are dropped. An empty value, an empty field (``;;`` or a
  trailing ``;``) or a field without ``=`` is refused.
* ``ml`` (message length, counting the whole message including the ``ml`` field) should equal the
  number of characters received. A mismatch is reported as a warning beside the location, not as
  a refusal: senders are known to count differently (with or without the header or the ``ml``
  field itself), and every other field is still checked on its own, so a miscounted length alone
  must not throw away a 999 caller's position. A malformed ``ml`` value is still refused.
* ``rd`` is whole metres or ``N`` (not available). A decimal radius, which some handsets send,
  is rounded up to the next metre with a warning: a larger circle never misleads a search.
* ``pm=N`` means the handset had no position; the message still parses (it identifies the
  handset), but ``AmlLocation.position`` is None so nobody plots the placeholder coordinates.
* Fields not in version 1 are ignored with a warning, so a later revision that adds a field
  does not stop the location being used; ``ml`` still covers them.
* Other versions (``A"ML=2`` is Google's experimental "ELS beta" layout, not part of the ETSI
  specification) are refused with a reason naming the version.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

HEADER = 'A"ML'
SUPPORTED_VERSION = "1"

# Characters of a value quoted in a reason: enough to recognise it, never a wall of text.
_SHOWN_CHARACTERS = 40

_COORDINATE = re.compile(r"[+-]?[0-9]{1,3}(?:\.[0-9]{1,10})?", re.ASCII)
_WHOLE_METRES = re.compile(r"[0-9]{1,7}", re.ASCII)
_DECIMAL_METRES = re.compile(r"[0-9]{1,7}\.[0-9]{1,6}", re.ASCII)
_TIMESTAMP = re.compile(r"[0-9]{14}", re.ASCII)
_PERCENT = re.compile(r"[0-9]{1,3}", re.ASCII)
_IMSI = re.compile(r"[0-9]{5,15}", re.ASCII)
_IMEI = re.compile(r"[0-9]{14,16}", re.ASCII)
_MCC = re.compile(r"[0-9]{3}", re.ASCII)
_MNC = re.compile(r"[0-9]{2,3}", re.ASCII)
_LENGTH = re.compile(r"[0-9]{1,4}", re.ASCII)
_VERSION = re.compile(r"[0-9]{1,3}", re.ASCII)


class PositioningMethod(StrEnum):
    """How the handset found its position (the ``pm`` field)."""

    GNSS = "G"
    WIFI = "W"
    CELL = "C"
    NONE = "N"

    @property
    def label(self) -> str:
        return _METHOD_LABELS[self]


_METHOD_LABELS = {
    PositioningMethod.GNSS: "GNSS (satellite)",
    PositioningMethod.WIFI: "Wi-Fi",
    PositioningMethod.CELL: "mobile cell",
    PositioningMethod.NONE: "no position",
}

# The version-1 fields in the order handsets send them, with the words used in reasons.
FIELD_NAMES: dict[str, str] = {
    "lt": "latitude",
    "lg": "longitude",
    "rd": "radius",
    "top": "time of positioning",
    "lc": "level of confidence",
    "pm": "positioning method",
    "si": "IMSI",
    "ei": "IMEI",
    "mcc": "mobile country code",
    "mnc": "mobile network code",
    "ml": "message length",
}


class _Invalid(Exception):
    """One field's value is unusable; the message is the reason shown to the call handler."""


def _show(value: str) -> str:
    if len(value) > _SHOWN_CHARACTERS:
        return repr(value[:_SHOWN_CHARACTERS]) + "..."
    return repr(value)


def _coordinate(name: str, value: str, limit: int) -> Decimal:
    what = FIELD_NAMES[name]
    if not _COORDINATE.fullmatch(value):
        raise _Invalid(f"{name}: {_show(value)} is not a {what} in decimal degrees, such as +53.48095")
    number = Decimal(value)
    if not -limit <= number <= limit:
        raise _Invalid(f"{name}: {what} {value.lstrip('+')} is out of range -{limit}..{limit}")
    return number


def _latitude(value: str) -> Decimal:
    return _coordinate("lt", value, 90)


def _longitude(value: str) -> Decimal:
    return _coordinate("lg", value, 180)


def _radius(value: str) -> tuple[int | None, str | None]:
    """The radius in whole metres (None for ``N``) and any warning about rounding."""
    if value == "N":
        return None, None
    if _WHOLE_METRES.fullmatch(value):
        return int(value), None
    if _DECIMAL_METRES.fullmatch(value):
        metres = math.ceil(Decimal(value))
        if metres == Decimal(value):
            return metres, None
        return metres, f"rd: radius {value} m rounded up to {metres} m"
    raise _Invalid(f"rd: {_show(value)} is not a radius in metres or N (not available)")


def _time(value: str) -> datetime:
    complaint = f"top: {_show(value)} is not a UTC time YYYYMMDDhhmmss"
    if not _TIMESTAMP.fullmatch(value):
        raise _Invalid(complaint)
    try:
        return datetime(
            int(value[0:4]),
            int(value[4:6]),
            int(value[6:8]),
            int(value[8:10]),
            int(value[10:12]),
            int(value[12:14]),
            tzinfo=UTC,
        )
    except ValueError:
        raise _Invalid(complaint) from None


def _confidence(value: str) -> int:
    if not _PERCENT.fullmatch(value):
        raise _Invalid(f"lc: {_show(value)} is not a level of confidence in whole percent")
    percent = int(value)
    if percent > 100:
        raise _Invalid(f"lc: level of confidence {percent} is out of range 0..100")
    return percent


def _method(value: str) -> PositioningMethod:
    try:
        return PositioningMethod(value)
    except ValueError:
        raise _Invalid(
            f"pm: {_show(value)} is not a positioning method (G GNSS, W Wi-Fi, C cell, N none)"
        ) from None


def _digits(name: str, pattern: re.Pattern[str], wanted: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise _Invalid(f"{name}: {_show(value)} is not an {FIELD_NAMES[name]} ({wanted})")
        return value

    return check


_imsi = _digits("si", _IMSI, "5 to 15 digits")
_imei = _digits("ei", _IMEI, "14 to 16 digits")


def _mcc(value: str) -> str:
    if not _MCC.fullmatch(value):
        raise _Invalid(f"mcc: {_show(value)} is not a mobile country code (3 digits)")
    return value


def _mnc(value: str) -> str:
    if not _MNC.fullmatch(value):
        raise _Invalid(f"mnc: {_show(value)} is not a mobile network code (2 or 3 digits)")
    return value


def _format_coordinate(value: Decimal) -> str:
    return f"{value:+f}"


def _format_time(moment: datetime) -> str:
    # strftime("%Y") does not pad years before 1000 on every platform; this always does.
    return (
        f"{moment.year:04d}{moment.month:02d}{moment.day:02d}"
        f"{moment.hour:02d}{moment.minute:02d}{moment.second:02d}"
    )


@dataclass(frozen=True)
class AmlLocation:
    """A caller's position as reported by the handset, with the identities that came with it.

    Built only with values a message can carry (the constructor checks), so ``format_aml`` can
    always write it and ``parse_aml`` always reads back an equal location.
    """

    latitude: Decimal
    longitude: Decimal
    radius_m: int | None
    positioned_at: datetime
    confidence_percent: int
    positioning_method: PositioningMethod
    imsi: str
    imei: str
    mcc: str
    mnc: str

    def __post_init__(self) -> None:
        problems = _location_problems(self)
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def position(self) -> tuple[Decimal, Decimal] | None:
        """Latitude and longitude, or None when the handset had no position (``pm=N``)."""
        if self.positioning_method is PositioningMethod.NONE:
            return None
        return self.latitude, self.longitude


def _location_problems(location: AmlLocation) -> list[str]:
    problems: list[str] = []
    checks: list[tuple[str, object, type, Callable[[], object]]] = [
        ("latitude", location.latitude, Decimal, lambda: _latitude(_format_coordinate(location.latitude))),
        (
            "longitude",
            location.longitude,
            Decimal,
            lambda: _longitude(_format_coordinate(location.longitude)),
        ),
        ("positioned_at", location.positioned_at, datetime, lambda: _check_moment(location.positioned_at)),
        (
            "confidence_percent",
            location.confidence_percent,
            int,
            lambda: _confidence(str(location.confidence_percent)),
        ),
        ("positioning_method", location.positioning_method, PositioningMethod, lambda: None),
        ("imsi", location.imsi, str, lambda: _imsi(location.imsi)),
        ("imei", location.imei, str, lambda: _imei(location.imei)),
        ("mcc", location.mcc, str, lambda: _mcc(location.mcc)),
        ("mnc", location.mnc, str, lambda: _mnc(location.mnc)),
    ]
    for name, value, kind, check in checks:
        if not isinstance(value, kind) or isinstance(value, bool):
            problems.append(f"{name} must be a {kind.__name__}, not {type(value).__name__}")
            continue
        try:
            check()
        except _Invalid as invalid:
            problems.append(str(invalid))
    radius = location.radius_m
    if radius is not None and (
        not isinstance(radius, int) or isinstance(radius, bool) or not _WHOLE_METRES.fullmatch(str(radius))
    ):
        problems.append(f"radius_m must be None or whole metres 0..9999999, not {radius!r}")
    return problems


def _check_moment(moment: datetime) -> None:
    if moment.utcoffset() is None or moment.utcoffset() or moment.microsecond:
        raise _Invalid(f"top: {moment.isoformat()} must be a UTC time in whole seconds")


@dataclass(frozen=True)
class AmlParseResult:
    """What ``parse_aml`` made of a message: a location, or the reasons there is none.

    ``warnings`` are things a call handler may want to know about a usable message (an unknown
    field ignored, a radius rounded up); they never come with an empty ``location``.
    """

    location: AmlLocation | None
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.location is not None


def _refused(reasons: list[str]) -> AmlParseResult:
    return AmlParseResult(location=None, reasons=tuple(reasons))


def parse_aml(text: str) -> AmlParseResult:
    """Read an AML SMS; return a location, or every reason it cannot be used. Never raises."""
    try:
        return _parse(text)
    except Exception as error:  # a reader of emergency messages must not crash the call
        return _refused([f"the message could not be read ({type(error).__name__})"])


def _parse(text: str) -> AmlParseResult:
    if not isinstance(text, str):
        return _refused([f"the message must be text, not {type(text).__name__}"])
    message = text.strip()
    if not message:
        return _refused(["the message is empty"])

    reasons: list[str] = []
    warnings: list[str] = []
    values: dict[str, str] = {}
    seen: dict[str, int] = {}
    for position, part in enumerate(message.split(";"), start=1):
        if not part:
            reasons.append(f"field {position} is empty (two ';' in a row, or a ';' at the end)")
            continue
        name, equals, value = part.partition("=")
        if not equals or not name:
            reasons.append(f"field {position} {_show(part)} is not name=value")
            continue
        seen[name] = seen.get(name, 0) + 1
        if seen[name] == 2:
            reasons.append(f"{name}: appears more than once; each field may appear only once")
        if seen[name] > 1:
            continue
        if name != HEADER and name not in FIELD_NAMES:
            warnings.append(f"{name}: unknown field ignored (not in ETSI TS 103 625 version 1)")
            continue
        values[name] = value

    version = values.get(HEADER)
    if version is None and not any(name in seen for name in FIELD_NAMES):
        return _refused([f"not an AML message: it has no {HEADER} header and none of the AML fields"])
    if version is None:
        reasons.insert(0, f"missing field {HEADER} (the header giving the version, {HEADER}=1)")
    elif version != SUPPORTED_VERSION:
        if _VERSION.fullmatch(version):
            complaint = f"version {version} is not supported; iOPS reads version 1 (ETSI TS 103 625)"
        elif not version:
            complaint = "the version is empty"
        else:
            complaint = f"{_show(version)} is not a version number"
        # A message of another version has other fields: listing them as faults would mislead.
        return _refused([f"{HEADER}: {complaint}"])

    for name, what in FIELD_NAMES.items():
        if name not in values and seen.get(name, 0) == 0:
            reasons.append(f"missing field {name} ({what})")
        elif name in values and values[name] == "":
            reasons.append(f"{name}: the {what} is empty")

    parsed: dict[str, object] = {}
    readers: dict[str, Callable[[str], object]] = {
        "lt": _latitude,
        "lg": _longitude,
        "top": _time,
        "lc": _confidence,
        "pm": _method,
        "si": _imsi,
        "ei": _imei,
        "mcc": _mcc,
        "mnc": _mnc,
    }
    for name, read in readers.items():
        given = values.get(name)
        if not given:
            continue
        try:
            parsed[name] = read(given)
        except _Invalid as invalid:
            reasons.append(str(invalid))

    radius: int | None = None
    if values.get("rd"):
        try:
            radius, rounding = _radius(values["rd"])
        except _Invalid as invalid:
            reasons.append(str(invalid))
        else:
            if rounding:
                warnings.append(rounding)

    length = values.get("ml")
    if length:
        if not _LENGTH.fullmatch(length):
            reasons.append(f"ml: {_show(length)} is not a message length in characters")
        elif int(length) != len(message):
            warnings.append(
                f"ml: message length {int(length)} does not match the {len(message)} characters received;"
                " check the position with the caller"
            )

    if reasons:
        return _refused(reasons)

    method = parsed["pm"]
    assert isinstance(method, PositioningMethod)
    latitude, longitude = parsed["lt"], parsed["lg"]
    assert isinstance(latitude, Decimal) and isinstance(longitude, Decimal)
    if method is PositioningMethod.NONE and (latitude or longitude):
        warnings.append("pm: N (no position) but lt and lg are not zero; the coordinates are not a fix")
    positioned_at, confidence = parsed["top"], parsed["lc"]
    assert isinstance(positioned_at, datetime) and isinstance(confidence, int)
    location = AmlLocation(
        latitude=latitude,
        longitude=longitude,
        radius_m=radius,
        positioned_at=positioned_at,
        confidence_percent=confidence,
        positioning_method=method,
        imsi=str(parsed["si"]),
        imei=str(parsed["ei"]),
        mcc=str(parsed["mcc"]),
        mnc=str(parsed["mnc"]),
    )
    return AmlParseResult(location=location, warnings=tuple(warnings))


def format_aml(location: AmlLocation) -> str:
    """Write a location as a version-1 AML SMS, fields in the usual order, ``ml`` last."""
    fields = [
        f"{HEADER}={SUPPORTED_VERSION}",
        f"lt={_format_coordinate(location.latitude)}",
        f"lg={_format_coordinate(location.longitude)}",
        f"rd={'N' if location.radius_m is None else location.radius_m}",
        f"top={_format_time(location.positioned_at.astimezone(UTC))}",
        f"lc={location.confidence_percent}",
        f"pm={location.positioning_method.value}",
        f"si={location.imsi}",
        f"ei={location.imei}",
        f"mcc={location.mcc}",
        f"mnc={location.mnc}",
    ]
    body = ";".join(fields) + ";ml="
    # ml counts itself, so adding its digits can lengthen the message: settle on a fixed point.
    length = len(body) + 1
    while len(body) + len(str(length)) != length:
        length = len(body) + len(str(length))
    return body + str(length)
