"""The hash chain under concurrent writers: committed work from many connections verifies clean.

Each thread has its own database connection (Django's connections are per thread) and commits,
as web workers do. These tests are transactional so every thread sees the others' commits.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections, transaction

from iops.audit.choices import Action
from iops.audit.models import AuditChainHead, AuditEntry
from iops.audit.services import audit_record
from iops.audit.sql import CHAINS
from iops.audit.verify import verify_chain

pytestmark = pytest.mark.django_db(transaction=True)


def _entry(label: str) -> None:
    audit_record(
        actor=None,
        action=Action.COLLECTION,
        operation="incidents.create",
        record_type="incidents.incident",
        record_id=label,
        purpose="Test incident",
    )


def _in_thread(target: Callable[[], None], errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            target()
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


class _Rollback(Exception):
    pass


def test_concurrent_writers_with_rollbacks_leave_a_clean_chain() -> None:
    writers, transactions, per_transaction = 12, 15, 3
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def writer(number: int) -> Callable[[], None]:
        def work() -> None:
            start.wait()
            for t in range(transactions):
                with transaction.atomic():
                    for e in range(per_transaction):
                        _entry(f"{number}-{t}-{e}")
                    # A savepoint rolled back inside a committed transaction.
                    try:
                        with transaction.atomic():
                            _entry(f"{number}-{t}-savepoint")
                            raise _Rollback
                    except _Rollback:
                        pass
                # A whole transaction rolled back.
                try:
                    with transaction.atomic():
                        _entry(f"{number}-{t}-rolled-back")
                        raise _Rollback
                except _Rollback:
                    pass

        return work

    threads = [_in_thread(writer(n), errors) for n in range(writers)]
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert not any(thread.is_alive() for thread in threads)

    committed = writers * transactions * per_transaction
    assert AuditEntry.objects.count() == committed
    assert not AuditEntry.objects.filter(record_id__endswith="rolled-back").exists()
    assert not AuditEntry.objects.filter(record_id__endswith="savepoint").exists()
    result = verify_chain()
    assert result.clean, [finding.describe() for finding in result.findings]
    assert result.entries == committed
    # Every transaction's entries sit on one chain, one after another.
    chains_per_transaction = {
        (record_id.rsplit("-", 1)[0], chain)
        for record_id, chain in AuditEntry.objects.values_list("record_id", "chain")
    }
    assert len(chains_per_transaction) == writers * transactions
    heads = dict(AuditChainHead.objects.values_list("chain", "last_seq"))
    assert sum(heads.values()) == committed


def _hold_a_chain(label: str, held: threading.Event, release: threading.Event) -> Callable[[], None]:
    """Write one entry and keep the transaction (and its chain head) open until told."""

    def work() -> None:
        with transaction.atomic():
            _entry(label)
            held.set()
            release.wait(timeout=60)

    return work


def test_a_writer_takes_a_free_chain_instead_of_waiting() -> None:
    errors: list[BaseException] = []
    held, release = threading.Event(), threading.Event()
    holder = _in_thread(_hold_a_chain("holder", held, release), errors)
    assert held.wait(timeout=30)

    other = _in_thread(lambda: _entry("other"), errors)
    other.join(timeout=30)
    finished_while_held = not other.is_alive()
    release.set()
    holder.join(timeout=30)

    assert not errors
    assert finished_while_held, "the second writer waited for the first one's chain"
    chains = dict(AuditEntry.objects.values_list("record_id", "chain"))
    assert chains["holder"] != chains["other"]
    assert verify_chain().clean


def test_when_every_chain_is_held_a_writer_waits_then_links_correctly() -> None:
    errors: list[BaseException] = []
    release = threading.Event()
    holders = []
    for n in range(CHAINS):
        held = threading.Event()
        holders.append(_in_thread(_hold_a_chain(f"holder-{n}", held, release), errors))
        assert held.wait(timeout=30)

    waiter = _in_thread(lambda: _entry("waiter"), errors)
    waiter.join(timeout=1.0)
    waited = waiter.is_alive()
    release.set()
    for thread in [*holders, waiter]:
        thread.join(timeout=30)

    assert not errors
    assert waited, "with every chain held, a writer should wait for one"
    assert AuditEntry.objects.values("chain").distinct().count() == CHAINS
    waiter_entry = AuditEntry.objects.get(record_id="waiter")
    holder_entry = AuditEntry.objects.get(chain=waiter_entry.chain, chain_seq=waiter_entry.chain_seq - 1)
    assert waiter_entry.prev_hash == holder_entry.entry_hash
    assert verify_chain().clean


def test_a_session_may_not_empty_the_log_without_the_test_setting() -> None:
    """TRUNCATE is refused to a session that has not set the placeholder (production's case)."""
    import psycopg

    _entry("kept")
    db = connection.settings_dict
    with (
        psycopg.connect(
            host=db["HOST"],
            port=db["PORT"] or None,
            user=db["USER"],
            password=db["PASSWORD"],
            dbname=db["NAME"],
        ) as other,
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"),
    ):
        other.execute("TRUNCATE audit_auditentry")
    assert AuditEntry.objects.filter(record_id="kept").exists()
