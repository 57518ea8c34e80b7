"""The data protection officer's journey: sign in, search the access log by person and dates, read
the results, download them as CSV, and find the download recorded as a disclosure."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import sign_in


def _fill_date(page: Any, legend: str, day: int, month: int, year: int) -> None:
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day))
    group.get_by_label("Month").fill(str(month))
    group.get_by_label("Year").fill(str(year))


def test_officer_searches_the_log_and_downloads_the_result(page: Any, make_user: Any) -> None:
    from iops.audit.choices import Action
    from iops.audit.models import AuditEntry
    from iops.audit.services import audit_record

    make_user("dpo1", "data_protection_officer", first_name="Priya", last_name="Shah")
    officer = make_user("pc4021", "response_officer", first_name="Tom", last_name="Hughes")
    for purpose in ("Checking markers before attending 14 Mill Lane", "Witness details for crime 1432"):
        audit_record(
            actor=officer,
            action=Action.CONSULTATION,
            operation="people.view",
            record_type="people.nominal",
            record_id="7",
            purpose=purpose,
        )
    today = timezone.localdate()

    sign_in(page, "dpo1")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Access log").click()
    expect(page.get_by_role("heading", name="Access log")).to_be_visible()

    page.get_by_label("Verifying that processing was lawful").check()
    page.get_by_label("Username").fill("pc4021")
    _fill_date(page, "Date from (optional)", today.day, today.month, today.year)
    _fill_date(page, "Date to (optional)", today.day, today.month, today.year)
    page.get_by_role("button", name="Search the log").click()

    expect(page.get_by_test_id("audit-count")).to_contain_text("2 entries match")
    results = page.get_by_test_id("audit-results")
    expect(results).to_contain_text("Checking markers before attending 14 Mill Lane")
    expect(results).to_contain_text("Witness details for crime 1432")
    expect(results.get_by_role("row")).to_have_count(3)  # header and two entries

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("access-log-")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["username"] for row in rows] == ["pc4021", "pc4021"]
    assert {row["purpose"] for row in rows} == {
        "Checking markers before attending 14 Mill Lane",
        "Witness details for crime 1432",
    }

    disclosure = AuditEntry.objects.get(action=Action.DISCLOSURE, operation="audit.export_csv")
    assert disclosure.recipient == "Priya Shah (dpo1)"
    assert disclosure.detail["filters"]["username"] == "pc4021"
    assert AuditEntry.objects.filter(operation="audit.search", actor_username="dpo1").count() == 1


def test_a_date_that_does_not_exist_is_explained_on_the_page(page: Any, make_user: Any) -> None:
    make_user("dpo2", "data_protection_officer")
    sign_in(page, "dpo2")
    page.goto("/audit/")
    page.get_by_label("Self-monitoring, including internal disciplinary proceedings").check()
    _fill_date(page, "Date from (optional)", 31, 2, 2025)
    page.get_by_role("button", name="Search the log").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Date from must be a real date")
    summary.get_by_role("link", name="Date from must be a real date").click()
    expect(page.get_by_role("group", name="Date from (optional)").get_by_label("Day")).to_be_focused()
