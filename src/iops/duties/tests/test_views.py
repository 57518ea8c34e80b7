"""Duty pages and API: who may see and act on what (the permission matrix)."""

from __future__ import annotations

import pytest
from django.test import Client

from iops.accounts.services import token_create
from iops.duties.choices import DutyStatus
from iops.duties.models import Duty
from iops.duties.tests.factories import TeamFactory, make_duty, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    team = TeamFactory()
    sgt = make_user("sgt", "supervisor", team=team)
    team.supervisor = sgt
    team.save()
    officer = make_user("pc", "response_officer", team=team)
    stranger = make_user("other", "call_handler", team=TeamFactory())
    inspector = make_user("insp", "command")
    duty = make_duty(owner_user=officer, title="Take the victim's statement")
    return {
        "team": team,
        "sgt": sgt,
        "officer": officer,
        "stranger": stranger,
        "inspector": inspector,
        "duty": duty,
    }


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_anonymous_is_sent_to_sign_in(world) -> None:
    response = _client().get(f"/duties/{world['duty'].pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("who", "status"), [("officer", 200), ("sgt", 200), ("inspector", 200), ("stranger", 403)]
)
def test_duty_page_by_role(world, who: str, status: int) -> None:
    response = _client(world[who]).get(f"/duties/{world['duty'].pk}/")
    assert response.status_code == status
    if status == 200:
        assert "Take the victim" in response.content.decode()


def test_missing_duty_is_a_friendly_404(world) -> None:
    response = _client(world["officer"]).get("/duties/999999/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_my_duties_lists_mine_only(world) -> None:
    make_duty(owner_user=world["stranger"], title="Someone else's job")
    body = _client(world["officer"]).get("/duties/").content.decode()
    assert "Take the victim" in body and "Someone else" not in body


def test_team_queue_for_its_supervisor_only(world) -> None:
    url = f"/duties/team/{world['team'].pk}/"
    assert _client(world["sgt"]).get(url).status_code == 200
    assert _client(world["officer"]).get(url).status_code == 403


def test_cancel_without_reason_shows_a_form_error_and_changes_nothing(world) -> None:
    response = _client(world["sgt"]).post(f"/duties/{world['duty'].pk}/cancel/", {"reason": ""})
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert Duty.objects.get(pk=world["duty"].pk).status == DutyStatus.OPEN


def test_supervisor_reassigns_by_collar_number(world) -> None:
    other = make_user("pc9", "response_officer", team=world["team"])
    other.collar_number = "4321"
    other.save()
    response = _client(world["sgt"]).post(
        f"/duties/{world['duty'].pk}/reassign/", {"owner": "4321", "note": "Leave"}
    )
    assert response.status_code == 302
    assert Duty.objects.get(pk=world["duty"].pk).owner_user == other


def test_officer_cannot_reassign(world) -> None:
    response = _client(world["officer"]).post(f"/duties/{world['duty'].pk}/reassign/", {"owner": "sgt"})
    assert response.status_code == 403


def test_api_lists_own_duties_with_a_token(world) -> None:
    _token, raw = token_create(acting_user=None, user=world["officer"])
    response = Client().get("/api/v1/duties", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert [d["id"] for d in response.json()["results"]] == [world["duty"].pk]


def test_api_refuses_others_duties_without_backlog_permission(world) -> None:
    response = _client(world["officer"]).get(f"/api/v1/duties?owner={world['stranger'].pk}")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_api_filters_and_field_errors(world) -> None:
    client = _client(world["inspector"])
    assert client.get("/api/v1/duties?overdue=true").json()["results"] == []
    response = client.get("/api/v1/duties?risk=extreme")
    assert response.status_code == 400
    assert response.json()["field"] == "risk"
    response = client.get("/api/v1/duties?limit=abc")
    assert response.status_code == 422
    assert response.json()["field"] == "limit"
