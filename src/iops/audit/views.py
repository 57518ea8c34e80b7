"""The data protection officer's pages: search the s.62 log, review break-glass accesses, export CSV.

Every search shown is logged as a consultation and every export as a disclosure (through
``access.access_audit_log`` and ``services.audit_export_start``); the views only read the form,
call those, and put any domain error next to the field it concerns.
"""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any
from urllib.parse import urlencode

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_required, permission_required
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from iops.audit.access import access_audit_log
from iops.audit.choices import LogPurpose
from iops.audit.forms import AuditSearchForm
from iops.audit.models import AuditEntry
from iops.audit.permissions import EXPORT_LOG, SEARCH_LOG
from iops.audit.selectors import AuditPage, Cursor, audit_export_batches
from iops.audit.services import AuditExport, audit_export_start, export_limit
from iops.platform.errors import DomainError

CSV_COLUMNS = [
    "entry",
    "occurred_at",
    "username",
    "action",
    "operation",
    "record_type",
    "record_id",
    "purpose",
    "recipient",
    "break_glass",
    "break_glass_reason",
    "request_id",
    "client_address",
    "chain",
    "position",
    "entry_hash",
]
# A spreadsheet runs a cell that starts with one of these as a formula; free text in the log
# (a purpose typed by anyone) must not become one in the officer's spreadsheet.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _filter_query(data: Mapping[str, Any]) -> str:
    """The search's own parameters, without the page cursors, for links and the CSV address."""
    kept = QueryDict(mutable=True)
    for name, values in data.lists() if isinstance(data, QueryDict) else ((k, [v]) for k, v in data.items()):
        if name not in ("after", "before"):
            kept.setlist(name, values)
    return kept.urlencode()


def _add_domain_error(form: AuditSearchForm, error: DomainError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def _search_page(
    request: HttpRequest, form: AuditSearchForm, *, title: str, template_extra: dict[str, Any]
) -> HttpResponse:
    page: AuditPage | None = None
    status = 200
    if form.is_bound and form.is_valid():
        try:
            after = Cursor.decode(request.GET["after"], field="after") if request.GET.get("after") else None
            before = (
                Cursor.decode(request.GET["before"], field="before") if request.GET.get("before") else None
            )
            page = access_audit_log(
                request.user, form.filters(), purpose=form.cleaned_data["purpose"], after=after, before=before
            )
        except DomainError as error:
            _add_domain_error(form, error)
            status = error.status
    elif form.is_bound:
        status = 400
    # The form's own data: the break-glass page fills in its reason and filter itself.
    query = _filter_query(form.data) if form.is_bound else ""
    context = {
        # GOV.UK: a page showing errors says so first in its title, for screen-reader users.
        "page_title": f"Error: {title}" if form.errors else title,
        "heading": title,
        "form": form,
        "page": page,
        "query": query,
        "newer_url": f"?{query}&{urlencode({'before': page.newer.encode()})}" if page and page.newer else "",
        "older_url": f"?{query}&{urlencode({'after': page.older.encode()})}" if page and page.older else "",
        "can_export": request.user.has_perm(EXPORT_LOG),
        "export_limit": f"{export_limit():,}",
        **template_extra,
    }
    return render(request, "audit/search.html", context, status=status)


@require_GET
@login_required
@permission_required(SEARCH_LOG, raise_exception=True)
def search(request: HttpRequest) -> HttpResponse:
    """Search the log by who, what record, what action and when."""
    # Any parameter means the form was sent (its empty boxes are sent too), so a missing reason
    # is shown as an error rather than as an empty page.
    form = AuditSearchForm(request.GET or None)
    return _search_page(request, form, title="Access log", template_extra={"break_glass_page": False})


@require_GET
@login_required
@permission_required(SEARCH_LOG, raise_exception=True)
def break_glass(request: HttpRequest) -> HttpResponse:
    """Break-glass accesses, newest first, for review. Opens on self-monitoring, which is what a
    review of break-glass use is; the officer can change the reason and narrow the dates."""
    data = request.GET.copy() if request.GET else QueryDict(mutable=True)
    data.setdefault("purpose", LogPurpose.SELF_MONITORING.value)
    data["break_glass"] = "on"
    form = AuditSearchForm(data)
    return _search_page(
        request, form, title="Break-glass accesses to review", template_extra={"break_glass_page": True}
    )


def _csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _csv_row(entry: AuditEntry) -> list[str]:
    values = [
        entry.pk,
        timezone.localtime(entry.occurred_at).isoformat(),
        entry.actor_username,
        entry.action,
        entry.operation,
        entry.record_type,
        entry.record_id,
        entry.purpose,
        entry.recipient,
        "yes" if entry.break_glass else "no",
        (entry.detail or {}).get("break_glass_reason", "") if entry.break_glass else "",
        entry.request_id,
        entry.client_address,
        entry.chain,
        entry.chain_seq,
        entry.entry_hash,
    ]
    return [_csv_cell(value) for value in values]


class _Line:
    """A file-like object whose ``write`` hands back the line, so csv.writer can stream."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(user: Any, export: AuditExport) -> Iterator[str]:
    writer = csv.writer(_Line())
    # The byte-order mark tells spreadsheet programs the file is UTF-8 (names with accents).
    yield "\ufeff" + writer.writerow(CSV_COLUMNS)
    for batch in audit_export_batches(user=user, filters=export.filters, limit=export.rows):
        yield "".join(writer.writerow(_csv_row(entry)) for entry in batch)


async def _csv_lines_async(user: Any, export: AuditExport) -> AsyncIterator[str]:
    # Under ASGI a synchronous iterator would be read whole into memory before sending; this
    # fetches one keyset batch at a time in the worker thread and sends it before the next.
    lines = _csv_lines(user, export)
    fetch = sync_to_async(lambda: next(lines, None), thread_sensitive=True)
    while (chunk := await fetch()) is not None:
        yield chunk


@require_GET
@login_required
@permission_required(EXPORT_LOG, raise_exception=True)
def export_csv(request: HttpRequest) -> HttpResponseBase:
    """The current result as CSV, newest first, streamed. Logged as a disclosure before it starts."""
    form = AuditSearchForm(request.GET)
    if not form.is_valid():
        return _search_page(request, form, title="Access log", template_extra={"break_glass_page": False})
    try:
        export = audit_export_start(
            acting_user=request.user, filters=form.filters(), purpose=form.cleaned_data["purpose"]
        )
    except DomainError as error:
        _add_domain_error(form, error)
        return _search_page(request, form, title="Access log", template_extra={"break_glass_page": False})
    content: Iterator[str] | AsyncIterator[str]
    if isinstance(request, ASGIRequest):
        content = _csv_lines_async(request.user, export)
    else:
        content = _csv_lines(request.user, export)
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="access-log-{stamp}.csv"'
    response["X-Export-Rows"] = str(export.rows)
    response["Cache-Control"] = "no-store"
    return response
