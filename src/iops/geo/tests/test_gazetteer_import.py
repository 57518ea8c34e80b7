"""Loading a gazetteer CSV: columns by name in any spelling, positions in degrees or grid metres,
upsert by UPRN, every bad row reported by line while the good ones load."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given, settings
from hypothesis import strategies as st

from iops.audit.models import AuditEntry
from iops.geo.gazetteer import GazetteerAddress, Rejection, read_gazetteer
from iops.geo.models import Address, SearchWord
from iops.geo.national_grid import wgs84_to_bng
from iops.geo.services import gazetteer_import
from iops.geo.tests.conftest import GAZETTEER
from iops.geo.tests.factories import LAT0, LON0
from iops.platform.errors import ValidationFailed

pytestmark = pytest.mark.django_db


def load(text: str) -> object:
    return gazetteer_import(acting_user=None, lines=io.StringIO(text), source="test.csv")


def test_addresses_load_with_their_parts_beat_and_statistical_area(geography: None) -> None:
    result = load(GAZETTEER)
    assert (result.created, result.updated, result.rejected) == (6, 0, [])
    flat = Address.objects.select_related("beat", "lsoa").get(uprn=900000000002)
    assert flat.full_address == "FLAT 3, 12 HIGH STREET, WESTMERE, DM1 2AB"
    assert (flat.sub_building, flat.building_number, flat.classification) == ("FLAT 3", "12", "RD06")
    assert flat.beat.code == "WN1A" and flat.lsoa.code == "X01000000"
    farm = Address.objects.get(uprn=900000000005)
    assert farm.full_address == "MILL FARM, FEN LANE, UPPER SALLOWBY, EASTHOLT, DM2 5HY"
    assert farm.beat.code == "EN1B"
    entry = AuditEntry.objects.get(operation="geo.gazetteer_import")
    assert entry.action == "collection" and entry.actor_username == "system"
    assert entry.detail["created"] == 6 and entry.detail["rejected"] == 0


def test_loading_again_updates_changed_rows_only(gazetteer: None) -> None:
    changed = GAZETTEER.replace("7,MARKET PLACE", "9,MARKET PLACE")
    result = load(changed)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 5)
    assert Address.objects.get(uprn=900000000006).full_address == "9 MARKET PLACE, EASTHOLT, DM2 1AA"
    assert Address.objects.count() == 6


def test_easting_and_northing_are_converted_to_the_same_place(geography: None) -> None:
    easting, northing = wgs84_to_bng(LAT0 + 0.03, LON0 + 0.04)
    result = load(
        f"uprn,house number,street,town,postcode,x,y\n900000000010,4,Tannery Lane,Westmere,dm14ab,{easting:.2f},{northing:.2f}\n"
    )
    assert result.created == 1
    address = Address.objects.get(uprn=900000000010)
    # Grid references to the centimetre come back within a millimetre or so of the position.
    assert address.latitude == pytest.approx(LAT0 + 0.03, abs=1e-6)
    assert address.longitude == pytest.approx(LON0 + 0.04, abs=1e-6)
    assert address.postcode == "DM1 4AB"
    assert address.beat.code == "WN1A"


def test_bad_rows_are_reported_by_line_and_good_rows_still_load(geography: None) -> None:
    text = (
        "UPRN;Building Number;Street Description;Town;Postcode;Latitude;Longitude\n"
        f"900000000020;1;Tannery Lane;Westmere;DM1 4AB;{LAT0 + 0.01};{LON0 + 0.01}\n"
        f"abc;2;Tannery Lane;Westmere;DM1 4AB;{LAT0 + 0.01};{LON0 + 0.01}\n"
        f"900000000022;3;Tannery Lane;Westmere;NOT A CODE;{LAT0 + 0.01};{LON0 + 0.01}\n"
        f"900000000023;4;Tannery Lane;Westmere;DM1 4AB;{LON0};{LAT0}\n"
        "900000000024;5;Tannery Lane;Westmere;DM1 4AB;;\n"
        "\n"
        f"900000000020;6;Tannery Lane;Westmere;DM1 4AB;{LAT0 + 0.01};{LON0 + 0.01}\n"
        f"900000000026;;;;DM1 4AB;{LAT0 + 0.01};{LON0 + 0.01}\n"
    )
    result = load(text)
    assert result.created == 1
    assert [(rejection.line, rejection.field) for rejection in result.rejected] == [
        (3, "uprn"),
        (4, "postcode"),
        (5, "latitude"),
        (6, "latitude"),
        (8, "uprn"),
        (9, "street"),
    ]
    messages = [rejection.message for rejection in result.rejected]
    assert "latitude and longitude look swapped" in messages[2]
    assert messages[4] == "UPRN 900000000020 was already given on line 2"
    assert AuditEntry.objects.get(operation="geo.gazetteer_import").detail["first_rejections"][0] == {
        "line": 3,
        "message": "UPRN 'abc' is not a reference number of 1 to 12 digits",
    }


def test_a_file_without_the_columns_it_needs_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="no UPRN column"):
        load("ID,STREET,LATITUDE,LONGITUDE\n1,High Street,52.6,-0.9\n")
    with pytest.raises(ValidationFailed, match="it has LATITUDE") as raised:
        load("UPRN,STREET,LATITUDE\n1,High Street,52.6\n")
    assert raised.value.field == "header"
    assert not AuditEntry.objects.filter(operation="geo.gazetteer_import").exists()


def test_addressbase_number_ranges_and_suffixes_are_joined() -> None:
    header = "UPRN,SAO_START_NUMBER,SAO_START_SUFFIX,PAO_START_NUMBER,PAO_START_SUFFIX,PAO_END_NUMBER,STREET_DESCRIPTION,LATITUDE,LONGITUDE"
    rows = list(
        read_gazetteer([header, "1,2,B,12,A,,HIGH STREET,52.6,-0.9", "2,,,14,,16,HIGH STREET,52.6,-0.9"]).rows
    )
    assert isinstance(rows[0], GazetteerAddress) and isinstance(rows[1], GazetteerAddress)
    assert (rows[0].sub_building, rows[0].building_number) == ("2B", "12A")
    assert rows[1].building_number == "14-16"


def test_words_of_the_gazetteer_are_kept_for_correcting_typing(gazetteer: None) -> None:
    words = set(SearchWord.objects.values_list("word", flat=True))
    assert {"high", "westmere", "eastholt", "sallowby", "market", "marys"} <= words
    assert not words & {"12", "st", "dm12ab"}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.characters(max_codepoint=0x017F, exclude_characters="\r\n\x00"), max_size=12),
        min_size=1,
        max_size=9,
    )
)
def test_any_row_is_an_address_or_a_rejection_never_an_error(cells: list[str]) -> None:
    reading = read_gazetteer(["UPRN,SAO,PAO,STREET,TOWN,POSTCODE,CLASS,LAT,LON", ",".join(cells)])
    for row in reading.rows:
        assert isinstance(row, GazetteerAddress | Rejection)
        if isinstance(row, Rejection):
            assert row.line == 2 and row.message


def test_the_command_prints_rejections_and_counts(
    geography: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "gazetteer.csv"
    path.write_text(GAZETTEER + "12x,,,1,HIGH STREET,,WESTMERE,DM1 2AB,RD04,52.6,-0.9\n", encoding="utf-8")
    call_command("import_gazetteer", str(path))
    out = capsys.readouterr().out
    assert "line 8: UPRN '12x' is not a reference number" in out
    assert "gazetteer.csv: 6 addresses (6 new, 0 updated, 0 unchanged), 1 rows rejected" in out


def test_the_command_refuses_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("UPRN,STREET,LATITUDE,LONGITUDE\n1,Caf\xe9 Row,52.6,-0.9\n".encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("import_gazetteer", str(path))
    assert not Address.objects.exists()
