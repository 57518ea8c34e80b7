"""Statements PostgreSQL plans once per connection: for constant queries run on every request.

Django binds parameters in the client (psycopg's ``ClientCursor``), so PostgreSQL parses and plans
every statement it is sent. That is the right default, and it is what makes ``platform.batch``
possible. A few constant statements run on every request, though, and for one of them (the API
token lookup, with its user's permissions) planning took longer than running: 0.5 ms of
PostgreSQL's time per request. ``planned_once()`` gives a cursor that binds on the server, and
psycopg prepares what it runs the first time it is run on a connection (``prepare_threshold`` 0 in
settings, which touches no other cursor: Django's never prepare). See
docs/adr/0007-batched-writes.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import psycopg
from django.db import connection
from django.db.backends.utils import CursorWrapper


@contextmanager
def planned_once() -> Iterator[CursorWrapper]:
    """A cursor for single statements with ``%s`` placeholders, prepared on first use per
    connection; its queries are logged (and counted by tests) like any other."""
    with connection.cursor():
        pass  # the connection, after Django's health check, as for any cursor
    # Django's stubs say a wrapper; its wrappers take any DB-API cursor, as here.
    server_side = cast(Any, psycopg.Cursor(connection.connection))
    cursor = (
        connection.make_debug_cursor(server_side)
        if connection.queries_logged
        else connection.make_cursor(server_side)
    )
    with cursor:
        yield cursor
