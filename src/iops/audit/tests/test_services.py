"""Writers of the s.62 log: what every entry must carry, and what is refused with a clear error."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from iops.audit.choices import Action, LogPurpose
from iops.audit.models import AccessGrant, AuditEntry
from iops.audit.selectors import AuditFilter
from iops.audit.services import (
    access_grant_add,
    access_grant_remove,
    audit_export_start,
    audit_many,
    audit_record,
    clean_purpose,
    log_purpose,
)
from iops.audit.tests.factories import UserFactory, make_dpo, make_entry, make_staff
from iops.audit.verify import verify_chain
from iops.platform.errors import PermissionRefused, PurposeRequired, ValidationFailed
from iops.platform.middleware import RequestIdMiddleware

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("purpose", [None, "", "   \n"])
def test_a_read_needs_a_purpose(purpose: str | None) -> None:
    with pytest.raises(PurposeRequired) as error:
        clean_purpose(purpose)
    assert error.value.field == "purpose"


def test_a_purpose_is_kept_as_written_but_not_without_limit() -> None:
    assert clean_purpose("  Safeguarding referral check  ") == "Safeguarding referral check"
    with pytest.raises(ValidationFailed) as error:
        clean_purpose("x" * 2001)
    assert error.value.field == "purpose"


def test_the_log_itself_may_be_read_only_for_s62_4_purposes() -> None:
    assert log_purpose("self_monitoring") == LogPurpose.SELF_MONITORING.label
    with pytest.raises(PurposeRequired):
        log_purpose("")
    with pytest.raises(ValidationFailed, match=r"s\.62\(4\)") as error:
        log_purpose("curiosity")
    assert error.value.field == "purpose"


def test_a_disclosure_must_name_its_recipient() -> None:
    with pytest.raises(ValidationFailed) as error:
        audit_record(
            actor=None, action=Action.DISCLOSURE, operation="crimes.cps_transfer", purpose="Charging"
        )
    assert error.value.field == "recipient"
    entry = make_entry(action=Action.DISCLOSURE, recipient="CPS Direct", purpose="Charging decision")
    assert entry.recipient == "CPS Direct"


def test_an_entry_records_who_acted() -> None:
    officer = UserFactory(username="pc4021")
    entry = make_entry(actor=officer)
    assert (entry.actor_id, entry.actor_username) == (officer.pk, "pc4021")
    assert make_entry(actor=None).actor_username == "system"


def test_inside_a_request_the_entry_carries_the_request_id_and_client_address() -> None:
    officer = UserFactory()
    written: list[AuditEntry] = []

    def view(request: HttpRequest) -> HttpResponse:
        written.append(make_entry(actor=officer))
        return HttpResponse("ok")

    request = RequestFactory().get("/", HTTP_X_REQUEST_ID="req-7f3a", REMOTE_ADDR="192.0.2.44")
    response = RequestIdMiddleware(view)(request)

    assert response["X-Request-ID"] == "req-7f3a"
    assert (written[0].request_id, written[0].client_address) == ("req-7f3a", "192.0.2.44")
    outside = make_entry(actor=officer)
    assert (outside.request_id, outside.client_address) == ("", "")


def test_text_that_the_database_or_the_hash_cannot_hold_is_stored_visibly_replaced() -> None:
    entry = make_entry(
        purpose="Pasted\x00from\x1fa form\x07",
        record_id="42\x1f",
        detail={"note": "tab\tand\x00nul", "when": date(2025, 3, 27), "nested": [{"k\x1f": "v"}]},
    )
    assert entry.purpose == "Pasted\ufffdfrom\ufffda form\ufffd"
    assert entry.record_id == "42\ufffd"
    assert entry.detail == {"note": "tab\tand\ufffdnul", "when": "2025-03-27", "nested": [{"k\ufffd": "v"}]}
    assert verify_chain().clean


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"record_id": "9" * 65}, "record_id"),
        ({"recipient": "r" * 201, "action": Action.DISCLOSURE}, "recipient"),
        ({"action": "peeking"}, "action"),
        ({"operation": "o" * 65}, "operation"),
    ],
)
def test_values_the_log_cannot_hold_are_refused_naming_the_field(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        make_entry(**fields)
    assert error.value.field == field


def test_an_entry_commits_or_rolls_back_with_the_work_it_records() -> None:
    before = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        make_entry(record_id="rolled-back")
        raise RuntimeError("the service failed after logging")
    assert AuditEntry.objects.count() == before


def test_audit_many_writes_one_chained_entry_per_record() -> None:
    entries = audit_many(
        actor=None,
        action=Action.COMBINATION,
        operation="people.merge",
        record_type="people.nominal",
        record_ids=[11, 12, 13],
        purpose="Duplicate nominals merged",
    )
    assert len(entries) == 3
    assert sorted(
        AuditEntry.objects.filter(operation="people.merge").values_list("record_id", flat=True)
    ) == [
        "11",
        "12",
        "13",
    ]
    assert verify_chain().clean
    assert (
        audit_many(actor=None, action=Action.COMBINATION, operation="x", record_type="y", record_ids=[]) == []
    )


def test_the_export_is_logged_as_a_disclosure_to_the_person_exporting() -> None:
    dpo = make_dpo(first_name="Priya", last_name="Shah")
    for n in range(3):
        make_entry(record_id=str(n))
    export = audit_export_start(
        acting_user=dpo, filters=AuditFilter(record_type="people.nominal"), purpose="lawfulness"
    )
    entry = export.entry
    assert entry.action == Action.DISCLOSURE
    assert entry.recipient == "Priya Shah (dpo)"
    assert entry.purpose == LogPurpose.LAWFULNESS.label
    assert entry.detail == {"filters": {"record_type": "people.nominal"}, "rows": 3, "truncated": False}
    assert (export.rows, export.truncated) == (3, False)


def test_an_export_larger_than_the_limit_is_cut_and_says_so(settings: Any) -> None:
    settings.IOPS_AUDIT_EXPORT_LIMIT = 2
    dpo = make_dpo()
    for n in range(3):
        make_entry(record_id=str(n))
    export = audit_export_start(acting_user=dpo, filters=AuditFilter(), purpose="integrity")
    assert (export.rows, export.truncated) == (2, True)
    assert export.entry.detail["truncated"] is True


def test_only_a_role_allowed_to_export_may_export() -> None:
    with pytest.raises(PermissionRefused):
        audit_export_start(acting_user=make_staff(), filters=AuditFilter(), purpose="lawfulness")
    assert not AuditEntry.objects.filter(action=Action.DISCLOSURE).exists()


def test_access_grants_are_added_and_removed_with_an_entry_each() -> None:
    dpo = make_dpo()
    officer = UserFactory(username="dc2231")
    record = UserFactory(username="subject")
    grant = access_grant_add(
        acting_user=dpo,
        record=record,
        user=officer,
        reason="Investigating officer on the linked crime",
        permission="audit.search_auditentry",
    )
    assert grant.granted_by == dpo
    assert access_grant_remove(
        acting_user=dpo, record=record, user=officer, permission="audit.search_auditentry"
    )
    assert not AccessGrant.objects.exists()
    operations = list(
        AuditEntry.objects.filter(record_id=str(record.pk)).order_by("id").values_list("operation", flat=True)
    )
    assert operations == ["audit.access_grant_add", "audit.access_grant_remove"]
    with pytest.raises(PermissionRefused):
        access_grant_add(
            acting_user=officer,
            record=record,
            user=officer,
            reason="Me",
            permission="audit.search_auditentry",
        )
