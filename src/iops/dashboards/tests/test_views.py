"""Backlog pages and API: who may see them, what each role sees first, and bad filters."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client

from iops.accounts.services import token_create
from iops.dashboards.tests.factories import Backlog, build_backlog

pytestmark = pytest.mark.django_db

PAGES = ["/dashboards/backlog/", "/dashboards/backlog/duties"]


@pytest.fixture
def world() -> Backlog:
    return build_backlog()


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_sign_in(world: Backlog, url: str) -> None:
    response = _client().get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("url", PAGES)
def test_response_officer_is_refused(world: Backlog, url: str) -> None:
    assert _client(world.pc_a).get(url).status_code == 403


def test_supervisor_sees_their_own_team_by_default(world: Backlog) -> None:
    response = _client(world.sgt_a).get("/dashboards/backlog/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Your team: Alpha response" in body
    by_team = body[body.index('data-testid="by-team"') :]
    assert "Alpha response" in by_team and "Bravo response" not in by_team
    assert 'value="mine" selected' in body


def test_supervisor_can_widen_to_the_force(world: Backlog) -> None:
    body = _client(world.sgt_a).get("/dashboards/backlog/?team=all").content.decode()
    assert "Whole force" in body
    assert "Bravo response" in body[body.index('data-testid="by-team"') :]


def test_command_sees_the_whole_force(world: Backlog) -> None:
    response = _client(world.inspector).get("/dashboards/backlog/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Whole force" in body
    by_team = body[body.index('data-testid="by-team"') :]
    for name in ("Alpha response", "Bravo response", "No team"):
        assert name in by_team


def test_overdue_domestic_abuse_leads_the_page(world: Backlog) -> None:
    body = _client(world.inspector).get("/dashboards/backlog/").content.decode()
    assert body.index('data-testid="priority-slice"') < body.index('data-testid="headline"')
    slice_html = body[body.index('data-testid="priority-slice"') : body.index('data-testid="headline"')]
    assert "Complete the DASH risk assessment" in slice_html
    assert f'href="/duties/{world.duties["da_high"].pk}/"' in slice_html


def test_each_number_links_to_a_list_of_that_many_duties(world: Backlog) -> None:
    client = _client(world.inspector)
    body = client.get("/dashboards/backlog/").content.decode()
    links = re.findall(
        r'<a [^>]*href="(/dashboards/backlog/duties\?[^"]+)"[^>]*>\s*'
        r'(?:<span class="iops-figures__value">)?([\d,]+)(?:<| overdue)',
        body,
    )
    # Headline, domestic-abuse slice, kind x risk, age and team tables.
    assert len(links) > 40
    for href, number in links:
        listed = client.get(href.replace("&amp;", "&")).content.decode()
        count = re.search(r'data-testid="list-count">([\d,]+) open dut', listed)
        assert count is not None, href
        assert count.group(1) == number, href


def test_the_list_links_each_duty_and_keeps_the_filters(world: Backlog) -> None:
    client = _client(world.inspector)
    url = "/dashboards/backlog/duties?team=all&tag=domestic_abuse&overdue=1"
    body = client.get(url).content.decode()
    assert f'href="/duties/{world.duties["da_high"].pk}/"' in body
    assert f'href="/duties/{world.duties["bravo_owned"].pk}/"' in body
    assert body.count('data-testid="duty-row"') == 2
    back_href = re.search(r'<a href="([^"]+)" class="govuk-back-link"', body)
    assert back_href is not None
    assert parse_qs(urlparse(back_href.group(1).replace("&amp;", "&")).query) == {
        "team": ["all"],
        "tag": ["domestic_abuse"],
    }


def test_a_bad_filter_is_a_form_error_not_a_crash(world: Backlog) -> None:
    response = _client(world.inspector).get("/dashboards/backlog/?team=99999&risk=high")
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body and "There is no team with reference 99999" in body
    response = _client(world.inspector).get("/dashboards/backlog/duties?overdue=perhaps")
    assert response.status_code == 400
    assert "overdue must be 1 or 0" in response.content.decode()


def test_the_page_takes_a_fixed_number_of_queries(world: Backlog, django_assert_max_num_queries) -> None:
    client = _client(world.inspector)
    client.get("/dashboards/backlog/")  # warm the session and permission caches
    with django_assert_max_num_queries(16):
        client.get("/dashboards/backlog/")


def test_nav_link_and_home_panel_for_supervisors_only(world: Backlog) -> None:
    home = _client(world.sgt_a).get("/").content.decode()
    assert 'href="/dashboards/backlog/"' in home
    assert 'data-testid="panel-backlog"' in home
    assert "1 high-risk domestic abuse duty is overdue" in home
    officer_home = _client(world.pc_a).get("/").content.decode()
    assert "/dashboards/backlog/" not in officer_home


# --- API ---------------------------------------------------------------------------------------


def test_api_figures_for_command(world: Backlog) -> None:
    response = _client(world.inspector).get("/api/v1/dashboards/backlog")
    assert response.status_code == 200
    body = response.json()
    assert body["scope"]["team"] == "all"
    head = body["headline"]
    assert (head["open"], head["overdue"], head["escalated"], head["high_risk"]) == (5, 4, 2, 2)
    assert body["priority"]["overdue_by_risk"] == {"high": 1, "medium": 1, "standard": 0}
    assert body["priority"]["open"] == 2
    assert body["priority"]["most_urgent"][0]["id"] == world.duties["da_high"].pk
    assert {t["team_name"]: t["open"] for t in body["by_team"]} == {
        "Alpha response": 2,
        "Bravo response": 2,
        "No team": 1,
    }
    assert [b["open"] for b in body["by_age_band"]] == [1, 2, 1, 1]
    assert sum(f["open"] for f in body["by_kind_risk"]) == 5
    assert len(body["trend"]["days"]) == 56 and len(body["trend"]["weeks"]) == 8


def test_api_supervisor_default_and_token(world: Backlog) -> None:
    _token, raw = token_create(acting_user=None, user=world.sgt_a)
    response = Client().get("/api/v1/dashboards/backlog", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    body = response.json()
    assert body["scope"]["label"] == "Your team: Alpha response"
    assert body["headline"]["open"] == 2


def test_api_tag_filter_has_no_trend_and_says_why(world: Backlog) -> None:
    body = _client(world.inspector).get("/api/v1/dashboards/backlog?tag=domestic_abuse").json()
    assert body["headline"]["open"] == 2
    assert body["trend"] is None and "not by tag" in body["trend_note"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("risk=extreme", "risk"), ("team=everyone", "team"), ("team=99999", "team"), ("tag=burglary", "tag")],
)
def test_api_bad_filter_is_a_field_error(world: Backlog, query: str, field: str) -> None:
    response = _client(world.inspector).get(f"/api/v1/dashboards/backlog?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["field"] == field and body["message"]


def test_api_permission(world: Backlog) -> None:
    assert Client().get("/api/v1/dashboards/backlog").status_code == 401
    response = _client(world.pc_a).get("/api/v1/dashboards/backlog")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
