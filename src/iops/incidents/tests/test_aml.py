"""The AML reader: what a call handler sees for good, odd and broken caller-location messages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iops.incidents.aml import (
    FIELD_NAMES,
    AmlLocation,
    PositioningMethod,
    format_aml,
    parse_aml,
)

# Synthetic identities: a UK network code with a made-up subscriber and handset.
FIELDS: list[tuple[str, str]] = [
    ('A"ML', "1"),
    ("lt", "+53.48095"),
    ("lg", "-2.23743"),
    ("rd", "50"),
    ("top", "20240101120000"),
    ("lc", "68"),
    ("pm", "G"),
    ("si", "234300000000000"),
    ("ei", "356700000000001"),
    ("mcc", "234"),
    ("mnc", "30"),
]


def build(fields: list[tuple[str, str]]) -> str:
    """A message of these fields followed by a correct ml."""
    body = ";".join(f"{name}={value}" for name, value in fields) + ";ml="
    length = next(n for n in range(len(body), len(body) + 10) if len(body) + len(str(n)) == n)
    return body + str(length)


def replaced(name: str, value: str) -> list[tuple[str, str]]:
    return [(key, value if key == name else old) for key, old in FIELDS]


def without(name: str) -> list[tuple[str, str]]:
    return [(key, value) for key, value in FIELDS if key != name]


GOOD = build(FIELDS)


def coordinates(limit: int) -> st.SearchStrategy[Decimal]:
    return st.integers(0, 7).flatmap(
        lambda places: st.integers(-limit * 10**places, limit * 10**places).map(
            lambda n: Decimal(n).scaleb(-places)
        )
    )


def digits(low: int, high: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=low, max_size=high)


locations = st.builds(
    AmlLocation,
    latitude=coordinates(90),
    longitude=coordinates(180),
    radius_m=st.none() | st.integers(0, 9_999_999),
    positioned_at=st.datetimes(timezones=st.just(UTC)).map(lambda moment: moment.replace(microsecond=0)),
    confidence_percent=st.integers(0, 100),
    positioning_method=st.sampled_from(PositioningMethod),
    imsi=digits(5, 15),
    imei=digits(14, 16),
    mcc=digits(3, 3),
    mnc=digits(2, 3),
)


def test_a_good_message_gives_the_callers_position() -> None:
    result = parse_aml(GOOD)

    assert result.ok and result.reasons == () and result.warnings == ()
    location = result.location
    assert location is not None
    assert location.position == (Decimal("53.48095"), Decimal("-2.23743"))
    assert location.radius_m == 50
    assert location.positioned_at == datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert location.confidence_percent == 68
    assert location.positioning_method is PositioningMethod.GNSS
    assert (location.imsi, location.imei, location.mcc, location.mnc) == (
        "234300000000000",
        "356700000000001",
        "234",
        "30",
    )


@given(locations)
def test_every_field_round_trips(location: AmlLocation) -> None:
    result = parse_aml(format_aml(location))

    assert result.reasons == ()
    assert result.location == location


@given(locations)
def test_the_written_message_counts_its_own_length(location: AmlLocation) -> None:
    message = format_aml(location)

    assert message.startswith('A"ML=1;')
    assert message.endswith(f";ml={len(message)}")


@given(locations, st.data())
def test_fields_may_come_in_any_order(location: AmlLocation, data: st.DataObject) -> None:
    parts = data.draw(st.permutations(format_aml(location).split(";")))

    assert parse_aml(";".join(parts)).location == location


@given(locations, st.text(alphabet=" \t\r\n"), st.text(alphabet=" \t\r\n"))
def test_whitespace_and_line_ends_around_the_message_are_ignored(
    location: AmlLocation, before: str, after: str
) -> None:
    assert parse_aml(before + format_aml(location) + after).location == location


@given(st.text())
def test_any_text_gives_a_location_or_reasons_and_never_raises(text: str) -> None:
    result = parse_aml(text)

    assert (result.location is None) == bool(result.reasons)
    assert all(isinstance(reason, str) and reason for reason in result.reasons)


@given(st.binary().map(lambda raw: raw.decode("latin-1")))
def test_bytes_read_as_text_never_raise(text: str) -> None:
    result = parse_aml(text)

    assert result.location is None and result.reasons


@given(locations, st.data())
def test_losing_a_character_is_always_noticed(location: AmlLocation, data: st.DataObject) -> None:
    message = format_aml(location)
    index = data.draw(st.integers(0, len(message) - 1))

    result = parse_aml(message[:index] + message[index + 1 :])

    # Never silently accepted: refused, or kept with the length warning for the call handler.
    assert (result.location is None and result.reasons) or any(w.startswith("ml:") for w in result.warnings)


@given(locations, st.data())
def test_a_stray_character_is_always_noticed(location: AmlLocation, data: st.DataObject) -> None:
    message = format_aml(location)
    index = data.draw(st.integers(0, len(message)))
    # Whitespace at either end is trimmed by design, so the stray character is never whitespace.
    stray = data.draw(st.characters().filter(lambda character: character.strip() == character))

    result = parse_aml(message[:index] + stray + message[index:])

    assert (result.location is None and result.reasons) or any(w.startswith("ml:") for w in result.warnings)


@pytest.mark.parametrize("name", list(FIELD_NAMES)[:-1])
def test_a_missing_field_is_named(name: str) -> None:
    result = parse_aml(build(without(name)))

    assert result.location is None
    assert result.reasons == (f"missing field {name} ({FIELD_NAMES[name]})",)


def test_a_missing_header_is_named() -> None:
    result = parse_aml(build(without('A"ML')))

    assert result.reasons == ('missing field A"ML (the header giving the version, A"ML=1)',)


def test_a_missing_message_length_is_named() -> None:
    result = parse_aml(GOOD.rsplit(";", 1)[0])

    assert result.reasons == ("missing field ml (message length)",)


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("lt", "+95.1", "lt: latitude 95.1 is out of range -90..90"),
        ("lt", "-90.00001", "lt: latitude -90.00001 is out of range -90..90"),
        ("lg", "-180.5", "lg: longitude -180.5 is out of range -180..180"),
        ("lt", "abc", "lt: 'abc' is not a latitude in decimal degrees, such as +53.48095"),
        ("lt", "NaN", "lt: 'NaN' is not a latitude in decimal degrees, such as +53.48095"),
        ("lt", "5.3e1", "lt: '5.3e1' is not a latitude in decimal degrees, such as +53.48095"),
        ("lt", "+53,48095", "lt: '+53,48095' is not a latitude in decimal degrees, such as +53.48095"),
        (
            "lg",
            "\u0662.\u0663",
            "lg: '\u0662.\u0663' is not a longitude in decimal degrees, such as +53.48095",
        ),
        ("lt", " 53.4", "lt: ' 53.4' is not a latitude in decimal degrees, such as +53.48095"),
        ("lt", "", "lt: the latitude is empty"),
        ("rd", "-5", "rd: '-5' is not a radius in metres or N (not available)"),
        ("rd", "fifty", "rd: 'fifty' is not a radius in metres or N (not available)"),
        ("rd", "", "rd: the radius is empty"),
        ("top", "20241301", "top: '20241301' is not a UTC time YYYYMMDDhhmmss"),
        ("top", "20241301120000", "top: '20241301120000' is not a UTC time YYYYMMDDhhmmss"),
        ("top", "20240230120000", "top: '20240230120000' is not a UTC time YYYYMMDDhhmmss"),
        ("top", "20240101246000", "top: '20240101246000' is not a UTC time YYYYMMDDhhmmss"),
        ("top", "2024-01-01T12:00:00Z", "top: '2024-01-01T12:00:00Z' is not a UTC time YYYYMMDDhhmmss"),
        ("lc", "150", "lc: level of confidence 150 is out of range 0..100"),
        ("lc", "68%", "lc: '68%' is not a level of confidence in whole percent"),
        ("pm", "X", "pm: 'X' is not a positioning method (G GNSS, W Wi-Fi, C cell, N none)"),
        ("pm", "g", "pm: 'g' is not a positioning method (G GNSS, W Wi-Fi, C cell, N none)"),
        ("pm", "", "pm: the positioning method is empty"),
        ("si", "2343O0000000000", "si: '2343O0000000000' is not an IMSI (5 to 15 digits)"),
        ("si", "2343000000000000", "si: '2343000000000000' is not an IMSI (5 to 15 digits)"),
        ("ei", "123", "ei: '123' is not an IMEI (14 to 16 digits)"),
        ("mcc", "23", "mcc: '23' is not a mobile country code (3 digits)"),
        ("mnc", "3", "mnc: '3' is not a mobile network code (2 or 3 digits)"),
        ('A"ML', "2", 'A"ML: version 2 is not supported; iOPS reads version 1 (ETSI TS 103 625)'),
        ('A"ML', "one", "A\"ML: 'one' is not a version number"),
        ('A"ML', "", 'A"ML: the version is empty'),
    ],
)
def test_a_bad_value_is_refused_with_a_reason_naming_the_field(name: str, value: str, reason: str) -> None:
    result = parse_aml(build(replaced(name, value)))

    assert result.location is None
    assert result.reasons == (reason,)


def test_a_length_that_does_not_match_what_arrived_keeps_the_location_with_a_warning() -> None:
    # The example in DESIGN section 9 says ml=124, but the message has 127 characters: senders
    # count differently, and a 999 caller's position must not be thrown away for it.
    message = (
        'A"ML=1;lt=+53.48095;lg=-2.23743;rd=50;top=20240101120000;lc=68;pm=G;'
        "si=234302543446355;ei=356708041746734;mcc=234;mnc=30;ml=124"
    )

    result = parse_aml(message)

    assert result.location is not None
    assert (result.location.latitude, result.location.longitude) == (Decimal("53.48095"), Decimal("-2.23743"))
    assert result.reasons == ()
    assert any("ml: message length 124 does not match the 127 characters" in w for w in result.warnings)


def test_a_length_that_is_not_a_number_is_refused() -> None:
    result = parse_aml(GOOD.rsplit("=", 1)[0] + "=12x")

    assert result.reasons == ("ml: '12x' is not a message length in characters",)


def test_a_repeated_field_is_refused_even_with_the_same_value() -> None:
    result = parse_aml(build([*FIELDS, ("lt", "+53.48095")]))

    assert result.location is None
    assert result.reasons == ("lt: appears more than once; each field may appear only once",)


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (build([*FIELDS[:3], ("", "x"), *FIELDS[3:]]), "field 4 '=x' is not name=value"),
        (
            build([*FIELDS[:3], ("rd50", ""), *FIELDS[4:]]).replace("rd50=", "rd50"),
            "field 4 'rd50' is not name=value",
        ),
        (GOOD.replace(";lg=", ";;lg="), "field 3 is empty (two ';' in a row, or a ';' at the end)"),
        (GOOD + ";", "field 13 is empty (two ';' in a row, or a ';' at the end)"),
    ],
)
def test_a_broken_field_structure_is_refused(message: str, reason: str) -> None:
    result = parse_aml(message)

    assert result.location is None
    assert reason in result.reasons


@pytest.mark.parametrize("text", ["", "   ", "\r\n", "\t \r\n "])
def test_an_empty_message_is_refused(text: str) -> None:
    assert parse_aml(text).reasons == ("the message is empty",)


def test_text_that_is_not_an_aml_message_gets_one_plain_reason() -> None:
    result = parse_aml("Help, I'm at the corner of Oldham Street")

    assert result.reasons == ('not an AML message: it has no A"ML header and none of the AML fields',)


def test_a_value_that_is_not_text_is_refused_without_raising() -> None:
    result = parse_aml(None)  # type: ignore[arg-type]

    assert result.reasons == ("the message must be text, not NoneType",)


def test_no_position_is_read_but_not_offered_as_a_position() -> None:
    message = build(
        [
            ('A"ML', "1"),
            ("lt", "+00.00000"),
            ("lg", "+000.00000"),
            ("rd", "N"),
            ("top", "20240101120000"),
            ("lc", "0"),
            ("pm", "N"),
            *FIELDS[7:],
        ]
    )

    result = parse_aml(message)

    assert result.ok and result.warnings == ()
    assert result.location is not None
    assert result.location.position is None
    assert result.location.radius_m is None
    assert result.location.positioning_method is PositioningMethod.NONE
    assert format_aml(result.location).startswith('A"ML=1;lt=+0.00000;lg=+0.00000;rd=N;')


def test_no_position_with_coordinates_warns_that_they_are_not_a_fix() -> None:
    result = parse_aml(build(replaced("pm", "N")))

    assert result.location is not None and result.location.position is None
    assert result.warnings == (
        "pm: N (no position) but lt and lg are not zero; the coordinates are not a fix",
    )


def test_an_unknown_radius_is_kept_as_unknown() -> None:
    result = parse_aml(build(replaced("rd", "N")))

    assert result.location is not None
    assert result.location.radius_m is None
    assert result.location.position == (Decimal("53.48095"), Decimal("-2.23743"))


def test_a_decimal_radius_is_rounded_up_with_a_warning() -> None:
    result = parse_aml(build(replaced("rd", "20.1")))

    assert result.location is not None and result.location.radius_m == 21
    assert result.warnings == ("rd: radius 20.1 m rounded up to 21 m",)


def test_a_whole_decimal_radius_needs_no_warning() -> None:
    result = parse_aml(build(replaced("rd", "20.0")))

    assert result.location is not None and result.location.radius_m == 20
    assert result.warnings == ()


def test_an_unknown_field_is_ignored_with_a_warning() -> None:
    result = parse_aml(build([*FIELDS, ("fl", "3")]))

    assert result.location == parse_aml(GOOD).location
    assert result.warnings == ("fl: unknown field ignored (not in ETSI TS 103 625 version 1)",)


def test_more_decimal_places_than_usual_are_kept_exactly() -> None:
    result = parse_aml(build(replaced("lt", "+53.4809512")))

    assert result.location is not None
    assert result.location.latitude == Decimal("53.4809512")
    assert "lt=+53.4809512;" in format_aml(result.location)


def test_a_time_in_another_zone_is_written_in_utc() -> None:
    location = parse_aml(GOOD).location
    assert location is not None
    # 13:00 in a zone one hour ahead of UTC is 12:00 UTC, but only UTC itself is accepted.
    with pytest.raises(ValueError, match="must be a UTC time"):
        AmlLocation(
            **{
                **location.__dict__,
                "positioned_at": datetime(2024, 1, 1, 13, 0, tzinfo=timezone(timedelta(hours=1))),
            }
        )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"latitude": Decimal("91")}, "lt: latitude 91 is out of range -90..90"),
        ({"latitude": 53.48}, "latitude must be a Decimal, not float"),
        ({"positioned_at": datetime(2024, 1, 1, 12, 0)}, "must be a UTC time in whole seconds"),
        (
            {"positioned_at": datetime(2024, 1, 1, 12, 0, 0, 5, tzinfo=UTC)},
            "must be a UTC time in whole seconds",
        ),
        ({"radius_m": -1}, "radius_m must be None or whole metres"),
        ({"confidence_percent": 101}, "lc: level of confidence 101 is out of range 0..100"),
        ({"positioning_method": "G"}, "positioning_method must be a PositioningMethod"),
        ({"imei": "12"}, "ei: '12' is not an IMEI"),
    ],
)
def test_a_location_that_no_message_could_carry_cannot_be_made(
    change: dict[str, object], message: str
) -> None:
    location = parse_aml(GOOD).location
    assert location is not None

    with pytest.raises(ValueError, match=re.escape(message)):
        AmlLocation(**{**location.__dict__, **change})  # type: ignore[arg-type]


def test_positioning_methods_have_readable_labels() -> None:
    assert [method.label for method in PositioningMethod] == [
        "GNSS (satellite)",
        "Wi-Fi",
        "mobile cell",
        "no position",
    ]
