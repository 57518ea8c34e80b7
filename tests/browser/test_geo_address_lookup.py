"""Finding an address as a call handler does: typing part of it and seeing the matches appear."""

from __future__ import annotations

import io
from typing import Any

from playwright.sync_api import expect

from iops.geo.services import gazetteer_import
from iops.geo.tests.conftest import GAZETTEER, load_geography
from tests.browser.conftest import sign_in


def test_typing_part_of_an_address_shows_the_matches(page: Any, make_user: Any) -> None:
    load_geography()
    gazetteer_import(acting_user=None, lines=io.StringIO(GAZETTEER), source="test.csv")
    make_user("handler3", "call_handler")
    sign_in(page, "handler3")
    page.get_by_role("link", name="Addresses").click()
    expect(page.get_by_role("heading", name="Find an address")).to_be_visible()
    page.get_by_label("Address or postcode").fill("flat 3 12 high st")
    matches = page.get_by_test_id("address-matches")
    expect(matches.get_by_role("link").first).to_have_text("FLAT 3, 12 HIGH STREET, WESTMERE, DM1 2AB")
    expect(matches).to_contain_text("UPRN 900000000002")
    page.get_by_label("Address or postcode").fill("dm2 5hy")
    expect(matches.get_by_role("link")).to_have_text(
        ["MILL FARM, FEN LANE, UPPER SALLOWBY, EASTHOLT, DM2 5HY"]
    )
    matches.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "MILL FARM, FEN LANE, UPPER SALLOWBY, EASTHOLT, DM2 5HY"
    )
    expect(page.get_by_text("Eastholt north (EN1B), rural")).to_be_visible()
