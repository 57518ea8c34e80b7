"""Platform pages: each role's home page, health endpoints, and friendly error pages."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from iops.platform.health import readiness
from iops.platform.shell import panels_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in person's work: panels from every app their roles can use."""
    panels = panels_for(request)
    return render(request, "platform/home.html", {"panels": panels, "page_title": "Your work"})


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and answering. Touches nothing else."""
    return JsonResponse({"status": "alive"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve: the database answers and every migration is applied."""
    state = readiness()
    return JsonResponse(state.as_dict(), status=200 if state.ready else 503)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def _error(request: HttpRequest, status: int, code: str, title: str, message: str) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"code": code, "message": message, "field": None}, status=status)
    context: dict[str, Any] = {"page_title": title, "title": title, "message": message, "status": status}
    return render(request, "platform/error.html", context, status=status)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(
        request,
        404,
        "not_found",
        "Page not found",
        "There is no page or record at this address. Check the address, or go back to your home page.",
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(
        request,
        403,
        "forbidden",
        "You do not have access to this page",
        "Your role does not allow this. If you need access, ask your supervisor or an administrator.",
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(
        request,
        400,
        "bad_request",
        "Sorry, there is a problem with that request",
        "The request could not be understood. Go back and try again.",
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(
        request,
        500,
        "server_error",
        "Sorry, there is a problem with the service",
        "Your work has not been lost if it was saved. Try again shortly; if it keeps happening, call the service desk.",
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(
        request,
        403,
        "csrf",
        "Your session needs refreshing",
        "The form was out of date or your session ended. Go back, reload the page and submit it again.",
    )
