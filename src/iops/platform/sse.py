"""Server-sent events fed by PostgreSQL LISTEN/NOTIFY, for live screens.

Services publish events (``iops.platform.events.publish``), which NOTIFY ``iops_<topic>`` after
their transaction commits. Each web process holds ONE listening connection (an async psycopg
connection owned by an ``EventHub`` on the process's event loop) and fans every notification out to
a bounded in-memory queue per connected client, so a thousand open screens cost a thousand small
queues and no database connections. ``event_stream(request, topics)`` is what an async view returns:
a ``text/event-stream`` response that first sends ``ready`` (the hub is listening: a client should
now refetch what it shows, which closes any gap since it last loaded), then one SSE event per
notification (the event name is the topic, the data the published JSON), with a comment line as a
heartbeat every 15 seconds so proxies and the browser keep the connection open. Nothing is replayed:
a client that reconnects, or whose queue overflowed, or whose process lost its database connection
(``resync``), refetches, so a refetched screen is always the truth and events are only hints.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections
from django.http import HttpRequest, JsonResponse, StreamingHttpResponse
from psycopg import sql

from iops.platform.events import channel_for

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15.0
# How long the listener waits for notifications before it checks for newly wanted channels.
POLL_SECONDS = 0.5
# A client this far behind is told to refetch rather than fed a backlog it cannot use.
QUEUE_LIMIT = 500
# How long a new client waits for the hub to LISTEN before it is sent ``ready`` anyway (it will be
# sent ``resync`` once the database is back).
LISTEN_WAIT_SECONDS = 5.0
RETRY_MILLISECONDS = 3000
RECONNECT_MAX_SECONDS = 10.0

# libpq parameters that may sit in DATABASES OPTIONS and mean the same for the listener.
_LIBPQ_OPTIONS = {
    "options",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslpassword",
    "connect_timeout",
    "target_session_attrs",
    "passfile",
    "service",
}


def frame(event: str, data: str) -> bytes:
    """One SSE event. Data is split on newlines, as the format requires one ``data:`` per line."""
    lines = "".join(f"data: {line}\n" for line in (data.splitlines() or [""]))
    return f"event: {event}\n{lines}\n".encode()


RESYNC = frame("resync", "{}")
HEARTBEAT = b": keepalive\n\n"


@dataclass(eq=False)
class Subscription:
    """One connected client: the channels it wants and the frames waiting to be sent to it."""

    channels: frozenset[str]
    queue: asyncio.Queue[bytes] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT + 1))

    def offer(self, payload: bytes) -> None:
        if self.queue.qsize() >= QUEUE_LIMIT:
            # The client cannot keep up: drop what it has not read and tell it to refetch instead.
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(RESYNC)
            return
        self.queue.put_nowait(payload)


def listener_params() -> dict[str, Any]:
    """Connection parameters for the listening connection, from Django's default database."""
    source = connections["default"].settings_dict
    params: dict[str, Any] = {
        "dbname": source["NAME"],
        "autocommit": True,
        "application_name": "iops-sse",
    }
    for key, name in (("USER", "user"), ("PASSWORD", "password"), ("HOST", "host"), ("PORT", "port")):
        if source.get(key):
            params[name] = source[key]
    for key, value in (source.get("OPTIONS") or {}).items():
        if key in _LIBPQ_OPTIONS:
            params[key] = value
    return params


class EventHub:
    """The one LISTEN connection of a process (per event loop) and the clients it feeds."""

    def __init__(self, params: dict[str, Any] | None = None) -> None:
        self._params = params
        self._by_channel: dict[str, set[Subscription]] = {}
        self._topic_of: dict[str, str] = {}
        self._listening: set[str] = set()
        self._waiters: list[tuple[frozenset[str], asyncio.Future[None]]] = []
        self._clients: set[Subscription] = set()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.connected = False
        self.delivered = 0

    @property
    def client_count(self) -> int:
        return len(self._clients)

    def listening(self) -> frozenset[str]:
        return frozenset(self._listening)

    async def subscribe(self, topics: Iterable[str]) -> Subscription:
        """Register a client for ``topics``; returns once the hub LISTENs on all of them (or gives up
        waiting after ``LISTEN_WAIT_SECONDS``, in which case ``resync`` follows the reconnection)."""
        channels = {}
        for topic in topics:
            channels[channel_for(topic)] = topic
        subscription = Subscription(frozenset(channels))
        self._clients.add(subscription)
        for channel, topic in channels.items():
            self._topic_of[channel] = topic
            self._by_channel.setdefault(channel, set()).add(subscription)
        self._ensure_running()
        if not subscription.channels <= self._listening:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append((subscription.channels, waiter))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(waiter), LISTEN_WAIT_SECONDS)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._clients.discard(subscription)
        for channel in subscription.channels:
            group = self._by_channel.get(channel)
            if group is not None:
                group.discard(subscription)

    async def close(self) -> None:
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    # --- the listener -------------------------------------------------------------------------

    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._closing = False
            self._task = asyncio.get_running_loop().create_task(self._run(), name="iops-sse-listener")

    async def _run(self) -> None:
        delay = 0.25
        lost = False
        while not self._closing:
            try:
                params = self._params if self._params is not None else await sync_to_async(listener_params)()
                connection = await psycopg.AsyncConnection.connect(**params)
                async with connection:
                    self._listening.clear()
                    await self._listen_wanted(connection)
                    self.connected = True
                    if lost:
                        # Notifications sent while we were away are gone: every client refetches.
                        self._broadcast(RESYNC)
                    delay = 0.25
                    while not self._closing:
                        async for notify in connection.notifies(timeout=POLL_SECONDS):
                            self._deliver(notify.channel, notify.payload)
                        await self._listen_wanted(connection)
            except asyncio.CancelledError:
                raise
            except (psycopg.Error, OSError) as error:
                logger.warning("live events: listening connection lost (%s); retrying in %.1fs", error, delay)
            except Exception:
                # Whatever went wrong, live screens must come back: log it and start again.
                logger.exception("live events: listener failed; retrying in %.1fs", delay)
            finally:
                self.connected = False
                self._listening.clear()
            lost = True
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX_SECONDS)

    async def _listen_wanted(self, connection: psycopg.AsyncConnection[Any]) -> None:
        wanted = [
            channel for channel, group in self._by_channel.items() if group and channel not in self._listening
        ]
        for channel in wanted:
            await connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            self._listening.add(channel)
        if self._waiters:
            still_waiting = []
            for channels, waiter in self._waiters:
                if channels <= self._listening:
                    if not waiter.done():
                        waiter.set_result(None)
                elif not waiter.done():
                    still_waiting.append((channels, waiter))
            self._waiters = still_waiting

    def _deliver(self, channel: str, payload: str) -> None:
        group = self._by_channel.get(channel)
        if not group:
            return
        # Encoded once, shared by every client's queue.
        message = frame(self._topic_of.get(channel, channel), payload)
        for subscription in list(group):
            subscription.offer(message)
        self.delivered += 1

    def _broadcast(self, message: bytes) -> None:
        for subscription in list(self._clients):
            subscription.offer(message)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, EventHub] = weakref.WeakKeyDictionary()


def hub() -> EventHub:
    """The hub of the running event loop (one per web process; tests may run several loops)."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        found = EventHub()
        _hubs[loop] = found
    return found


def _release_database_connections() -> None:
    """Close this request's database connections: a stream may stay open for hours and must not
    hold one of the server's connections while it waits."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()


def _max_clients() -> int:
    return int(getattr(settings, "IOPS_SSE_MAX_CLIENTS", 5000))


async def _events(topics: tuple[str, ...], heartbeat: float, hub_: EventHub) -> AsyncIterator[bytes]:
    # Runs after the middleware has finished with the request, so nothing reopens the connection.
    await sync_to_async(_release_database_connections)()
    subscription = await hub_.subscribe(topics)
    try:
        ready = '{"topics": [' + ", ".join(f'"{topic}"' for topic in topics) + "]}"
        yield f"retry: {RETRY_MILLISECONDS}\n".encode() + frame("ready", ready)
        while True:
            try:
                async with asyncio.timeout(heartbeat):
                    message = await subscription.queue.get()
            except TimeoutError:
                yield HEARTBEAT
                continue
            yield message
    finally:
        # Reached on client disconnect (the handler cancels us) as well as on server shutdown.
        hub_.unsubscribe(subscription)


def event_stream(
    request: HttpRequest, topics: Iterable[str], *, heartbeat: float = HEARTBEAT_SECONDS
) -> StreamingHttpResponse | JsonResponse:
    """A ``text/event-stream`` response for an async view, after it has checked who may listen."""
    chosen = tuple(dict.fromkeys(topics))
    current = hub()
    if current.client_count >= _max_clients():
        return JsonResponse(
            {
                "code": "too_many_streams",
                "message": "This server has as many live screens as it can hold; try again shortly.",
                "field": None,
            },
            status=503,
        )
    response = StreamingHttpResponse(_events(chosen, heartbeat, current), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache, no-store"
    # Tell a buffering proxy (nginx) to pass each event on as it comes.
    response["X-Accel-Buffering"] = "no"
    return response
