"""The board, a unit's own page and the figures page, as people use them without JavaScript."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from iops.dispatch.choices import UnitStatus
from iops.dispatch.models import Assignment
from iops.dispatch.tests import factories

pytestmark = pytest.mark.django_db


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def handler() -> Any:
    return factories.user("handler", "call_handler")


@pytest.fixture
def dispatcher() -> Client:
    return _signed_in(factories.user("dispatcher", "dispatcher"))


def test_the_board_lists_open_incidents_emergency_first_with_recommended_units(
    dispatcher: Client, handler: Any
) -> None:
    priority = factories.incident(handler, grade="priority", opened_minutes_ago=20)
    emergency = factories.incident(handler, grade="emergency", opened_minutes_ago=2)
    factories.unit("NM-R21")
    page = dispatcher.get("/dispatch/board/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index(f'id="incident-{emergency.pk}"') < html.index(f'id="incident-{priority.pk}"')
    assert "Assign NM-R21" in html
    assert 'data-events-url="/api/v1/events"' in html
    assert "left" in html  # the attendance clock


def test_the_board_is_for_the_control_room(handler: Any) -> None:
    officer = _signed_in(factories.user("pc1", "response_officer"))
    assert officer.get("/dispatch/board/").status_code == 403
    assert Client().get("/dispatch/board/").status_code == 302


def test_assigning_from_the_board_without_javascript(dispatcher: Client, handler: Any) -> None:
    incident = factories.incident(handler)
    unit = factories.unit("NM-R21")
    response = dispatcher.post(f"/dispatch/incidents/{incident.pk}/assign/", {"unit": unit.pk}, follow=True)
    assert response.status_code == 200
    assert f"NM-R21 assigned to incident {incident.reference}." in response.content.decode()
    assert Assignment.objects.filter(incident=incident, unit=unit).exists()
    other = factories.incident(handler)
    response = dispatcher.post(f"/dispatch/incidents/{other.pk}/assign/", {"unit": unit.pk})
    assert response.status_code == 409
    assert (
        f"Unit NM-R21 is not available: it is assigned to incident {incident.reference}."
        in response.content.decode()
    )


def test_assigning_from_the_live_board_answers_in_json(dispatcher: Client, handler: Any) -> None:
    incident = factories.incident(handler)
    unit = factories.unit("NM-R21")
    factories.unit("NM-R22")
    ask = {"HTTP_ACCEPT": "application/json"}
    response = dispatcher.post(f"/dispatch/incidents/{incident.pk}/assign/", {"unit": unit.pk}, **ask)
    assert response.json() == {"message": f"NM-R21 assigned to incident {incident.reference}."}
    response = dispatcher.post(f"/dispatch/incidents/{incident.pk}/assign/", {"unit": unit.pk}, **ask)
    assert response.status_code == 409
    assert response.json()["code"] == "unit_not_available"
    fragment = dispatcher.get("/dispatch/board/incidents/").content.decode()
    assert 'data-testid="assigned-unit"' in fragment and "NM-R21" in fragment


def test_the_fragments_are_the_boards_own_regions(dispatcher: Client, handler: Any) -> None:
    factories.incident(handler)
    factories.unit("NM-R21")
    incidents = dispatcher.get("/dispatch/board/incidents/").content.decode()
    units = dispatcher.get("/dispatch/board/units/").content.decode()
    assert incidents.startswith('<div id="board-incidents"')
    assert units.startswith('<div id="board-units"')
    assert 'data-call-sign="NM-R21"' in units


def test_a_crew_member_reports_status_from_their_units_page(handler: Any) -> None:
    officer = factories.user("pc1", "response_officer")
    unit = factories.unit("NM-R21", crew=[officer])
    client = _signed_in(officer)
    assert client.get("/dispatch/units/").url == f"/dispatch/units/{unit.pk}/"
    page = client.get(f"/dispatch/units/{unit.pk}/").content.decode()
    assert ">Refreshment</button>" in page and ">At scene</button>" not in page
    response = client.post(
        f"/dispatch/units/{unit.pk}/", {"status": "refreshment", "note": "Meal"}, follow=True
    )
    assert "NM-R21 is now refreshment." in response.content.decode()
    unit.refresh_from_db()
    assert unit.status == UnitStatus.REFRESHMENT
    response = client.post(f"/dispatch/units/{unit.pk}/", {"latitude": "95", "longitude": "-2.2"})
    assert response.status_code == 400


def test_the_figures_page_shows_tables_beside_its_charts(handler: Any) -> None:
    command = _signed_in(factories.user("inspector", "command"))
    factories.incident(handler)
    page = command.get("/dispatch/figures/", {"bucket": "day"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="calls-table"' in html and 'data-testid="attendance-totals"' in html
    assert 'id="figures-data"' in html
    response = command.get(
        "/dispatch/figures/", {"bucket": "day", "start": "2026-11-22", "end": "2026-11-01"}
    )
    assert response.status_code == 400
    assert "The start must be before the end." in response.content.decode()


def test_the_dispatchers_home_panel_lists_incidents_waiting_for_a_unit(handler: Any) -> None:
    dispatcher = factories.user("dispatcher", "dispatcher")
    incident = factories.incident(handler)
    page = _signed_in(dispatcher).get("/").content.decode()
    assert incident.reference in page
    factories.unit("NM-R21")
    from iops.dispatch import services

    services.assignment_create(acting_user=dispatcher, incident=incident, unit=factories.unit("NM-R22"))
    page = _signed_in(dispatcher).get("/").content.decode()
    assert "No incidents are waiting for a unit." in page
