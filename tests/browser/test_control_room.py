"""The control room end to end: a call handler takes a 999 call and a dispatcher, with the live board
open in another browser, sees it arrive without reloading, sends the recommended unit, and sees the
unit's report of arrival as it happens.

Uses the call-taking page's documented hooks (tests/browser/test_call_taking.py) and the board's:
test ids board-live, board-notice, board-incidents, board-incident (data-incident-id, data-reference),
incident-grade, incident-units, assigned-unit, incident-recommendations, recommended-unit
(data-unit-id), attendance-clock, board-units, board-unit (data-call-sign), unit-status; buttons
"Assign <call sign> to incident <reference>", "Stand down <call sign> from incident <reference>".
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from iops.accounts.services import token_create
from iops.dispatch import services as dispatch_services
from iops.dispatch.choices import UnitStatus
from iops.incidents import services as incident_services
from iops.incidents.models import Incident
from iops.incidents.tests.factories import (
    THRIVE_ANSWERS,
    aml_message,
    beat,
    resident_with_marker,
    searchable_address,
)
from tests.browser.conftest import sign_in


@pytest.fixture
def second_page(browser: Any, server_url: str, transactional_db: Any) -> Iterator[Any]:
    """Another person's browser, beside the ``page`` fixture's."""
    context = browser.new_context(base_url=server_url, locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def control_room(make_user: Any) -> dict[str, Any]:
    area = beat()
    address = searchable_address(area)
    resident_with_marker(address, given="Jordan", family="Blakeley", marker="violence")
    make_user("handler1", "call_handler", first_name="Priya", last_name="Shah")
    make_user("dispatcher1", "dispatcher", first_name="Sam", last_name="Okoro")
    officer = make_user("officer1", "response_officer", first_name="Kit", last_name="Marsh")
    near = dispatch_services.unit_create(
        acting_user=None,
        call_sign="NM-R21",
        unit_type="response",
        skills=["taser"],
        crew=[officer],
        status=UnitStatus.AVAILABLE,
        latitude=address.latitude + 0.004,
        longitude=address.longitude,
    )
    dispatch_services.unit_create(
        acting_user=None,
        call_sign="NM-R35",
        unit_type="response",
        status=UnitStatus.AVAILABLE,
        latitude=address.latitude + 0.03,
        longitude=address.longitude - 0.02,
    )
    return {"address": address, "unit": near, "officer": officer}


def _open_board(page: Any) -> None:
    sign_in(page, "dispatcher1")
    page.goto("/dispatch/board/")
    expect(page.get_by_test_id("board-live")).to_contain_text("Live:")
    # Set on this page load only: if the board reloaded, it would be gone.
    page.evaluate("window.__boardLoadedOnce = true")


def _still_same_page(page: Any) -> bool:
    return bool(page.evaluate("window.__boardLoadedOnce === true"))


def _report(base_url: str, token: str, unit_id: int, status: str) -> dict[str, Any]:
    """The officer's device reports the unit's status through the API."""
    request = urllib.request.Request(  # noqa: S310
        f"{base_url}/api/v1/units/{unit_id}/status",
        data=json.dumps({"status": status}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return dict(json.load(response))


def _take_the_call(page: Any, address: Any) -> None:
    sign_in(page, "handler1")
    page.goto("/incidents/new/")
    expect(page.get_by_label("999 emergency")).to_be_focused()
    page.get_by_label("Caller's name").fill("Alex Morgan")
    page.get_by_label("What the caller said").fill("My ex-partner is outside, shouting that he will hurt me")
    page.get_by_label("AML message").fill(aml_message(address.latitude, address.longitude, 25))
    expect(page.get_by_test_id("location-used")).to_contain_text("caller's handset")
    # The marker of the person who lives there shows without any search.
    risk = page.get_by_test_id("risk-panel")
    expect(risk.get_by_test_id("risk-person")).to_contain_text(re.compile("Jordan Blakeley", re.IGNORECASE))
    expect(risk.get_by_test_id("risk-marker")).to_have_text("Violence")
    page.get_by_label("Opening category").select_option(label="Domestic incident (no crime disclosed)")
    page.get_by_label("Domestic abuse").check()
    for part, answer in THRIVE_ANSWERS.items():
        page.get_by_label(f"{part.capitalize()} (optional)", exact=True).fill(answer)
    page.get_by_label("Emergency (attend within 15 min urban, 20 min rural)").check()
    page.get_by_role("button", name="Create incident").click()
    expect(page.get_by_test_id("incident-grade")).to_have_text("Emergency")


def test_a_999_call_reaches_the_live_board_and_the_recommended_unit_is_sent_and_arrives(
    page: Any, second_page: Any, control_room: dict[str, Any], server_url: str
) -> None:
    board = second_page
    _open_board(board)
    expect(board.get_by_test_id("board-no-incidents")).to_be_visible()

    _take_the_call(page, control_room["address"])
    incident = Incident.objects.get()

    # The new incident appears on the open board, emergency, with its clock running and the nearest
    # available unit recommended first.
    row = board.locator(f"[data-testid=board-incident][data-incident-id='{incident.pk}']")
    expect(row).to_be_visible()
    expect(row.get_by_test_id("incident-grade")).to_have_text("Emergency")
    expect(row.get_by_test_id("attendance-clock")).to_have_text(re.compile(r"1[45]:\d\d left"))
    expect(row).to_contain_text("Domestic abuse")
    recommended = row.get_by_test_id("recommended-unit")
    expect(recommended.first).to_contain_text("NM-R21")
    expect(recommended.nth(1)).to_contain_text("NM-R35")

    # The dispatcher sends the recommended unit.
    row.get_by_role("button", name=f"Assign NM-R21 to incident {incident.reference}").click()
    expect(board.get_by_test_id("board-notice")).to_contain_text(
        f"NM-R21 assigned to incident {incident.reference}."
    )
    expect(row.get_by_test_id("assigned-unit")).to_contain_text("NM-R21")
    expect(row.get_by_test_id("assigned-unit")).to_contain_text("Assigned")
    unit_row = board.locator("[data-testid=board-unit][data-call-sign='NM-R21']")
    expect(unit_row.get_by_test_id("unit-status")).to_have_text("Assigned")

    # The crew's device reports arrival through the API; the board shows it without a reload.
    token = token_create(acting_user=None, user=control_room["officer"], name="device")[1]
    reported = _report(server_url, token, control_room["unit"].pk, "at_scene")
    assert reported["status"] == "at_scene"
    expect(unit_row.get_by_test_id("unit-status")).to_have_text("At scene")
    expect(row.get_by_test_id("assigned-unit")).to_contain_text("At scene")
    expect(row.get_by_test_id("attendance-clock")).to_have_text(re.compile(r"Attended in \d+:\d\d"))
    assert _still_same_page(board)
    incident.refresh_from_db()
    assert incident.first_arrived_at is not None


def test_assigning_from_a_board_that_is_behind_gets_a_clear_refusal(
    page: Any, control_room: dict[str, Any], make_user: Any
) -> None:
    caller = make_user("handler2", "call_handler")
    incident = incident_services.incident_create(
        acting_user=caller,
        opening_category="PSW-CONCERN",
        latitude=control_room["address"].latitude,
        longitude=control_room["address"].longitude,
    )
    # This board hears nothing (its event stream is cut), so it still offers NM-R21 after the crew
    # has gone on a meal break.
    page.route("**/api/v1/events*", lambda route: route.abort())
    sign_in(page, "dispatcher1")
    page.goto("/dispatch/board/")
    dispatch_services.unit_set_status(
        acting_user=control_room["officer"], unit=control_room["unit"], status=UnitStatus.REFRESHMENT
    )
    page.get_by_role("button", name=f"Assign NM-R21 to incident {incident.reference}").click()
    notice = page.get_by_test_id("board-notice")
    expect(notice).to_contain_text("Unit NM-R21 is not available: it is refreshment. Choose another unit.")
    expect(notice).to_contain_text("That was not done")
    # The board has refetched: NM-R21 is no longer offered, NM-R35 is.
    row = page.locator(f"[data-testid=board-incident][data-incident-id='{incident.pk}']")
    expect(row.get_by_test_id("recommended-unit")).to_have_count(1)
    expect(row.get_by_test_id("recommended-unit")).to_contain_text("NM-R35")


def test_the_map_draws_beats_and_points_without_a_tile_server(
    page: Any, control_room: dict[str, Any]
) -> None:
    sign_in(page, "dispatcher1")
    page.goto("/dispatch/board/")
    canvas = page.locator("#board-map")
    # The beat's polygon and the two units' markers; no tile images at all.
    expect(canvas.locator("path.leaflet-interactive").first).to_be_visible()
    expect(canvas.locator(".iops-map-unit")).to_have_count(2)
    expect(canvas.locator("img.leaflet-tile")).to_have_count(0)
