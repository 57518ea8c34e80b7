"""The access-helper pattern every app's ``access.py`` builds on: permission, purpose, need-to-know,
and exactly one consultation entry for every successful read.

No restricted model exists in the platform yet, so a user row stands in for "a record": the helper
reads only ``restricted`` and ``restriction_contact``, as every ``Restrictable`` model has them.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from iops.audit.access import RestrictedRecord, access_record, get_or_not_found
from iops.audit.choices import Action
from iops.audit.models import AuditEntry
from iops.audit.services import access_grant_add
from iops.audit.tests.factories import UserFactory, make_dpo, make_staff
from iops.platform.errors import NotFound, PermissionRefused, PurposeRequired, ValidationFailed

pytestmark = pytest.mark.django_db

PERMISSION = "audit.search_auditentry"  # held by the data protection officer's role only
CONTACT = "DI Lovelace, Public Protection Unit"


def _record(*, restricted: bool = False) -> Any:
    record = UserFactory(username="subject")
    record.restricted = restricted
    record.restriction_contact = CONTACT if restricted else ""
    return record


def _read(user: Any, record: Any, **kwargs: Any) -> Any:
    kwargs.setdefault("purpose", "Reviewing the record for a subject access request")
    return access_record(user, record, permission=PERMISSION, operation="accounts.view", **kwargs)


def _consultations() -> int:
    return AuditEntry.objects.filter(action=Action.CONSULTATION).count()


@pytest.mark.parametrize("who", ["anonymous", "inactive", "wrong role"])
def test_without_the_permission_the_read_is_refused_and_nothing_is_logged(who: str) -> None:
    user: Any = AnonymousUser()
    if who == "inactive":
        user = make_dpo(is_active=False)
    elif who == "wrong role":
        user = make_staff()
    with pytest.raises(PermissionRefused):
        _read(user, _record())
    assert _consultations() == 0


def test_without_a_purpose_the_read_is_refused() -> None:
    with pytest.raises(PurposeRequired) as error:
        _read(make_dpo(), _record(), purpose=" ")
    assert error.value.field == "purpose"
    assert _consultations() == 0


def test_a_successful_read_writes_exactly_one_consultation() -> None:
    dpo, record = make_dpo(), _record()
    assert _read(dpo, record, detail={"fields": ["name"]}) is record
    entries = list(AuditEntry.objects.all())
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.action, entry.operation, entry.record_type, entry.record_id) == (
        Action.CONSULTATION,
        "accounts.view",
        "accounts.user",
        str(record.pk),
    )
    assert (entry.actor_id, entry.purpose, entry.break_glass) == (
        dpo.pk,
        "Reviewing the record for a subject access request",
        False,
    )
    assert entry.detail == {"fields": ["name"]}
    _read(dpo, record)
    assert _consultations() == 2


def test_a_restricted_record_is_refused_with_whom_to_ask() -> None:
    with pytest.raises(RestrictedRecord) as error:
        _read(make_dpo(), _record(restricted=True))
    assert CONTACT in error.value.message
    assert error.value.status == 403
    assert _consultations() == 0


def test_someone_on_the_access_list_reads_a_restricted_record() -> None:
    dpo, record = make_dpo(), _record(restricted=True)
    access_grant_add(
        acting_user=dpo, record=record, user=dpo, reason="Assigned reviewer", permission=PERMISSION
    )
    _read(dpo, record)
    entry = AuditEntry.objects.get(action=Action.CONSULTATION)
    assert entry.break_glass is False


def test_break_glass_opens_a_restricted_record_and_is_flagged_with_its_reason() -> None:
    dpo, record = make_dpo(), _record(restricted=True)
    reason = "Urgent threat to life reported at the subject's address"
    _read(dpo, record, break_glass_reason=reason)
    entry = AuditEntry.objects.get(action=Action.CONSULTATION)
    assert entry.break_glass is True
    assert entry.detail["break_glass_reason"] == reason


def test_break_glass_needs_a_reason_that_says_something() -> None:
    with pytest.raises(ValidationFailed) as error:
        _read(make_dpo(), _record(restricted=True), break_glass_reason="need")
    assert error.value.field == "break_glass_reason"
    assert _consultations() == 0


@pytest.mark.parametrize("pk", [999_999, "not-a-number", None])
def test_a_missing_or_malformed_reference_is_not_found(pk: Any) -> None:
    with pytest.raises(NotFound):
        get_or_not_found(get_user_model().objects.all(), pk, label="user")
