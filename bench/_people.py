"""Shared by the people benchmarks: a scratch database on the ``DATABASE_URL`` server, running the
measuring half in a subprocess that points Django at it, and the machine's details for the report.

Each benchmark runs in two halves: the outer one (``python -m bench NAME``) creates the database,
starts ``python bench/NAME.py --inner`` with ``DATABASE_URL`` pointing at it, and drops it after
(``IOPS_BENCH_KEEP=1`` keeps it; ``IOPS_BENCH_REUSE=1`` measures again on a database kept
earlier, without loading it again). Django can be set up once per process with one database, which
is why the measuring half is its own process.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent


def server_url(database: str) -> str:
    base = os.environ.get("DATABASE_URL", "")
    if not base:
        raise SystemExit(
            "set DATABASE_URL to a PostgreSQL server: the benchmark makes its own database there"
        )
    parts = urlparse(base)
    return urlunparse(parts._replace(path=f"/{database}"))


def admin(sql: str) -> None:
    """Run one statement on the server's maintenance database (CREATE/DROP DATABASE)."""
    import psycopg

    with psycopg.connect(server_url("postgres"), autocommit=True) as connection:
        connection.execute(sql)  # type: ignore[arg-type]


def database_exists(database: str) -> bool:
    import psycopg

    with psycopg.connect(server_url("postgres"), autocommit=True) as connection:
        return (
            connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
            is not None
        )


def run_in_scratch_database(script: Path, database: str, extra_env: dict[str, str] | None = None) -> int:
    """Create ``database``, run ``script --inner`` against it, drop it; returns the inner exit code."""
    if not database.replace("_", "").isalnum():
        raise SystemExit(f"not a plain database name: {database}")
    reuse = os.environ.get("IOPS_BENCH_REUSE") == "1" and database_exists(database)
    if not reuse:
        admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin(f'CREATE DATABASE "{database}"')
    env = {
        **os.environ,
        "DATABASE_URL": server_url(database),
        "DJANGO_SETTINGS_MODULE": "iops.settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
        **(extra_env or {}),
    }
    try:
        return subprocess.run([sys.executable, str(script), "--inner"], env=env, check=False).returncode
    finally:
        if os.environ.get("IOPS_BENCH_KEEP") == "1" or os.environ.get("IOPS_BENCH_REUSE") == "1":
            print(f"kept database {database} (IOPS_BENCH_KEEP or IOPS_BENCH_REUSE); drop it when done")
        else:
            admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def setup_django(migrate: bool = True) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iops.settings")
    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def machine() -> dict[str, Any]:
    """CPU, cores, memory, load, Python and PostgreSQL versions (Django must be set up)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    load = os.getloadavg()
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory": _memory(),
        "load": f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1, 5, 15 min)",
        "python": platform.python_version(),
        "postgresql": server_version,
        "os": f"{platform.system()} {platform.release()}",
    }


def print_machine(write: Callable[[str], None] = print) -> None:
    details = machine()
    write(
        f"machine: {details['cpu']}, {details['cores']} cores, {details['memory']} RAM, {details['os']}; "
        f"Python {details['python']}, PostgreSQL {details['postgresql']}; load {details['load']}"
    )
