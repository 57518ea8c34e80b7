"""Checking the s.62 log's hash chains (``iops audit verify``).

Each chain must run 1, 2, 3... with every row's ``prev_hash`` equal to the previous row's hash and
every row's hash equal to the hash of its own contents, and the chain head must point at the last
row. A row altered in place fails the content check; a removed row leaves a gap in the sequence;
rows removed from the end leave the head ahead of the table. Hashes are recomputed here, in Python,
from the raw columns (``canonical_text`` mirrors the database's ``audit_entry_canonical``), so a
database function replaced by an intruder cannot vouch for the rows it was changed to accept. The
guards themselves (triggers switched on, functions as shipped) are checked too, and chain heads
recorded earlier outside the database (``audit_heads``) can be checked against the table, which
catches a chain rewritten consistently from the altered row onwards.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from iops.audit import sql

CANONICAL_VERSION = "v1"


@dataclass(frozen=True)
class Finding:
    """One problem: an entry (``entry_id``), a chain position, or a database guard."""

    entry_id: int | None
    chain: int | None
    chain_seq: int | None
    problem: str
    occurred_at: datetime | None = None
    actor: str = ""
    record: str = ""
    guard: str = ""

    def describe(self) -> str:
        if self.guard:
            return f"database guard {self.guard}: {self.problem}"
        where = f"entry {self.entry_id}" if self.entry_id is not None else f"chain {self.chain}"
        context = []
        if self.occurred_at is not None:
            context.append(self.occurred_at.strftime("%Y-%m-%d %H:%M:%S"))
        if self.actor:
            context.append(f"by {self.actor}")
        if self.record:
            context.append(f"on {self.record}")
        suffix = f" ({', '.join(context)})" if context else ""
        position = (
            f"chain {self.chain}, position {self.chain_seq}" if self.chain is not None else "in no chain"
        )
        return f"{where} [{position}]{suffix}: {self.problem}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "entry_id": self.entry_id,
            "chain": self.chain,
            "position": self.chain_seq,
            "problem": self.problem,
            "occurred_at": self.occurred_at.isoformat() if self.occurred_at else None,
            "actor": self.actor,
            "record": self.record,
            "guard": self.guard,
            "description": self.describe(),
        }


@dataclass
class VerifyResult:
    entries: int = 0
    chains: int = 0
    findings: list[Finding] = field(default_factory=list)
    anchors_checked: int = 0

    @property
    def clean(self) -> bool:
        return not self.findings

    def summary(self) -> str:
        if self.clean:
            anchored = f"; {self.anchors_checked} anchored heads match" if self.anchors_checked else ""
            return f"audit log: clean ({self.entries} entries in {self.chains} chains verified{anchored})"
        return f"audit log: {len(self.findings)} problem(s) found in {self.entries} entries"


@dataclass(frozen=True)
class Anchor:
    """A chain head recorded outside the database: position ``seq`` of ``chain`` had ``entry_hash``."""

    chain: int
    seq: int
    entry_hash: str


def canonical_text(
    *,
    entry_id: int,
    chain: int | None,
    chain_seq: int | None,
    prev_hash: str | None,
    occurred_at: datetime | None,
    actor_id: int | None,
    actor_username: str | None,
    action: str | None,
    operation: str | None,
    record_type: str | None,
    record_id: str | None,
    purpose: str | None,
    recipient: str | None,
    detail_text: str | None,
    break_glass: bool | None,
    request_id: str | None,
    client_address: str | None,
) -> str:
    """The row as ``audit_entry_canonical`` renders it: fields joined by U+001F, NULLs left out
    (as ``concat_ws`` does). ``detail_text`` is the database's own text of the jsonb value."""
    when = None
    if occurred_at is not None:
        when = occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    parts: list[str | None] = [
        CANONICAL_VERSION,
        str(entry_id),
        None if chain is None else str(chain),
        None if chain_seq is None else str(chain_seq),
        prev_hash,
        when,
        "-" if actor_id is None else str(actor_id),
        actor_username,
        action,
        operation,
        record_type,
        record_id,
        purpose,
        recipient,
        detail_text,
        None if break_glass is None else ("true" if break_glass else "false"),
        request_id,
        client_address,
    ]
    return "\x1f".join(part for part in parts if part is not None)


def entry_hash_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _function_bodies() -> dict[str, str]:
    """The body of each function as shipped in ``sql.py``; ``pg_proc.prosrc`` holds the same text."""
    bodies = {}
    pattern = re.compile(r"CREATE OR REPLACE FUNCTION (\w+)\(.*?\$\$(.*?)\$\$", re.DOTALL)
    for source in (sql.CANONICAL_FUNCTION, sql.CHAIN_TRIGGER, sql.APPEND_ONLY_TRIGGERS):
        for name, body in pattern.findall(source):
            bodies[name] = body
    return bodies


def _check_guards(cursor: Any) -> list[Finding]:
    """Triggers present and switched on, and functions unchanged since the last migration."""
    findings = []
    cursor.execute(
        """
        SELECT c.relname, t.tgname, t.tgenabled
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relname IN ('audit_auditentry', 'audit_auditchainhead') AND NOT t.tgisinternal
        """
    )
    found = {(table, name): enabled for table, name, enabled in cursor.fetchall()}
    for table, name in sql.GUARD_TRIGGERS:
        enabled = found.get((table, name))
        if enabled is None:
            findings.append(Finding(None, None, None, f"the trigger on {table} is missing", guard=name))
        elif enabled not in ("O", "A"):
            findings.append(Finding(None, None, None, f"the trigger on {table} is switched off", guard=name))
    expected = _function_bodies()
    cursor.execute("SELECT proname, prosrc FROM pg_proc WHERE proname = ANY(%s)", [list(expected)])
    installed = dict(cursor.fetchall())
    for name, body in expected.items():
        if name not in installed:
            findings.append(Finding(None, None, None, "the function is missing", guard=name))
        elif installed[name].strip() != body.strip():
            findings.append(
                Finding(None, None, None, "the function differs from the one iOPS installed", guard=name)
            )
    return findings


def load_anchors(text: str) -> list[Anchor]:
    """Anchors from the JSON ``audit_heads`` prints. Raises ValueError for anything else."""
    try:
        document = json.loads(text)
        return [
            Anchor(chain=int(head["chain"]), seq=int(head["seq"]), entry_hash=str(head["hash"]))
            for head in document["heads"]
            if int(head["seq"]) > 0
        ]
    except (KeyError, TypeError, json.JSONDecodeError) as error:
        raise ValueError(f"not a file written by 'audit_heads': {error}") from error


def chain_heads() -> dict[str, Any]:
    """Each chain's last position and hash, and one digest over them all, to keep outside the
    database (printed by ``iops manage audit_heads``)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT chain, last_seq, last_hash FROM audit_auditchainhead ORDER BY chain")
        heads = [{"chain": chain, "seq": seq, "hash": digest} for chain, seq, digest in cursor.fetchall()]
    joined = "\n".join(f"{head['chain']}:{head['seq']}:{head['hash']}" for head in heads)
    return {
        "taken_at": timezone.now().isoformat(),
        "heads": heads,
        "digest": hashlib.sha256(joined.encode()).hexdigest(),
    }


def verify_chain(anchors: Sequence[Anchor] = ()) -> VerifyResult:
    """Walk every chain in order, streaming rows, and report every problem found.

    Heads and rows are read in one snapshot, so entries committed while the walk runs are neither
    half-seen nor reported as problems.
    """
    if connection.in_atomic_block:
        return _verify(anchors)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return _verify(anchors)


def _verify(anchors: Iterable[Anchor]) -> VerifyResult:
    result = VerifyResult()
    anchored = {(anchor.chain, anchor.seq): anchor for anchor in anchors}
    with connection.cursor() as cursor:
        result.findings.extend(_check_guards(cursor))
        cursor.execute("SELECT chain, last_seq FROM audit_auditchainhead ORDER BY chain")
        heads: dict[int, int] = dict(cursor.fetchall())
    last_seq: dict[int, int] = {}
    last_hash: dict[int, str] = {}
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql.VERIFY_QUERY)
        for row in cursor:
            result.entries += 1
            result.findings.extend(_check_row(row, last_seq, last_hash, anchored))
    for (chain, seq), _anchor in sorted(anchored.items()):
        if last_seq.get(chain, 0) < seq:
            result.findings.append(
                Finding(
                    None,
                    chain,
                    seq,
                    "the entry recorded in the anchor is no longer in the log (the chain was cut back)",
                )
            )
    for chain, head_seq in heads.items():
        seen = last_seq.get(chain, 0)
        if head_seq > seen:
            count = head_seq - seen
            result.findings.append(
                Finding(
                    None,
                    chain,
                    head_seq,
                    f"the last {count} entr{'y' if count == 1 else 'ies'} of the chain "
                    f"(positions {seen + 1} to {head_seq}) were removed",
                )
            )
        elif head_seq < seen:
            result.findings.append(
                Finding(None, chain, seen, "the chain head was rolled back behind the table")
            )
    result.chains = len(set(last_seq) | set(heads))
    result.anchors_checked = len(anchored)
    return result


def _check_row(
    row: Sequence[Any],
    last_seq: dict[int, int],
    last_hash: dict[int, str],
    anchored: dict[tuple[int, int], Anchor],
) -> list[Finding]:
    (
        entry_id,
        chain,
        seq,
        prev_hash,
        occurred_at,
        actor_id,
        actor_username,
        action,
        operation,
        record_type,
        record_id,
        purpose,
        recipient,
        detail_text,
        break_glass,
        request_id,
        client_address,
        entry_hash,
    ) = row
    recomputed = entry_hash_of(
        canonical_text(
            entry_id=entry_id,
            chain=chain,
            chain_seq=seq,
            prev_hash=prev_hash,
            occurred_at=occurred_at,
            actor_id=actor_id,
            actor_username=actor_username,
            action=action,
            operation=operation,
            record_type=record_type,
            record_id=record_id,
            purpose=purpose,
            recipient=recipient,
            detail_text=detail_text,
            break_glass=break_glass,
            request_id=request_id,
            client_address=client_address,
        )
    )
    problems = []
    previous_seq = last_seq.get(chain) if chain is not None else None
    expected_seq = (previous_seq or 0) + 1
    if chain is None or seq is None:
        problems.append("is not linked into any chain (written with the database guards switched off)")
    elif seq != expected_seq:
        missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq} to {seq - 1}"
        problems.append(f"entries before this one are missing (position {missing} removed)")
    elif previous_seq is not None and prev_hash != last_hash[chain]:
        problems.append("link to the previous entry is broken (the previous entry was altered or replaced)")
    elif previous_seq is None and prev_hash != "":
        problems.append("first entry of the chain does not start the chain")
    if recomputed != entry_hash:
        problems.append(f"contents were altered after it was written ({action} entry)")
    anchor = anchored.get((chain, seq))
    if anchor is not None and anchor.entry_hash != entry_hash:
        problems.append("differs from the chain head recorded outside the database (the chain was rewritten)")
    if chain is not None and seq is not None:
        last_seq[chain] = seq
        last_hash[chain] = entry_hash
    record = f"{record_type}:{record_id}" if record_type else ""
    return [
        Finding(entry_id, chain, seq, problem, occurred_at, actor_username or "", record)
        for problem in problems
    ]
