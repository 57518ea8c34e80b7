"""Lockout after repeated failed sign-ins, by django-axes, with the behaviour people are told about.

Axes counts failures per username and refuses an account once they reach ``AXES_FAILURE_LIMIT``
(5). Left to itself it shows the lockout page on the very failure that reaches the limit. We
promise something easier to understand: every one of the five wrong attempts says "wrong
password", and the sixth attempt (even with the right password) is refused with the lockout
page. The counting, storing and refusing stay axes'; this module only chooses the response, through
axes' ``AXES_LOCKOUT_CALLABLE`` hook.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# The response a view wants shown although axes has just flagged the request as locked out.
DEFERRED_RESPONSE = "iops_response_before_lockout"


def is_locked(request: HttpRequest, username: str) -> bool:
    """Whether axes refuses this username now."""
    return bool(AxesProxyHandler.is_locked(request, {"username": username}))


def cool_off_minutes() -> int:
    cool_off = settings.AXES_COOLOFF_TIME
    return max(1, int(cool_off.total_seconds() // 60)) if cool_off else 0


def lockout_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/locked_out.html",
        {"page_title": "Your account is locked", "cool_off_minutes": cool_off_minutes()},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


def show_before_lockout(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Let the failure that reaches the limit show ``response``; the lock applies from the next try."""
    setattr(request, DEFERRED_RESPONSE, response)
    return response


def lockout_response(request: HttpRequest, *args: Any) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``. Axes passes (request, response, credentials) when it runs
    synchronously and (request, credentials) under ASGI, so the extra arguments are not used."""
    deferred = getattr(request, DEFERRED_RESPONSE, None)
    if isinstance(deferred, HttpResponse):
        return deferred
    return lockout_page(request)
