"""The s.62 log: append-only in the database, and hash-chained so tampering is named.

These run inside the test's transaction (the triggers behave the same there); the tests that need
commits from several connections are in test_concurrency.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.utils import DatabaseError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iops.audit.choices import Action
from iops.audit.models import AuditChainHead, AuditEntry
from iops.audit.services import audit_many, audit_record
from iops.audit.sql import VERIFY_QUERY
from iops.audit.verify import canonical_text, entry_hash_of, verify_chain

pytestmark = pytest.mark.django_db


def _write(n: int) -> list[AuditEntry]:
    """n entries in one transaction, so they share one chain."""
    with transaction.atomic():
        entries = [
            audit_record(
                actor=None,
                action=Action.CONSULTATION,
                operation="test.view",
                record_type="people.nominal",
                record_id=i,
                purpose="Test purpose",
            )
            for i in range(n)
        ]
    for entry in entries:
        entry.refresh_from_db()
    return entries


def test_fresh_log_verifies_clean(capsys: pytest.CaptureFixture[str]) -> None:
    _write(5)
    call_command("audit_verify")
    assert "audit log: clean (5 entries" in capsys.readouterr().out


def test_update_and_delete_are_refused_by_the_database() -> None:
    entry = _write(1)[0]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(purpose="changed")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()


def _tamper(sql: str, params: list[object]) -> None:
    """What an attacker with database access would do: switch the guard off and edit."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params)
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")


def test_altered_entry_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    entries = _write(6)
    victim = entries[3]
    _tamper("UPDATE audit_auditentry SET purpose = %s WHERE id = %s", ["nothing to see", victim.pk])
    result = verify_chain()
    assert not result.clean
    assert [f.entry_id for f in result.findings if "altered" in f.problem] == [victim.pk]
    with pytest.raises(CommandError):
        call_command("audit_verify")
    assert f"entry {victim.pk} " in capsys.readouterr().out


def test_removed_entry_is_named_by_its_neighbour() -> None:
    entries = _write(6)
    victim = entries[2]
    _tamper("DELETE FROM audit_auditentry WHERE id = %s", [victim.pk])
    result = verify_chain()
    assert [(f.entry_id, f.chain_seq) for f in result.findings] == [(entries[3].pk, entries[3].chain_seq)]
    assert f"position {victim.chain_seq} removed" in result.findings[0].problem


def test_removed_tail_is_reported() -> None:
    entries = _write(3)
    last = entries[-1]
    _tamper("DELETE FROM audit_auditentry WHERE chain = %s AND chain_seq = %s", [last.chain, last.chain_seq])
    result = verify_chain()
    assert any(f.entry_id is None and "removed" in f.problem for f in result.findings)


def test_disclosure_needs_a_recipient() -> None:
    from iops.platform.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as error:
        audit_record(actor=None, action=Action.DISCLOSURE, operation="x", purpose="p")
    assert error.value.field == "recipient"


def test_a_switched_off_guard_is_reported() -> None:
    _write(2)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        try:
            result = verify_chain()
        finally:
            cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_append_only")
    assert [f.guard for f in result.findings] == ["audit_entry_append_only"]
    assert "switched off" in result.findings[0].describe()
    assert verify_chain().clean


def test_a_replaced_chain_function_is_reported() -> None:
    from iops.audit.sql import CANONICAL_FUNCTION

    with connection.cursor() as cursor:
        cursor.execute(CANONICAL_FUNCTION.replace("'v1',", "'v1', 'x',"))
        try:
            result = verify_chain()
        finally:
            cursor.execute(CANONICAL_FUNCTION)
    assert [f.guard for f in result.findings] == ["audit_entry_canonical"]


def test_an_entry_written_with_the_guards_off_is_named() -> None:
    _write(1)
    _tamper(
        "INSERT INTO audit_auditentry (occurred_at, actor_username, action, operation, record_type, record_id,"
        " purpose, recipient, detail, break_glass, request_id, client_address, prev_hash, entry_hash)"
        " VALUES (now(), 'intruder', 'consultation', '', '', '', '', '', '{}', false, '', '', '', '')",
        [],
    )
    result = verify_chain()
    assert {f.actor for f in result.findings} == {"intruder"}
    assert any("not linked into any chain" in f.problem for f in result.findings)


def test_a_chain_rewritten_consistently_is_caught_by_an_anchor_kept_outside() -> None:
    """Re-hashing every entry after the altered one fools the chain, not the heads saved earlier."""
    from iops.audit.verify import chain_heads, load_anchors

    entries = _write(3)
    anchors = load_anchors(json.dumps(chain_heads()))
    assert verify_chain(anchors).clean
    chain = entries[0].chain
    previous = ""
    for entry in AuditEntry.objects.filter(chain=chain).order_by("chain_seq"):
        purpose = "rewritten" if entry.pk == entries[1].pk else entry.purpose
        with connection.cursor() as cursor:
            cursor.execute("SELECT detail::text FROM audit_auditentry WHERE id = %s", [entry.pk])
            detail_text = cursor.fetchone()[0]
        digest = entry_hash_of(
            canonical_text(
                entry_id=entry.pk,
                chain=entry.chain,
                chain_seq=entry.chain_seq,
                prev_hash=previous,
                occurred_at=entry.occurred_at,
                actor_id=entry.actor_id,
                actor_username=entry.actor_username,
                action=entry.action,
                operation=entry.operation,
                record_type=entry.record_type,
                record_id=entry.record_id,
                purpose=purpose,
                recipient=entry.recipient,
                detail_text=detail_text,
                break_glass=entry.break_glass,
                request_id=entry.request_id,
                client_address=entry.client_address,
            )
        )
        _tamper(
            "UPDATE audit_auditentry SET purpose = %s, prev_hash = %s, entry_hash = %s WHERE id = %s",
            [purpose, previous, digest, entry.pk],
        )
        previous = digest
    _tamper("UPDATE audit_auditchainhead SET last_hash = %s WHERE chain = %s", [previous, chain])

    assert verify_chain().clean  # the chain alone cannot tell
    caught = verify_chain(anchors)
    assert [f.entry_id for f in caught.findings] == [entries[-1].pk]
    assert "recorded outside the database" in caught.findings[0].problem


def test_audit_verify_command_checks_anchors_from_a_file(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(2)
    path = tmp_path / "heads.json"
    call_command("audit_heads", stdout=path.open("w"))
    call_command("audit_verify", anchors=str(path))
    assert "anchored heads match" in capsys.readouterr().out
    path.write_text("not json")
    with pytest.raises(CommandError, match="cannot read anchors"):
        call_command("audit_verify", anchors=str(path))


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    purpose=st.text(max_size=40),
    recipient=st.text(max_size=40),
    record_id=st.text(max_size=20),
    operation=st.text(max_size=20),
    detail=st.dictionaries(st.text(max_size=6), json_values, max_size=4),
    break_glass=st.booleans(),
)
def test_verify_recomputes_exactly_what_the_database_hashed(
    purpose: str, recipient: str, record_id: str, operation: str, detail: dict[str, Any], break_glass: bool
) -> None:
    """Any text and any JSON the services accept hash the same in Python as in the trigger."""
    entry = audit_record(
        actor=None,
        action=Action.DISCLOSURE,
        operation=operation,
        record_type="people.nominal",
        record_id=record_id,
        purpose=purpose,
        recipient=recipient if recipient.strip() else "CPS",
        detail=detail,
        break_glass=break_glass,
    )
    with connection.cursor() as cursor:
        cursor.execute(VERIFY_QUERY.replace("ORDER BY", "WHERE id = %s ORDER BY"), [entry.pk])
        row = cursor.fetchone()
    names = [
        "entry_id", "chain", "chain_seq", "prev_hash", "occurred_at", "actor_id", "actor_username",
        "action", "operation", "record_type", "record_id", "purpose", "recipient", "detail_text",
        "break_glass", "request_id", "client_address",
    ]  # fmt: skip
    assert entry_hash_of(canonical_text(**dict(zip(names, row[:-1], strict=True)))) == row[-1]


def test_a_long_transaction_with_a_rolled_back_savepoint_stays_one_clean_chain() -> None:
    with transaction.atomic():
        for n in range(150):
            audit_record(actor=None, action=Action.COLLECTION, operation="legacy.import", record_id=n)
        try:
            with transaction.atomic():
                audit_many(
                    actor=None,
                    action=Action.COLLECTION,
                    operation="legacy.import",
                    record_type="legacy.record",
                    record_ids=range(1000, 1100),
                )
                raise RuntimeError("this batch failed")
        except RuntimeError:
            pass
        audit_many(
            actor=None,
            action=Action.COLLECTION,
            operation="legacy.import",
            record_type="legacy.record",
            record_ids=range(2000, 2500),
        )
    entries = AuditEntry.objects.filter(operation="legacy.import")
    assert entries.count() == 650
    assert entries.values("chain").distinct().count() == 1
    head = AuditChainHead.objects.get(chain=entries.first().chain)
    assert head.last_seq == entries.order_by("-chain_seq").first().chain_seq
    assert verify_chain().clean


def test_a_chain_place_set_by_hand_for_the_session_is_not_trusted() -> None:
    first = _write(1)[0]
    with connection.cursor() as cursor:
        cursor.execute("SET iops.audit_chain = %s", [f"1:{first.chain}:999:{'0' * 64}"])
        try:
            second = _write(1)[0]
        finally:
            cursor.execute("RESET iops.audit_chain")
    assert second.chain_seq != 1000
    assert verify_chain().clean


def test_a_switched_off_head_trigger_shows_as_heads_behind_the_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_head")
        try:
            _write(2)
            result = verify_chain()
        finally:
            cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_head")
    problems = {f.guard or f.problem for f in result.findings}
    assert "audit_entry_head" in problems
    assert "the chain head was rolled back behind the table" in problems
