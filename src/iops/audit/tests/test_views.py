"""The data protection officer's pages: who may see them, the search form, results, and the CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from iops.audit.choices import Action, LogPurpose
from iops.audit.models import AuditEntry
from iops.audit.tests.factories import make_dpo, make_entry_at, make_staff

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
SEARCH = "/audit/"
EXPORT = "/audit/export.csv"
BREAK_GLASS = "/audit/break-glass/"


def _client(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _query(**params: str) -> dict[str, str]:
    base = {"purpose": "lawfulness", "username": "", "record_type": "", "record_id": "", "action": ""}
    base.update(params)
    return base


def _csv(response: Any) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


@pytest.mark.parametrize("url", [SEARCH, BREAK_GLASS, EXPORT])
def test_anonymous_people_are_sent_to_sign_in(url: str) -> None:
    response = _client().get(url, _query())
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url", [SEARCH, BREAK_GLASS, EXPORT])
def test_other_roles_are_refused(url: str) -> None:
    response = _client(make_staff()).get(url, _query())
    assert response.status_code == 403
    assert b"You do not have access to this page" in response.content
    assert not AuditEntry.objects.filter(operation__startswith="audit.").exists()


def test_the_officer_sees_the_form_and_nothing_is_logged_before_a_search() -> None:
    response = _client(make_dpo()).get(SEARCH)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Why are you using the access log?" in page
    for label in ("Username", "Type of record", "Record reference", "Date from", "Date to", "Action"):
        assert label in page
    assert 'data-testid="audit-results"' not in page
    assert not AuditEntry.objects.exists()


def test_the_officer_searches_by_username_and_dates_and_the_search_is_logged() -> None:
    dpo = make_dpo()
    seen = make_entry_at(
        datetime(2025, 3, 27, 10, 5, tzinfo=LONDON), actor_username="pc4021", purpose="Call 101/27"
    )
    make_entry_at(
        datetime(2025, 3, 29, 10, 5, tzinfo=LONDON), actor_username="pc4021", purpose="Out of range"
    )
    make_entry_at(
        datetime(2025, 3, 27, 11, 0, tzinfo=LONDON), actor_username="pc5000", purpose="Someone else"
    )
    response = _client(dpo).get(
        SEARCH,
        _query(
            username="PC4021",
            date_from_day="27",
            date_from_month="3",
            date_from_year="2025",
            date_to_day="28",
            date_to_month="3",
            date_to_year="2025",
        ),
        HTTP_X_REQUEST_ID="req-dpo-1",
        REMOTE_ADDR="198.51.100.7",
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Call 101/27" in page
    assert "Out of range" not in page and "Someone else" not in page
    assert "1 entry match" in page
    assert "27 Mar 2025 10:05:00" in page
    logged = AuditEntry.objects.get(operation="audit.search")
    assert (logged.action, logged.actor_id, logged.purpose) == (
        Action.CONSULTATION,
        dpo.pk,
        LogPurpose.LAWFULNESS.label,
    )
    assert logged.detail == {
        "filters": {"username": "PC4021", "date_from": "2025-03-27", "date_to": "2025-03-28"},
        "entry_ids": [seen.pk],
    }
    assert (logged.request_id, logged.client_address) == ("req-dpo-1", "198.51.100.7")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"purpose": ""}, "Choose why you are using the access log"),
        (
            {"date_from_day": "31", "date_from_month": "2", "date_from_year": "2025"},
            "Date from must be a real date",
        ),
        ({"date_from_day": "3", "date_from_year": "2025"}, "Date from must include a month"),
        ({"date_to_day": "1", "date_to_month": "1", "date_to_year": "25"}, "Year must include 4 numbers"),
        (
            {
                "date_from_day": "2",
                "date_from_month": "4",
                "date_from_year": "2025",
                "date_to_day": "1",
                "date_to_month": "4",
                "date_to_year": "2025",
            },
            "Date to must be the same as or after date from",
        ),
        ({"record_id": "42"}, "Choose the type of record as well as its reference"),
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_nothing_is_searched(
    params: dict[str, str], message: str
) -> None:
    response = _client(make_dpo()).get(SEARCH, _query(**params))
    assert response.status_code == 400
    page = response.content.decode()
    assert "<title>Error: Access log" in page
    assert "There is a problem" in page
    assert page.count(message) == 2  # in the summary and at the field
    assert not AuditEntry.objects.filter(operation="audit.search").exists()


def test_results_page_through_older_and_newer_entries() -> None:
    dpo = make_dpo()
    for n in range(60):
        make_entry_at(datetime(2025, 3, 1, 9, n, tzinfo=LONDON), record_id=str(n), purpose=f"purpose-{n:02d}")
    client = _client(dpo)
    first = client.get(SEARCH, _query()).content.decode()
    assert "purpose-59" in first and "purpose-10" in first and "purpose-09" not in first
    assert "Older entries" in first and "Newer entries" not in first
    older_url = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    second = client.get(SEARCH + older_url).content.decode()
    assert "purpose-09" in second and "purpose-00" in second and "purpose-10" not in second
    assert "Newer entries" in second and "Older entries" not in second


def test_the_break_glass_page_lists_only_break_glass_reads_with_their_reasons() -> None:
    make_entry_at(
        datetime(2025, 3, 2, 3, 0, tzinfo=LONDON),
        actor_username="pc4021",
        break_glass=True,
        detail={"break_glass_reason": "Threat to life at the subject's address"},
    )
    make_entry_at(datetime(2025, 3, 2, 4, 0, tzinfo=LONDON), actor_username="pc5000", purpose="Routine view")
    response = _client(make_dpo()).get(BREAK_GLASS)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Break-glass accesses to review" in page
    assert "Threat to life at the subject&#x27;s address" in page
    assert "Routine view" not in page
    assert AuditEntry.objects.get(operation="audit.search").purpose == LogPurpose.SELF_MONITORING.label

    # Its download holds the same break-glass entries, not the whole log.
    export_url = page.split('href="/audit/export.csv?', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    rows = _csv(_client(AuditEntry.objects.get(operation="audit.search").actor).get(f"{EXPORT}?{export_url}"))
    assert [row["username"] for row in rows] == ["pc4021"]


def test_the_csv_holds_the_result_and_its_download_is_logged_as_a_disclosure() -> None:
    dpo = make_dpo(first_name="Priya", last_name="Shah")
    make_entry_at(datetime(2025, 3, 27, 10, 0, tzinfo=LONDON), actor_username="pc4021", record_id="7")
    make_entry_at(
        datetime(2025, 3, 27, 11, 0, tzinfo=LONDON),
        actor_username="pc4021",
        record_id="8",
        purpose='=HYPERLINK("http://example.invalid")',
        break_glass=True,
        detail={"break_glass_reason": "Urgent safeguarding concern"},
    )
    make_entry_at(datetime(2025, 3, 27, 12, 0, tzinfo=LONDON), actor_username="pc5000", record_id="9")
    response = _client(dpo).get(EXPORT, _query(username="pc4021", purpose="criminal_proceedings"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="access-log-')
    rows = _csv(response)
    assert [row["record_id"] for row in rows] == ["8", "7"]
    assert rows[0]["occurred_at"] == "2025-03-27T11:00:00+00:00"
    assert rows[0]["purpose"] == '\'=HYPERLINK("http://example.invalid")'
    assert (rows[0]["break_glass"], rows[0]["break_glass_reason"]) == ("yes", "Urgent safeguarding concern")
    assert len(rows[0]["entry_hash"]) == 64

    disclosure = AuditEntry.objects.get(action=Action.DISCLOSURE)
    assert disclosure.operation == "audit.export_csv"
    assert disclosure.recipient == "Priya Shah (dpo)"
    assert disclosure.purpose == LogPurpose.CRIMINAL_PROCEEDINGS.label
    assert disclosure.detail == {"filters": {"username": "pc4021"}, "rows": 2, "truncated": False}


def test_an_export_with_bad_filters_shows_the_form_errors_instead() -> None:
    response = _client(make_dpo()).get(EXPORT, _query(record_id="7"))
    assert response.status_code == 400
    assert "Choose the type of record as well as its reference" in response.content.decode()
    assert not AuditEntry.objects.filter(action=Action.DISCLOSURE).exists()


def test_the_officer_without_export_permission_sees_no_download_button() -> None:
    make_entry_at(datetime(2025, 3, 27, 10, 0, tzinfo=LONDON))
    dpo = make_dpo()
    page = _client(dpo).get(SEARCH, _query()).content.decode()
    assert "Download CSV" in page
    from django.contrib.auth.models import Permission

    reader = make_staff("reader")
    reader.user_permissions.add(Permission.objects.get(codename="search_auditentry"))
    page = _client(reader).get(SEARCH, _query()).content.decode()
    assert "Download CSV" not in page
