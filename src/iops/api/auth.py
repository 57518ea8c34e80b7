"""API authentication: a bearer token (``Authorization: Bearer <token>``) or the browser session.

Session requests that change something must carry the CSRF token, as pages do (ninja's
``SessionAuth`` checks it); token requests need none, because a browser never sends a bearer
token on its own.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from iops.accounts.services import token_authenticate


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


bearer_token = BearerToken()
session_auth = SessionAuth()
AUTH = [bearer_token, session_auth]
