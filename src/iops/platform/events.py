"""Events: how one app tells others, and live screens, that something happened.

``publish(topic, payload)`` does two things:

* calls the in-process subscribers registered for the topic, inside the caller's transaction, so a
  higher app can react to a lower one (DESIGN section 2) in the same unit of work; and
* after the transaction commits, sends ``NOTIFY iops_<topic>`` with the JSON payload, which the
  server-sent-event streams LISTEN for. Nothing is sent for a transaction that rolls back.

Payloads are small JSON objects (ids and states); a listener refetches what it needs, so a refetched
screen always equals a screen with the events applied. The notifications of one transaction are
sent together after it commits, in one statement, each distinct one once (a service that touches
an incident three times tells the boards once).
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction

logger = logging.getLogger(__name__)

Subscriber = Callable[[str, dict[str, Any]], None]
_subscribers: dict[str, list[Subscriber]] = defaultdict(list)

CHANNEL_PREFIX = "iops_"
# PostgreSQL refuses a NOTIFY payload of 8000 bytes or more.
MAX_PAYLOAD_BYTES = 7900


def channel_for(topic: str) -> str:
    """The PostgreSQL channel of a topic: ``incidents.changed`` -> ``iops_incidents_changed``."""
    return CHANNEL_PREFIX + topic.replace(".", "_").replace("-", "_")


def subscribe(topic: str, subscriber: Subscriber) -> None:
    """Call ``subscriber(topic, payload)`` inside the publishing transaction. Idempotent."""
    if subscriber not in _subscribers[topic]:
        _subscribers[topic].append(subscriber)


def subscribed(topic: str) -> bool:
    """Whether an in-process subscriber listens to ``topic``."""
    return bool(_subscribers.get(topic))


def notification(topic: str, payload: dict[str, Any]) -> tuple[str, str]:
    """The channel and body of the NOTIFY that tells listeners of an event."""
    body = json.dumps({"topic": topic, **payload}, default=str, separators=(",", ":"))
    if len(body.encode()) > MAX_PAYLOAD_BYTES:
        logger.warning("event %s payload too large for NOTIFY; sending ids only", topic)
        body = json.dumps({"topic": topic, "truncated": True, "id": payload.get("id")}, default=str)
    return channel_for(topic), body


def publish(topic: str, payload: dict[str, Any]) -> None:
    """Tell in-process subscribers now, and listeners on PostgreSQL once the transaction commits."""
    for subscriber in list(_subscribers.get(topic, [])):
        subscriber(topic, payload)
    _pending().add(*notification(topic, payload))


_NOTIFY_SLICE = 500


class _PendingNotifications:
    """The distinct notifications a transaction will send once it commits."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], None] = {}

    def add(self, channel: str, body: str) -> None:
        self.items[(channel, body)] = None

    def flush(self) -> None:
        items, self.items = list(self.items), {}
        if not items:
            return
        with connection.cursor() as cursor:
            # A select list holds at most 1664 entries, so a big transaction sends in slices.
            for start in range(0, len(items), _NOTIFY_SLICE):
                chunk = items[start : start + _NOTIFY_SLICE]
                calls = ", ".join(["pg_notify(%s, %s)"] * len(chunk))
                cursor.execute(f"SELECT {calls}", [value for pair in chunk for value in pair])


def _pending() -> _PendingNotifications:
    """This connection's pending notifications, with their flush registered for the current commit.

    A rollback discards the registered flush (Django drops the transaction's on-commit callbacks),
    so a new set is started whenever the current one's flush is no longer waiting.
    """
    pending: _PendingNotifications | None = getattr(connection, "_iops_pending_notifications", None)
    waiting = (
        pending is not None
        and connection.in_atomic_block
        and any(callback[1] == pending.flush for callback in connection.run_on_commit)
    )
    if pending is None or not waiting:
        pending = _PendingNotifications()
        connection._iops_pending_notifications = pending  # type: ignore[attr-defined]
        if connection.in_atomic_block:
            transaction.on_commit(pending.flush)
        else:
            # Outside a transaction the change is already committed: send at once.
            pending.items = {}
            return _ImmediateNotifications()
    return pending


class _ImmediateNotifications(_PendingNotifications):
    def add(self, channel: str, body: str) -> None:
        super().add(channel, body)
        self.flush()
