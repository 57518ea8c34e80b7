"""The current request, for code far from the view that must record who asked (audit entries).

Set by ``RequestIdMiddleware``; outside a request (CLI, worker) it is None.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import Any

_current: ContextVar[Any] = ContextVar("iops_request", default=None)


def set_request(request: Any) -> Token[Any]:
    return _current.set(request)


def reset_request(token: Token[Any]) -> None:
    _current.reset(token)


def current_request() -> Any:
    return _current.get()


def client_address() -> str:
    request = current_request()
    if request is None:
        return ""
    return str(request.META.get("REMOTE_ADDR", ""))


def request_id() -> str:
    request = current_request()
    return str(getattr(request, "request_id", "")) if request is not None else ""
