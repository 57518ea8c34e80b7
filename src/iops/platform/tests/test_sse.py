"""Live events: a committed change reaches every connected screen through one LISTEN connection.

These run a real uvicorn server in a thread (the project's ASGI application, with a bare stream
mounted by ``sse_urls``) and publish through ``platform.events`` into real PostgreSQL NOTIFY.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, transaction

from iops.platform import events, sse
from iops.platform.tests.sse_client import StreamClient, running_server

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server(settings: Any) -> Iterator[str]:
    settings.ROOT_URLCONF = "iops.platform.tests.sse_urls"
    with running_server() as url:
        yield url


def _hub_clients() -> int:
    return sum(hub.client_count for hub in list(sse._hubs.values()))


def _wait_for(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def _listeners() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'iops-sse' AND datname = current_database()"
        )
        return int(cursor.fetchone()[0])


def test_a_committed_event_reaches_a_connected_client(server: str) -> None:
    client = StreamClient(server, "/stream?topics=test.ping")
    try:
        assert client.status == 200
        assert client.headers["content-type"].startswith("text/event-stream")
        assert client.headers["cache-control"].startswith("no-cache")
        ready = client.next_event()
        assert ready.name == "ready"
        assert ready.json() == {"topics": ["test.ping"]}
        with transaction.atomic():
            events.publish("test.ping", {"id": 7, "version": 3})
        event = client.next_event()
        assert event.name == "test.ping"
        assert event.json() == {"topic": "test.ping", "id": 7, "version": 3}
    finally:
        client.close()


def test_nothing_is_sent_for_a_rolled_back_change_or_a_topic_not_asked_for(server: str) -> None:
    client = StreamClient(server, "/stream?topics=test.ping")
    try:
        client.next_event()
        with pytest.raises(RuntimeError), transaction.atomic():
            events.publish("test.ping", {"id": 1})
            raise RuntimeError("the change fails")
        with transaction.atomic():
            events.publish("test.other", {"id": 2})
            events.publish("test.ping", {"id": 3})
        assert client.next_event().json()["id"] == 3
        with pytest.raises(TimeoutError):
            client.next_event(timeout=0.8)
    finally:
        client.close()


def test_many_clients_share_one_listening_connection_and_all_receive_the_change(server: str) -> None:
    clients = [StreamClient(server, "/stream?topics=test.ping,test.pong") for _ in range(60)]
    try:
        for client in clients:
            assert client.next_event().name == "ready"
        # One listening connection for all 60 (an earlier test's server may take a moment to close its own).
        _wait_for(lambda: _listeners() == 1)
        with transaction.atomic():
            events.publish("test.pong", {"id": 42})
        for client in clients:
            event = client.next_event()
            assert (event.name, event.json()["id"]) == ("test.pong", 42)
    finally:
        for client in clients:
            client.close()


def test_an_idle_stream_gets_heartbeats(server: str) -> None:
    client = StreamClient(server, "/stream?topics=test.ping&heartbeat=0.2")
    try:
        client.next_event()
        _wait_for(lambda: client.comments >= 2, timeout=3)
    finally:
        client.close()


def test_a_client_that_goes_away_is_forgotten(server: str) -> None:
    client = StreamClient(server, "/stream?topics=test.ping")
    client.next_event()
    assert _hub_clients() == 1
    client.close()
    _wait_for(lambda: _hub_clients() == 0)


def test_a_lost_listening_connection_comes_back_and_tells_clients_to_refetch(server: str) -> None:
    client = StreamClient(server, "/stream?topics=test.ping")
    try:
        client.next_event()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'iops-sse' AND datname = current_database()"
            )
        assert client.next_event(timeout=10).name == "resync"
        with transaction.atomic():
            events.publish("test.ping", {"id": 5})
        assert client.next_event().json()["id"] == 5
    finally:
        client.close()


def test_a_client_that_falls_behind_is_told_to_refetch_instead_of_fed_a_backlog() -> None:
    async def scenario() -> list[bytes]:
        subscription = sse.Subscription(frozenset({"iops_test_ping"}))
        for number in range(sse.QUEUE_LIMIT + 5):
            subscription.offer(sse.frame("test.ping", f'{{"id": {number}}}'))
        waiting = []
        while not subscription.queue.empty():
            waiting.append(subscription.queue.get_nowait())
        return waiting

    waiting = asyncio.run(scenario())
    assert sse.RESYNC in waiting
    assert len(waiting) < sse.QUEUE_LIMIT


def test_event_data_with_newlines_is_framed_line_by_line() -> None:
    assert sse.frame("note", "one\ntwo") == b"event: note\ndata: one\ndata: two\n\n"
