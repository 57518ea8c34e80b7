"""Request-wide middleware: a request id for logs and audit entries, and the content security policy."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from iops.platform import request_context


class RequestIdMiddleware:
    """Tag each request with an id (kept from ``X-Request-ID`` if a proxy set one) and a CSP nonce."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        request.csp_nonce = secrets.token_urlsafe(16)  # type: ignore[attr-defined]
        token = request_context.set_request(request)
        try:
            response = self.get_response(request)
        finally:
            request_context.reset_request(token)
        response["X-Request-ID"] = request_id
        return response


class ContentSecurityPolicyMiddleware:
    """A strict policy: our own scripts and styles, inline scripts only with the request's nonce."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" in response or response.get("Content-Type", "").startswith(
            "application/json"
        ):
            return response
        nonce = getattr(request, "csp_nonce", "")
        tiles = settings.IOPS_TILE_URL
        img_src = "'self' data:"
        if tiles:
            # Allow the configured tile server's origin only.
            from urllib.parse import urlparse

            parsed = urlparse(
                tiles.replace("{s}", "a").replace("{z}", "0").replace("{x}", "0").replace("{y}", "0")
            )
            if parsed.scheme and parsed.netloc:
                img_src += f" {parsed.scheme}://{parsed.netloc.replace('a.', '*.', 1)}"
        response["Content-Security-Policy"] = (
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self' 'unsafe-inline'; "
            f"img-src {img_src}; "
            "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
        )
        return response
