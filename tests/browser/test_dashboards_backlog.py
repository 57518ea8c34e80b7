"""The backlog dashboard, as a supervisor uses it: overdue domestic abuse first, drill down, reassign."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from playwright.sync_api import expect

from iops.duties.services import duties_snapshot, duty_open
from iops.duties.tests.factories import TeamFactory
from tests.browser.conftest import sign_in


def _open(*, title: str, hours_ago: float, due_after: float, **fields: Any) -> Any:
    opened = timezone.now() - timedelta(hours=hours_ago)
    return duty_open(
        kind="task", title=title, opened_at=opened, due_at=opened + timedelta(hours=due_after), **fields
    )


def _force(make_user: Any) -> dict[str, Any]:
    team = TeamFactory(name="Response team North")
    other_team = TeamFactory(name="Response team South")
    sgt = make_user("sgt_north", "supervisor", team=team, first_name="Dana", last_name="Hughes")
    team.supervisor = sgt
    team.save()
    pc = make_user("pc_north", "response_officer", team=team, first_name="Sam", last_name="Okafor")
    relief = make_user(
        "pc_relief", "response_officer", team=team, first_name="Priya", last_name="Shah", collar_number="4471"
    )
    _open(title="Routine follow-up call", hours_ago=3, due_after=48, risk="standard", owner_team=team)
    _open(title="Check the CCTV on Mill Lane", hours_ago=40, due_after=24, risk="medium", owner_team=team)
    first = _open(
        title="DASH risk assessment for Flat 2",
        hours_ago=30,
        due_after=24,
        risk="high",
        owner_user=pc,
        owner_team=team,
        tags=["domestic_abuse"],
    )
    _open(
        title="MARAC referral for Elm Road",
        hours_ago=20,
        due_after=12,
        risk="high",
        owner_user=pc,
        owner_team=team,
        tags=["domestic_abuse"],
    )
    # Another team's: not on this supervisor's dashboard until they widen it.
    _open(
        title="South team safeguarding visit",
        hours_ago=50,
        due_after=24,
        risk="high",
        owner_team=other_team,
        tags=["domestic_abuse"],
    )
    duties_snapshot(day=timezone.localdate() - timedelta(days=1))
    return {"team": team, "sgt": sgt, "pc": pc, "relief": relief, "first": first}


def test_supervisor_sees_overdue_domestic_abuse_first_drills_down_and_reassigns(
    page: Any, make_user: Any
) -> None:
    world = _force(make_user)
    sign_in(page, "sgt_north")
    page.get_by_role("link", name="Backlog", exact=True).click()
    expect(page.get_by_role("heading", name="Duty backlog")).to_be_visible()
    expect(page.get_by_test_id("backlog-scope")).to_have_text("Your team: Response team North")

    priority = page.get_by_test_id("priority-slice")
    expect(priority.get_by_role("heading", name="Overdue domestic abuse duties")).to_be_visible()
    expect(page.get_by_test_id("priority-high")).to_contain_text("2")
    rows = priority.get_by_test_id("priority-duty")
    expect(rows).to_have_count(2)
    # Most overdue first: the MARAC referral has been late for 8 hours, the DASH assessment for 6.
    expect(rows.first).to_contain_text("MARAC referral for Elm Road")
    expect(rows.nth(1)).to_contain_text("DASH risk assessment for Flat 2")
    expect(priority).not_to_contain_text("South team safeguarding visit")
    # At the top: above the headline figures and every table.
    top = priority.bounding_box()
    headline = page.get_by_test_id("headline").bounding_box()
    assert top is not None and headline is not None and top["y"] < headline["y"]

    page.get_by_test_id("priority-high").click()
    expect(page.get_by_test_id("list-count")).to_have_text("2 open duties")
    expect(page.get_by_test_id("list-filters")).to_contain_text("Domestic abuse")
    expect(page.get_by_test_id("duty-row")).to_have_count(2)

    page.get_by_role("link", name="DASH risk assessment for Flat 2").click()
    expect(page.get_by_role("heading", name="DASH risk assessment for Flat 2")).to_be_visible()
    expect(page.get_by_test_id("duty-owner")).to_contain_text("Sam Okafor")
    page.get_by_label("Give to (username or staff or collar number)").fill("4471")
    page.get_by_role("button", name="Reassign").click()
    expect(page.get_by_role("alert")).to_contain_text("Duty reassigned.")
    expect(page.get_by_test_id("duty-owner")).to_contain_text("Priya Shah")
    world["first"].refresh_from_db()
    assert world["first"].owner_user == world["relief"]


def test_trend_charts_draw_within_the_content_policy_and_keep_their_tables(page: Any, make_user: Any) -> None:
    _force(make_user)
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if message.type == "error" else None)
    sign_in(page, "sgt_north")
    page.goto("/dashboards/backlog/?team=all")
    expect(page.get_by_test_id("backlog-scope")).to_have_text("Whole force")
    expect(page.locator("canvas[data-backlog-chart='daily'][data-drawn='true']")).to_be_visible()
    expect(page.locator("canvas[data-backlog-chart='weekly'][data-drawn='true']")).to_be_visible()
    expect(page.get_by_test_id("trend-weekly")).to_be_visible()
    page.get_by_text("Daily figures as a table").click()
    expect(page.get_by_test_id("trend-daily")).to_be_visible()
    assert refused == []

    # The filter form narrows the page to high-risk domestic abuse across the force.
    page.get_by_label("Risk").select_option("high")
    page.get_by_label("Tag").select_option("domestic_abuse")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_test_id("headline-open")).to_contain_text("3")
    expect(page.get_by_test_id("trend-note")).to_contain_text("not by tag")
