"""Health of the process and the database, for load balancers, ``iops check`` and ``/readyz``."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.utils import DatabaseError, OperationalError

REQUIRED_EXTENSIONS = ("fuzzystrmatch", "pg_trgm", "btree_gist", "unaccent")


@dataclass(frozen=True)
class Readiness:
    ready: bool
    database: str
    migrations: str
    detail: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "ready": self.ready,
            "database": self.database,
            "migrations": self.migrations,
            "detail": self.detail,
        }


_ready_until = 0.0


def readiness(*, cache_seconds: float = 5.0) -> Readiness:
    """Is the database reachable and every migration applied? A positive answer is cached briefly."""
    global _ready_until
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except (OperationalError, DatabaseError) as error:
        _ready_until = 0.0
        return Readiness(False, "unreachable", "unknown", str(error).splitlines()[0] if str(error) else "")
    if time.monotonic() < _ready_until:
        return Readiness(True, "ok", "applied")
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        return Readiness(False, "ok", "pending", f"{len(plan)} migration(s) not applied; run 'iops migrate'")
    _ready_until = time.monotonic() + cache_seconds
    return Readiness(True, "ok", "applied")


def missing_extensions() -> list[str]:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension")
        present = {row[0] for row in cursor.fetchall()}
    return [name for name in REQUIRED_EXTENSIONS if name not in present]
