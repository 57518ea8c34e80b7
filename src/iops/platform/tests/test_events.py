"""Change events: published inside a transaction, sent once it commits, however many there are."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection, transaction

from iops.platform import events

pytestmark = pytest.mark.django_db(transaction=True)


def _listening(topic: str) -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    listener = psycopg.connect(**params, autocommit=True)
    listener.execute(f'LISTEN "{events.channel_for(topic)}"')
    return listener


def _received(listener: psycopg.Connection) -> list[str]:
    return [note.payload for note in listener.notifies(timeout=2.0, stop_after=None)]


def test_a_big_transaction_sends_every_distinct_event_after_commit_and_a_rollback_none() -> None:
    listener = _listening("test.bulk")
    try:
        with transaction.atomic():
            for number in range(2000):
                events.publish("test.bulk", {"id": number})
            events.publish("test.bulk", {"id": 0})  # the same change twice is sent once
        sent = _received(listener)
        assert len(sent) == 2000
        assert any('"id":1999' in body for body in sent)

        with pytest.raises(RuntimeError), transaction.atomic():
            events.publish("test.bulk", {"id": "never"})
            raise RuntimeError("rolled back")
        assert _received(listener) == []
    finally:
        listener.close()
