"""The dispatch API as a dispatcher's console and an officer's device use it: bearer tokens, JSON in
and out, and errors as ``{"code", "message", "field"}`` with a 4xx status."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from iops.accounts.services import token_create
from iops.dispatch.choices import UnitStatus
from iops.dispatch.models import Unit
from iops.dispatch.tests import factories

pytestmark = pytest.mark.django_db


class Api:
    """A client that sends one user's bearer token with every request."""

    def __init__(self, user: Any) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token_create(acting_user=None, user=user)[1]}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(
            f"/api/v1{path}", json.dumps(body), content_type="application/json", headers=self.headers
        )


@pytest.fixture
def dispatcher() -> Api:
    return Api(factories.user("dispatcher", "dispatcher"))


@pytest.fixture
def handler() -> Any:
    return factories.user("handler", "call_handler")


def test_recommendations_are_ranked_with_eta_and_distance(dispatcher: Api, handler: Any) -> None:
    incident = factories.incident(handler)
    factories.unit("NM-R22", at=(53.50, -2.25))
    factories.unit("NM-R21", at=(53.475, -2.25))
    response = dispatcher.get(f"/incidents/{incident.pk}/recommendations")
    assert response.status_code == 200
    body = response.json()
    assert body["incident"] == incident.pk
    assert body["needed_skills"] == []
    assert [r["unit"]["call_sign"] for r in body["recommendations"]] == ["NM-R21", "NM-R22"]
    first = body["recommendations"][0]
    assert first["eta_seconds"] > 0 and first["distance_m"] > 500 and first["position_stale"] is False


def test_recommendations_for_an_unknown_incident_is_a_404(dispatcher: Api) -> None:
    response = dispatcher.get("/incidents/999999/recommendations")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_assigning_through_the_api_and_the_clear_refusal_for_an_unavailable_unit(
    dispatcher: Api, handler: Any
) -> None:
    first = factories.incident(handler)
    second = factories.incident(handler)
    unit = factories.unit("NM-R21")
    response = dispatcher.post(f"/incidents/{first.pk}/assignments", {"unit": unit.pk})
    assert response.status_code == 201
    assert response.json()["call_sign"] == "NM-R21"
    assert response.json()["status"] == "assigned"
    response = dispatcher.post(f"/incidents/{second.pk}/assignments", {"unit": unit.pk})
    assert response.status_code == 409
    assert response.json() == {
        "code": "unit_not_available",
        "message": f"Unit NM-R21 is not available: it is assigned to incident {first.reference}. Choose another unit.",
        "field": "unit",
    }


def test_assignment_input_errors_name_the_field(dispatcher: Api, handler: Any) -> None:
    incident = factories.incident(handler)
    response = dispatcher.post(f"/incidents/{incident.pk}/assignments", {"unit": 424242})
    assert (response.status_code, response.json()["field"]) == (400, "unit")
    response = dispatcher.post(f"/incidents/{incident.pk}/assignments", {})
    assert (response.status_code, response.json()["field"]) == (422, "unit")


def test_only_dispatchers_assign(handler: Any) -> None:
    officer = Api(factories.user("pc1", "response_officer"))
    incident = factories.incident(handler)
    unit = factories.unit("NM-R21")
    response = officer.post(f"/incidents/{incident.pk}/assignments", {"unit": unit.pk})
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")


def test_a_crew_device_reports_status_and_position(dispatcher: Api, handler: Any) -> None:
    officer = factories.user("pc1", "response_officer")
    device = Api(officer)
    unit = factories.unit("NM-R21", crew=[officer])
    incident = factories.incident(handler)
    dispatcher.post(f"/incidents/{incident.pk}/assignments", {"unit": unit.pk})
    response = device.post(f"/units/{unit.pk}/position", {"latitude": 53.471, "longitude": -2.249})
    assert response.status_code == 200
    assert (response.json()["latitude"], response.json()["longitude"]) == (53.471, -2.249)
    response = device.post(f"/units/{unit.pk}/status", {"status": "at_scene"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["incident"]) == ("at_scene", incident.pk)
    attendance = dispatcher.get(f"/incidents/{incident.pk}/attendance").json()
    assert attendance["status"] == "met" and attendance["arrived_at"] is not None


def test_status_and_position_errors_name_the_field(dispatcher: Api) -> None:
    unit = factories.unit("NM-R21")
    response = dispatcher.post(f"/units/{unit.pk}/status", {"status": "at_scene"})
    assert response.status_code == 409
    assert response.json()["code"] == "status_change_not_allowed"
    assert response.json()["field"] == "status"
    response = dispatcher.post(f"/units/{unit.pk}/status", {"status": "sleeping"})
    assert (response.status_code, response.json()["field"]) == (400, "status")
    response = dispatcher.post(f"/units/{unit.pk}/position", {"latitude": 91, "longitude": 0})
    assert (response.status_code, response.json()["field"]) == (400, "latitude")
    response = dispatcher.post(f"/units/{unit.pk}/position", {"latitude": "north", "longitude": 0})
    assert (response.status_code, response.json()["field"]) == (422, "latitude")
    response = dispatcher.post("/units/999999/status", {"status": "available"})
    assert response.status_code == 404


def test_someone_else_cannot_report_a_unit(handler: Any) -> None:
    unit = factories.unit("NM-R21")
    response = Api(factories.user("pc2", "response_officer")).post(
        f"/units/{unit.pk}/status", {"status": "refreshment"}
    )
    assert response.status_code == 403
    assert Unit.objects.get(pk=unit.pk).status == UnitStatus.AVAILABLE


def test_units_list_filters_by_status_and_type(dispatcher: Api) -> None:
    factories.unit("NM-R21")
    factories.unit("NM-D01", unit_type="dog", skills=["dog"])
    factories.unit("NM-R22", status=UnitStatus.OFF_DUTY)
    assert [u["call_sign"] for u in dispatcher.get("/units").json()] == ["NM-D01", "NM-R21", "NM-R22"]
    assert [u["call_sign"] for u in dispatcher.get("/units", status="available").json()] == [
        "NM-D01",
        "NM-R21",
    ]
    assert [u["call_sign"] for u in dispatcher.get("/units", type="dog").json()] == ["NM-D01"]
    response = dispatcher.get("/units", status="napping")
    assert (response.status_code, response.json()["field"]) == (400, "status")


def test_the_board_as_json_in_a_fixed_number_of_queries(
    dispatcher: Api, handler: Any, django_assert_max_num_queries: Any
) -> None:
    unit = factories.unit("NM-R21")
    incident = factories.incident(handler, qualifiers=["DOMESTIC"])
    dispatcher.post(f"/incidents/{incident.pk}/assignments", {"unit": unit.pk})
    for number in range(6):
        factories.incident(handler, grade="priority" if number % 2 else "emergency")
        factories.unit(f"NM-R3{number}")
    with django_assert_max_num_queries(12):
        response = dispatcher.get("/board")
    assert response.status_code == 200
    board = response.json()
    assert len(board["incidents"]) == 7 and len(board["units"]) == 7
    grades = [row["grade"] for row in board["incidents"]]
    assert grades == sorted(grades, key=lambda grade: {"emergency": 0, "priority": 1}[grade])
    mine = next(row for row in board["incidents"] if row["id"] == incident.pk)
    assert [a["call_sign"] for a in mine["assignments"]] == ["NM-R21"]
    assert mine["attendance"]["status"] == "pending" and mine["attendance"]["remaining_seconds"] > 0
    assert mine["qualifiers"] == ["DOMESTIC"]


def test_the_event_stream_refuses_people_who_may_not_see_the_board_and_unknown_topics(
    dispatcher: Api,
) -> None:
    officer = Api(factories.user("pc1", "response_officer"))
    response = officer.get("/events")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    response = dispatcher.get("/events", topics="secrets.changed")
    assert (response.status_code, response.json()["field"]) == (400, "topics")
    assert Client().get("/api/v1/events").status_code == 401
