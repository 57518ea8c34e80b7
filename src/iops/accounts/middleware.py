"""Session rules for signed-in people: an idle terminal is signed out after a quiet spell, and someone
given a password by an administrator must choose their own before doing anything else."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

SESSION_KEY = "iops_last_activity"


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            last = request.session.get(SESSION_KEY)
            if last is not None and now - float(last) > settings.IOPS_IDLE_TIMEOUT_SECONDS:
                logout(request)
                minutes = max(1, settings.IOPS_IDLE_TIMEOUT_SECONDS // 60)
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {
                            "code": "session_expired",
                            "message": "Your session ended after inactivity.",
                            "field": None,
                        },
                        status=401,
                    )
                unit = "minute" if minutes == 1 else "minutes"
                messages.info(request, f"You were signed out after {minutes} {unit} without activity.")
                return redirect(
                    f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': request.get_full_path()})}"
                )
            # Write at most once a minute so a stream of requests doesn't rewrite the session each time.
            if last is None or now - float(last) > 60:
                request.session[SESSION_KEY] = now
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    """Until someone replaces a password an administrator gave them, only the change-password page
    (and signing out) work; the API answers 403 for their session."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "must_change_password", False):
            allowed = {reverse("accounts:password_change"), reverse("accounts:logout")}
            if request.path not in allowed and not request.path.startswith(settings.STATIC_URL):
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {
                            "code": "password_change_required",
                            "message": "Choose a new password before using iOPS.",
                            "field": None,
                        },
                        status=403,
                    )
                return redirect("accounts:password_change")
        return self.get_response(request)
