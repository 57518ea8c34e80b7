"""Audit API for the data protection officer: search the s.62 log and check its hash chains.

``GET /audit/entries`` takes the same filters as the page and a ``purpose`` from s.62(4); each call
is logged as a consultation. Pages are keyset pages: pass ``older`` from one answer as ``after`` to
get the next. ``GET /audit/verify`` runs the chain check (a full pass over the log, so it is slow on
a large log; operators schedule ``iops audit verify`` instead) and logs that it was run.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from iops.audit.access import access_audit_log, verify_audit_log
from iops.audit.models import AuditEntry
from iops.audit.selectors import PAGE_SIZE, AuditFilter, Cursor

router = Router(tags=["audit"])


class EntryOut(Schema):
    id: int
    occurred_at: datetime
    username: str
    action: str
    operation: str
    record_type: str
    record_id: str
    purpose: str
    recipient: str
    break_glass: bool
    break_glass_reason: str
    request_id: str
    client_address: str
    detail: dict[str, Any]
    chain: int | None
    position: int | None
    entry_hash: str


class EntriesQuery(Schema):
    purpose: str = ""
    username: str = ""
    record_type: str = ""
    record_id: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None
    break_glass: bool = False
    after: str = ""
    before: str = ""
    limit: int = PAGE_SIZE


class EntriesPage(Schema):
    entries: list[EntryOut]
    newer: str | None
    older: str | None
    matches: int
    matches_capped: bool


class FindingOut(Schema):
    entry_id: int | None
    chain: int | None
    position: int | None
    problem: str
    occurred_at: str | None
    actor: str
    record: str
    guard: str
    description: str


class VerifyOut(Schema):
    clean: bool
    entries: int
    chains: int
    summary: str
    findings: list[FindingOut]


def entry_out(entry: AuditEntry) -> EntryOut:
    detail = entry.detail or {}
    return EntryOut(
        id=entry.pk,
        occurred_at=entry.occurred_at,
        username=entry.actor_username,
        action=entry.action,
        operation=entry.operation,
        record_type=entry.record_type,
        record_id=entry.record_id,
        purpose=entry.purpose,
        recipient=entry.recipient,
        break_glass=entry.break_glass,
        break_glass_reason=str(detail.get("break_glass_reason", "")) if entry.break_glass else "",
        request_id=entry.request_id,
        client_address=entry.client_address,
        detail=detail,
        chain=entry.chain,
        position=entry.chain_seq,
        entry_hash=entry.entry_hash,
    )


@router.get(
    "/entries",
    response=EntriesPage,
    summary="Search the s.62 log (data protection officer); each search is itself logged",
)
def entries(request: HttpRequest, query: Query[EntriesQuery]) -> EntriesPage:
    filters = AuditFilter(
        username=query.username,
        record_type=query.record_type,
        record_id=query.record_id,
        action=query.action,
        date_from=query.date_from,
        date_to=query.date_to,
        break_glass=query.break_glass,
    )
    after = Cursor.decode(query.after, field="after") if query.after else None
    before = Cursor.decode(query.before, field="before") if query.before else None
    page = access_audit_log(
        request.user,
        filters,
        purpose=query.purpose,
        after=after,
        before=before,
        size=query.limit,
    )
    return EntriesPage(
        entries=[entry_out(entry) for entry in page.entries],
        newer=page.newer.encode() if page.newer else None,
        older=page.older.encode() if page.older else None,
        matches=page.matches,
        matches_capped=page.matches_capped,
    )


@router.get("/verify", response=VerifyOut, summary="Check the log's hash chains (data protection officer)")
def verify(request: HttpRequest) -> VerifyOut:
    result = verify_audit_log(request.user)
    return VerifyOut(
        clean=result.clean,
        entries=result.entries,
        chains=result.chains,
        summary=result.summary(),
        findings=[FindingOut(**finding.as_dict()) for finding in result.findings],
    )
