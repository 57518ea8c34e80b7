"""The API instance: authentication, error bodies, and the routers of every app.

Every error leaves as ``{"code", "message", "field"}`` with a 4xx status: domain errors from
services, validation errors from ninja (the first failing field named), 401 and 404. Bodies and
query strings are read by ``parser.RefusingNulParser``.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from iops.api.auth import AUTH
from iops.api.parser import RefusingNulParser
from iops.platform.errors import DomainError

api = NinjaAPI(
    title="iOPS API",
    version="1",
    description="Integrated Operational Policing System. Authenticate with `Authorization: Bearer <token>` "
    "(create one with `iops token create USERNAME`) or a signed-in session. Errors are "
    '`{"code", "message", "field"}` with a 4xx status.',
    auth=AUTH,
    urls_namespace="api",
    parser=RefusingNulParser(),
)


def error_body(
    api: NinjaAPI, request: HttpRequest, status: int, code: str, message: str, field: str | None
) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, "field": field}, status=status)


def _field_of(location: list[Any]) -> str | None:
    """``["body", "payload", "date_of_birth"]`` -> ``date_of_birth``; ``["query", "name"]`` -> ``name``."""
    parts = [
        str(part)
        for part in location
        if part not in ("body", "query", "path", "header", "cookie", "form", "payload")
    ]
    parts = [part for part in parts if not part.isdigit()] or parts
    return ".".join(parts) if parts else None


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, error: DomainError) -> HttpResponse:
    return error_body(api, request, error.status, error.code, error.message, error.field)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, error: NinjaValidationError) -> HttpResponse:
    first = error.errors[0] if error.errors else {}
    field = _field_of(list(first.get("loc", [])))
    message = str(first.get("msg", "Invalid input"))
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    if first.get("type") == "missing":
        message = f"{field or 'A field'} is required"
    return error_body(api, request, 422, "invalid", message, field)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    return error_body(
        api,
        request,
        401,
        "unauthenticated",
        "Sign in, or send a valid token as 'Authorization: Bearer <token>'.",
        None,
    )


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    return error_body(api, request, 404, "not_found", str(error) or "Not found.", None)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    if isinstance(error.__cause__, DomainError):
        # ninja wraps whatever its body parser raises in "Cannot parse request body"; a field error
        # from ours (a NUL character, parser.py) keeps its field and message.
        return on_domain_error(request, error.__cause__)
    return error_body(api, request, error.status_code, "error", str(error), None)


def _mount_routers() -> None:
    """Each app that offers an API has ``api.py`` with ``router``; mounted here at its prefix."""
    from iops.api.routers import ROUTERS

    for prefix, router in ROUTERS:
        api.add_router(prefix, router)


_mount_routers()
