"""People journeys in a browser: a call handler finds someone under another spelling and sees their
markers first; an investigator is warned of a likely duplicate before creating a person; a
supervisor merges two records and separates them again."""

from __future__ import annotations

from datetime import date
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import sign_in


def _person(given: str, family: str, born: date, **fields: Any) -> Any:
    from iops.people import services

    return services.nominal_create(
        acting_user=None, names=[services.NameInput(given, family)], dates_of_birth=[born], **fields
    )


def test_call_handler_finds_a_nickname_and_sees_markers_first(page: Any, make_user: Any) -> None:
    from iops.people import services

    william = _person("William", "Hargreaves", date(1979, 3, 2))
    services.marker_add(acting_user=None, nominal=william, kind="firearms", source="Firearms licensing")
    _person("Robert", "Hargreaves", date(1960, 1, 1))
    make_user("handler9", "call_handler")
    sign_in(page, "handler9")
    page.get_by_role("link", name="People").click()
    page.get_by_label("Purpose").fill("Caller reports a man with a gun")
    page.get_by_label("Name").fill("Bill Hargreaves")
    page.get_by_label("Date of birth").fill("1979-02-03")
    page.get_by_role("button", name="Search").click()
    first = page.get_by_test_id("result").first
    expect(first).to_contain_text("William Hargreaves")
    expect(first).to_contain_text("nickname or short form of William")
    expect(first).to_contain_text("date of birth day/month swapped")
    expect(first.get_by_test_id("marker")).to_have_text("Firearms")
    first.get_by_role("link", name="William Hargreaves").click()
    expect(page.get_by_test_id("person-name")).to_have_text("William HARGREAVES")
    expect(page.get_by_test_id("markers-section")).to_contain_text("Firearms")


def test_search_without_a_purpose_says_what_to_do(page: Any, make_user: Any) -> None:
    make_user("handler8", "call_handler")
    sign_in(page, "handler8")
    page.goto("/people/")
    page.get_by_label("Name").fill("Smith")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("alert")).to_contain_text("Give a purpose")


def test_investigator_is_warned_of_a_likely_duplicate_before_creating(page: Any, make_user: Any) -> None:
    _person("Niamh", "Gallagher", date(1994, 6, 12))
    make_user("investigator9", "investigator")
    sign_in(page, "investigator9")
    page.goto("/people/new/")
    page.get_by_label("Given names").fill("Neve")
    page.get_by_label("Family name").fill("Gallagher")
    page.get_by_label("Date of birth").fill("12/06/1994")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_test_id("possible-duplicates")).to_be_visible()
    expect(page.get_by_test_id("duplicate").first).to_contain_text("Niamh Gallagher")
    page.get_by_label("None of these is the person: create a new record").check()
    page.get_by_role("button", name="Create the person").click()
    expect(page.get_by_test_id("person-name")).to_have_text("Neve GALLAGHER")


def test_supervisor_merges_two_records_and_reverses_the_merge(page: Any, make_user: Any) -> None:
    _person("Katherine", "Moss", date(1968, 8, 8))
    _person("Kate", "Moss", date(1968, 8, 8))
    make_user("supervisor9", "supervisor")
    sign_in(page, "supervisor9")
    page.get_by_role("link", name="Duplicates").click()
    page.get_by_role("link", name="Compare and merge").first.click()
    page.get_by_label("P", exact=False).first.check()
    page.get_by_label("Why these are the same person").fill("Same custody photograph and address")
    page.get_by_role("button", name="Merge the records").click()
    expect(page.get_by_test_id("moved")).to_contain_text("1 names")
    page.get_by_label("Why the merge was wrong").fill("They are sisters, not one person")
    page.get_by_role("button", name="Reverse the merge").click()
    expect(page.get_by_test_id("reversed")).to_contain_text("They are sisters")
