"""Batched writes: every row of a batch is written, or none is, and its events are sent only then."""

from __future__ import annotations

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction

from iops.platform.batch import Batch, reserve_ids
from iops.platform.models import Force
from iops.platform.tests.test_events import _listening, _received

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def listener() -> psycopg.Connection:
    listening = _listening("test.batch")
    yield listening
    listening.close()


def test_a_batch_writes_every_row_with_reserved_ids_defaults_and_awkward_text(
    listener: psycopg.Connection,
) -> None:
    [reserved] = reserve_ids(Force)
    named = Force(pk=reserved, code="TB1", name="100% O'Brien; DROP TABLE x; -- %s")
    others = [Force(code="TB2", name="Second"), Force(code="TB3", name="Third")]
    batch = Batch()
    batch.insert([named])
    batch.insert(others)
    batch.publish("test.batch", {"id": reserved})
    batch.run()

    stored = Force.objects.get(pk=reserved)
    assert stored.name == "100% O'Brien; DROP TABLE x; -- %s"
    assert stored.created_at is not None  # auto_now_add filled in as save() would
    assert set(Force.objects.filter(code__in=["TB2", "TB3"]).values_list("name", flat=True)) == {
        "Second",
        "Third",
    }
    assert not named._state.adding
    assert _received(listener) == [f'{{"topic":"test.batch","id":{reserved}}}']


def test_a_batch_that_fails_in_its_last_statement_writes_nothing_and_sends_nothing(
    listener: psycopg.Connection,
) -> None:
    Force.objects.create(code="TBX", name="Already here")
    batch = Batch()
    batch.insert([Force(code="TB4", name="Would be written first")])
    batch.insert([Force(code="TBX", name="Same code again")])
    batch.publish("test.batch", {"id": "never"})
    with pytest.raises(IntegrityError):
        batch.run()
    assert not Force.objects.filter(code="TB4").exists()
    assert _received(listener) == []
    # The connection is usable afterwards: the failed batch left no transaction open.
    assert not connection.in_atomic_block
    assert Force.objects.filter(code="TBX").count() == 1


def test_a_batch_inside_a_transaction_is_undone_with_it(listener: psycopg.Connection) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        batch = Batch()
        batch.insert([Force(code="TB5", name="Rolled back")])
        batch.publish("test.batch", {"id": "rolled back"})
        batch.run()
        assert Force.objects.filter(code="TB5").exists()  # visible inside the transaction
        raise RuntimeError("the caller's transaction fails later")
    assert not Force.objects.filter(code="TB5").exists()
    assert _received(listener) == []


def test_one_model_per_insert_and_ids_all_or_none() -> None:
    batch = Batch()
    with pytest.raises(ValueError, match="every id set or none"):
        batch.insert([Force(pk=10_001, code="TB6", name="x"), Force(code="TB7", name="y")])


def test_rows_given_as_values_take_what_save_would_give_the_columns_they_do_not_name() -> None:
    batch = Batch()
    batch.insert_rows(Force, [{"code": "TR1", "name": "It's 100%"}, {"code": "TR2", "name": "Two"}])
    batch.run()
    first = Force.objects.get(code="TR1")
    assert first.name == "It's 100%"
    assert first.created_at is not None  # auto_now_add, as save() would stamp it
    assert Force.objects.filter(code="TR2").exists()

    with pytest.raises(ValueError, match="no column colour"):
        Batch().insert_rows(Force, [{"code": "TR3", "colour": "blue"}])
    with pytest.raises(ValueError, match="same columns"):
        Batch().insert_rows(Force, [{"code": "TR4", "name": "x"}, {"code": "TR5"}])
