"""Writes sent to PostgreSQL together: the INSERTs of one unit of work in a single round trip.

The ORM compiles every INSERT afresh and sends each on its own: for the control room's busiest
write (a call, the incident it opens, its THRIVE, grade, log lines, duty and s.62 audit entries)
that cost more CPU in the web process than PostgreSQL spent on the rows, and ten round trips.
A ``Batch`` takes model instances (or, cheaper, rows as column values), builds each model's
INSERT text once per process, and sends every statement of the unit as one query (psycopg's client-side binding allows several
statements in one query; PostgreSQL runs them as one transaction when no transaction is open,
and inside the caller's when one is). See docs/adr/0007-batched-writes.md.

What the ORM's ``save()`` does that is kept: field defaults, ``auto_now``/``auto_now_add``, each
field's conversion for the database. What is not: model signals (iOPS connects none to these
models), and reading back values the database fills in (row ids come from ``reserve_ids``
beforehand when the caller needs them; trigger-filled columns are not read back).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.utils import timezone

from iops.platform import events
from iops.platform.prepared import planned_once


@cache
def _columns(model: type[models.Model], with_pk: bool) -> tuple[tuple[models.Field[Any, Any], ...], str]:
    """The fields an INSERT of ``model`` writes, and the statement's text up to VALUES."""
    quote = connection.ops.quote_name
    fields = tuple(
        field
        for field in model._meta.concrete_fields
        if with_pk or not (field.primary_key and isinstance(field, models.AutoField))
    )
    head = "INSERT INTO {} ({}) VALUES ".format(
        quote(model._meta.db_table), ", ".join(quote(field.column) for field in fields)
    )
    return fields, head


@cache
def _placeholders(count: int) -> str:
    return "(" + ", ".join(["%s"] * count) + ")"


# Given values of these kinds of field go to psycopg as they are (what the field's conversion would
# return for them anyway); any other field's value goes through its conversion.
_PLAIN_FIELDS = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "FloatField",
        "ForeignKey",
        "IntegerField",
        "PositiveBigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
    }
)
_TEXT_FIELDS = frozenset({"CharField", "TextField", "SlugField"})
_GIVEN, _GIVEN_TEXT, _GIVEN_DATETIME, _CONVERTED, _NOW, _CALLED = range(6)


@dataclass(frozen=True)
class _RowTemplate:
    """How to write rows of one model given values for some of its columns."""

    head: str  # INSERT INTO table (columns) VALUES
    row: str  # (%s, 'a default', %s, ...): the defaults written in as SQL literals
    params: tuple[tuple[int, str, models.Field[Any, Any]], ...]  # where each %s comes from


@cache
def _row_template(model: type[models.Model], given: frozenset[str]) -> _RowTemplate:
    fields = model._meta.concrete_fields
    unknown = given - {field.attname for field in fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no column {', '.join(sorted(unknown))}")
    quote = connection.ops.quote_name
    database = connections[DEFAULT_DB_ALIAS]
    columns: list[str] = []
    parts: list[str] = []
    params: list[tuple[int, str, models.Field[Any, Any]]] = []
    with connection.cursor() as cursor:
        for field in fields:
            name, kind = field.attname, field.get_internal_type()
            if name in given:
                how = (
                    _GIVEN
                    if kind in _PLAIN_FIELDS
                    else _GIVEN_TEXT
                    if kind in _TEXT_FIELDS
                    else _GIVEN_DATETIME
                    if kind == "DateTimeField"
                    else _CONVERTED
                )
                params.append((how, name, field))
                parts.append("%s")
            elif field.primary_key and isinstance(field, models.AutoField):
                continue
            elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                params.append((_NOW, name, field))
                parts.append("%s")
            elif field.has_default() and callable(field.default):
                params.append((_CALLED, name, field))
                parts.append("%s")
            else:
                # The default save() would write (None or '' where there is none), as a literal
                # (with any % doubled: the statement's text is bound again with the row's values).
                literal = cursor.mogrify("%s", [field.get_db_prep_save(field.get_default(), database)])
                parts.append(literal.replace("%", "%%"))
            columns.append(quote(field.column))
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(columns)}) VALUES "
    return _RowTemplate(head, "(" + ", ".join(parts) + ")", tuple(params))


def reserve_ids(*models_: type[models.Model]) -> list[int]:
    """The next id of each model's table, taken from its sequence (one query for them all)."""
    if not models_:
        return []
    quote = connection.ops.quote_name
    calls = ", ".join(
        f"nextval(pg_get_serial_sequence('{quote(model._meta.db_table)}', '{model._meta.pk.column}'))"
        for model in models_
    )
    with planned_once() as cursor:
        cursor.execute(f"SELECT {calls}")
        row = cursor.fetchone()
    return [int(value) for value in row]


class Batch:
    """INSERTs collected and sent in one query by ``run``; events published once they are written."""

    def __init__(self) -> None:
        self._statements: list[tuple[str, list[Any]]] = []
        self._written: list[models.Model] = []
        self._events: list[tuple[str, dict[str, Any]]] = []

    def insert(self, instances: Sequence[models.Model]) -> None:
        """Add instances of one model; each has its id set (from ``reserve_ids``), or none has."""
        if not instances:
            return
        model = type(instances[0])
        with_pk = instances[0].pk is not None
        if any(type(item) is not model or (item.pk is not None) != with_pk for item in instances):
            raise ValueError("one model per insert, and either every id set or none")
        fields, head = _columns(model, with_pk)
        row = _placeholders(len(fields))
        database = connections[DEFAULT_DB_ALIAS]  # the connection itself, not the proxy: faster
        params = [
            field.get_db_prep_save(field.pre_save(instance, True), database)
            for instance in instances
            for field in fields
        ]
        self._statements.append((head + ", ".join([row] * len(instances)), params))
        self._written.extend(instances)

    def insert_rows(self, model: type[models.Model], rows: Sequence[Mapping[str, Any]]) -> None:
        """Add rows of one model given as ``{attname: value}``, every row naming the same columns.
        A column not named takes what ``save()`` would give it: its default (called per row if
        callable), or now for ``auto_now``/``auto_now_add``. Cheaper than ``insert`` for rows the
        caller does not need as model instances."""
        if not rows:
            return
        template = _row_template(model, frozenset(rows[0]))
        if any(row.keys() != rows[0].keys() for row in rows):
            raise ValueError("every row must name the same columns")
        database = connections[DEFAULT_DB_ALIAS]
        now = timezone.now()
        params: list[Any] = []
        for row in rows:
            for how, name, field in template.params:
                if how == _GIVEN:
                    value = row[name]
                elif how == _GIVEN_TEXT:
                    value = row[name]
                    if value is not None and not isinstance(value, str):
                        value = str(value)
                elif how == _GIVEN_DATETIME:
                    value = row[name]
                    if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
                        value = field.get_db_prep_save(value, database)
                elif how == _NOW:
                    value = now
                elif how == _CALLED:
                    value = field.get_db_prep_save(field.get_default(), database)
                else:
                    value = field.get_db_prep_save(row[name], database)
                params.append(value)
        self._statements.append((template.head + ", ".join([template.row] * len(rows)), params))

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        """An event to publish (``events.publish``) once the rows are written."""
        self._events.append((topic, payload))

    def run(self) -> None:
        """Send every statement in one query. On an error nothing of the batch is written.

        With no transaction open and nothing in this process subscribed to the batch's events, the
        notifications go in the same query too (PostgreSQL sends them when it commits): one round
        trip in all. Otherwise the batch runs in the caller's transaction (or one of its own), the
        events are published in it, and the notifications follow its commit as usual.
        """
        statements = self._statements
        if not connection.in_atomic_block and not any(events.subscribed(topic) for topic, _ in self._events):
            notifications = dict.fromkeys(
                events.notification(topic, payload) for topic, payload in self._events
            )
            if notifications:
                notify = "SELECT " + ", ".join(["pg_notify(%s, %s)"] * len(notifications))
                statements = [*statements, (notify, [value for pair in notifications for value in pair])]
            self._send(statements)
        else:
            with transaction.atomic(savepoint=False):
                self._send(statements)
                for topic, payload in self._events:
                    events.publish(topic, payload)
        self._statements, self._written, self._events = [], [], []

    def _send(self, statements: list[tuple[str, list[Any]]]) -> None:
        if statements:
            with connection.cursor() as cursor:
                # Each statement is bound on its own (psycopg remembers how to bind a statement's
                # text only up to 4 kB), then they go as one query text with nothing left to bind.
                cursor.execute(";\n".join(cursor.mogrify(sql, params) for sql, params in statements))
        for instance in self._written:
            instance._state.adding = False
            instance._state.db = connection.alias
