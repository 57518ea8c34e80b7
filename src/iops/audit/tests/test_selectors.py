"""Searching the log: filters, local-day date ranges, keyset pages, capped counts, indexed plans."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iops.audit.access import access_audit_log
from iops.audit.choices import Action
from iops.audit.models import AuditEntry
from iops.audit.selectors import (
    AuditFilter,
    Cursor,
    audit_count,
    audit_export_batches,
    audit_page,
    audit_search,
    record_types,
)
from iops.audit.tests.factories import make_dpo, make_entry_at, make_staff
from iops.platform.errors import PermissionRefused, ValidationFailed

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def _at(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


def _ids(entries: Any) -> list[int]:
    return [entry.pk for entry in entries]


def test_searching_needs_the_data_protection_officers_permission() -> None:
    with pytest.raises(PermissionRefused):
        audit_search(user=make_staff(), filters=AuditFilter())


def test_each_filter_narrows_the_result() -> None:
    dpo = make_dpo()
    when = _at(2025, 3, 27, 10)
    view = make_entry_at(when, actor_username="PC4021", record_type="people.nominal", record_id="7")
    other_person = make_entry_at(when, actor_username="pc5000", record_type="people.nominal", record_id="7")
    other_record = make_entry_at(when, actor_username="pc4021", record_type="people.nominal", record_id="8")
    disclosure = make_entry_at(when, actor_username="pc4021", action=Action.DISCLOSURE, recipient="CPS")
    glass = make_entry_at(
        when, actor_username="pc4021", break_glass=True, detail={"break_glass_reason": "x" * 12}
    )

    def found(**filters: Any) -> set[int]:
        return set(_ids(audit_search(user=dpo, filters=AuditFilter(**filters))))

    assert found(username="pc4021") == {view.pk, other_record.pk, disclosure.pk, glass.pk}
    assert found(record_type="people.nominal", record_id="7") == {view.pk, other_person.pk}
    assert found(action="disclosure") == {disclosure.pk}
    assert found(break_glass=True) == {glass.pk}
    assert found(username=" PC4021 ", record_type="People.Nominal", record_id="8") == {other_record.pk}


def test_dates_are_whole_local_days_inclusive() -> None:
    dpo = make_dpo()
    # British Summer Time: 23:30 on 30 March 2025 is 22:30 UTC, still the 30th for the officer.
    late = make_entry_at(_at(2025, 3, 30, 23, 30))
    early_next = make_entry_at(_at(2025, 3, 31, 0, 0))
    day_before = make_entry_at(_at(2025, 3, 29, 23, 59, 59))
    result = _ids(
        audit_search(user=dpo, filters=AuditFilter(date_from=date(2025, 3, 30), date_to=date(2025, 3, 30)))
    )
    assert result == [late.pk]
    assert early_next.pk not in result and day_before.pk not in result


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        (AuditFilter(date_from=date(2025, 4, 2), date_to=date(2025, 4, 1)), "date_to"),
        (AuditFilter(record_id="7"), "record_type"),
        (AuditFilter(record_type="nominal"), "record_type"),
        (AuditFilter(action="peek"), "action"),
        (AuditFilter(username="pc\x004021"), "username"),
        (AuditFilter(username="u" * 151), "username"),
    ],
)
def test_a_filter_that_cannot_match_is_refused_naming_the_field(filters: AuditFilter, field: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        audit_search(user=make_dpo(), filters=filters)
    assert error.value.field == field


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(username=st.text(max_size=160), record_id=st.text(max_size=70), action=st.text(max_size=20))
def test_any_typed_filter_is_either_refused_clearly_or_searched(
    username: str, record_id: str, action: str
) -> None:
    dpo = make_dpo()
    filters = AuditFilter(username=username, record_type="people.nominal", record_id=record_id, action=action)
    try:
        list(audit_search(user=dpo, filters=filters)[:5])
    except ValidationFailed as error:
        assert error.field in {"username", "record_id", "action"}


def _walk_older(dpo: Any, size: int, filters: AuditFilter | None = None) -> list[list[int]]:
    pages = []
    after = None
    while True:
        page = audit_page(user=dpo, filters=filters or AuditFilter(), after=after, size=size)
        pages.append(_ids(page.entries))
        if page.older is None:
            return pages
        after = page.older


def test_pages_run_newest_first_without_gaps_or_repeats_even_on_equal_times() -> None:
    dpo = make_dpo()
    base = _at(2025, 1, 1, 9)
    entries = []
    for n in range(23):
        # Several entries share each instant, as they do when one request logs many reads.
        entries.append(make_entry_at(base + timedelta(seconds=n // 4), record_id=str(n)))
    newest_first = sorted(entries, key=lambda e: (e.occurred_at, e.pk), reverse=True)

    pages = _walk_older(dpo, size=5)
    assert [len(page) for page in pages] == [5, 5, 5, 5, 3]
    assert [pk for page in pages for pk in page] == _ids(newest_first)

    second = audit_page(user=dpo, filters=AuditFilter(), after=Cursor.decode(_cursor_after(dpo, 5)), size=5)
    back = audit_page(user=dpo, filters=AuditFilter(), before=second.newer, size=5)
    assert _ids(back.entries) == pages[0]
    assert back.newer is None and back.older is not None


def _cursor_after(dpo: Any, size: int) -> str:
    first = audit_page(user=dpo, filters=AuditFilter(), size=size)
    assert first.newer is None and first.older is not None
    return first.older.encode()


_walks = itertools.count()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(count=st.integers(0, 30), size=st.integers(1, 12), ties=st.integers(1, 5))
def test_walking_every_page_returns_every_entry_once(count: int, size: int, ties: int) -> None:
    dpo = make_dpo()
    # Examples share the test's transaction, so each walks a record type of its own.
    record_type = f"walk.example{next(_walks)}"
    base = _at(2025, 6, 1, 12)
    made = [
        make_entry_at(base + timedelta(seconds=n // ties), record_type=record_type, record_id=str(n))
        for n in range(count)
    ]
    pages = _walk_older(dpo, size, AuditFilter(record_type=record_type))
    expected = sorted(made, key=lambda e: (e.occurred_at, e.pk), reverse=True)
    assert [pk for page in pages for pk in page] == _ids(expected)
    assert all(len(page) == size for page in pages[:-1])


def test_a_cursor_round_trips_and_a_bad_one_is_refused() -> None:
    cursor = Cursor(_at(2025, 3, 27, 10, 15, 0).astimezone(ZoneInfo("UTC")), 123)
    assert Cursor.decode(cursor.encode()) == cursor
    for bad in ["", "abc", "12.x", "999999999999999999.1", "1.2.3"]:
        with pytest.raises(ValidationFailed) as error:
            Cursor.decode(bad, field="after")
        assert error.value.field == "after"


def test_counts_stop_at_the_cap() -> None:
    dpo = make_dpo()
    for n in range(7):
        make_entry_at(_at(2025, 2, 1, 12, n))
    assert audit_count(user=dpo, filters=AuditFilter(), cap=5) == 5
    assert audit_count(user=dpo, filters=AuditFilter(), cap=50) == 7


def test_export_batches_cover_the_newest_rows_up_to_the_limit() -> None:
    dpo = make_dpo()
    made = [make_entry_at(_at(2025, 2, 1, 12, n)) for n in range(7)]
    batches = list(audit_export_batches(user=dpo, filters=AuditFilter(), limit=6, batch=4))
    assert [len(batch) for batch in batches] == [4, 2]
    assert [entry.pk for batch in batches for entry in batch] == _ids(reversed(made))[:6]
    with pytest.raises(PermissionRefused):
        list(audit_export_batches(user=make_staff(), filters=AuditFilter(), limit=6))


def test_a_search_is_itself_logged_as_a_consultation_with_what_was_shown() -> None:
    dpo = make_dpo()
    shown = make_entry_at(_at(2025, 2, 1, 12), actor_username="pc4021")
    page = access_audit_log(dpo, AuditFilter(username="pc4021"), purpose="self_monitoring")
    assert _ids(page.entries) == [shown.pk]
    entry = AuditEntry.objects.get(operation="audit.search")
    assert (entry.action, entry.actor_id, entry.record_type) == (
        Action.CONSULTATION,
        dpo.pk,
        "audit.auditentry",
    )
    assert entry.purpose.startswith("Self-monitoring")
    assert entry.detail == {"filters": {"username": "pc4021"}, "entry_ids": [shown.pk]}


def test_record_types_offered_are_the_systems_own() -> None:
    values = [value for value, _label in record_types()]
    assert "audit.auditentry" in values and "accounts.user" in values
    assert not any(value.startswith(("auth.", "sessions.")) for value in values)


SEARCHES = {
    "everything": AuditFilter(),
    "dates": AuditFilter(date_from=date(2025, 1, 1), date_to=date(2025, 1, 31)),
    "username": AuditFilter(username="pc4021"),
    "username and dates": AuditFilter(username="pc4021", date_from=date(2025, 1, 1)),
    "record": AuditFilter(record_type="people.nominal", record_id="7"),
    "action": AuditFilter(action="erasure"),
    "break-glass": AuditFilter(break_glass=True, date_from=date(2025, 1, 1)),
}


@pytest.mark.parametrize("name", list(SEARCHES))
def test_every_search_walks_an_index_newest_first(name: str) -> None:
    """No search may scan the table or sort it: at tens of millions of rows either is minutes."""
    dpo = make_dpo()
    entries = _older_than_page(audit_search(user=dpo, filters=SEARCHES[name]))
    sql, params = entries.query.sql_with_params()
    with connection.cursor() as cursor:
        # With the alternatives priced out, the planner still sorts if no index gives the order.
        for method in ("seqscan", "bitmapscan", "sort"):
            cursor.execute(f"SET LOCAL enable_{method} = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan" not in plan, plan
    assert "Sort" not in plan, plan
    assert "audit_" in plan and "_idx" in plan, plan


def _older_than_page(entries: Any) -> Any:
    from iops.audit.selectors import _older_than

    return _older_than(entries, Cursor(_at(2025, 1, 15, 12), 1000))[:51]
