"""``iops audit verify`` as an operator runs it: the real command, in a subprocess, against a database
of its own made for this test, migrated with ``iops migrate`` and dropped afterwards.

The database's name does not start with ``test_``, like a production database's, so the test also
shows that such a database refuses TRUNCATE of the log even to a session that sets the placeholder
the test harness uses.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

ENTRY_SQL = """
INSERT INTO audit_auditentry (occurred_at, actor_username, action, operation, record_type, record_id,
  purpose, recipient, detail, break_glass, request_id, client_address, prev_hash, entry_hash)
VALUES (now(), %s, 'consultation', 'people.view', 'people.nominal', %s,
  'Checking warning markers before attending', '', '{}', false, '', '', '', '')
RETURNING id
"""


def _url_for(database: str) -> str:
    """The server the tests use (DATABASE_URL, or the embedded one settings started), another database."""
    from django.conf import settings  # settings are loaded by pytest-django; this starts nothing

    assert settings.configured
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{database}"))


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A fresh database on the test server, its URL, and the environment to run ``iops`` with."""
    name = f"iops_audit_cli_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_url_for("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = _url_for(name)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "IOPS_DATA_DIR": str(tmp_path_factory.mktemp("iops-data")),
        "IOPS_SECRET_KEY": "cli-test-" + uuid.uuid4().hex,
        "DJANGO_SETTINGS_MODULE": "iops.settings",
    }
    env.pop("IOPS_EMBEDDED_DATABASE", None)
    try:
        migrated = _iops(env, "migrate")
        assert migrated.returncode == 0, migrated.stderr
        yield url, env
    finally:
        with psycopg.connect(_url_for("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _iops(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "iops.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],
        check=False,
    )


def test_verify_is_clean_on_a_fresh_database_then_names_an_entry_altered_in_sql(
    database: tuple[str, dict[str, str]],
) -> None:
    url, env = database
    fresh = _iops(env, "audit", "verify")
    assert fresh.returncode == 0, fresh.stderr
    assert fresh.stdout.startswith("audit log: clean (")

    # Entries in separate transactions, linked by the database's trigger as every entry is.
    ids = []
    with psycopg.connect(url) as conn:
        for n in range(5):
            with conn.transaction():
                ids.append(conn.execute(ENTRY_SQL, ("pc4021", str(n))).fetchone()[0])

    # One row changed behind the guards' back: only it is named, so the other entries verify.
    victim = ids[2]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute("UPDATE audit_auditentry SET purpose = 'Nothing to see here' WHERE id = %s", [victim])
    tampered = _iops(env, "audit", "verify")
    assert tampered.returncode == 1
    lines = tampered.stdout.splitlines()
    assert len(lines) == 1, tampered.stdout
    assert lines[0].startswith(f"TAMPERED entry {victim} [chain ")
    assert "by pc4021" in lines[0] and "contents were altered" in lines[0]
    assert "1 problem(s) found" in tampered.stderr


def test_a_database_not_named_for_tests_refuses_truncate_even_with_the_test_setting(
    database: tuple[str, dict[str, str]],
) -> None:
    url, _env = database
    with (
        psycopg.connect(url, options="-c iops.audit_truncate=allow") as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"),
    ):
        conn.execute("TRUNCATE audit_auditentry, audit_auditchainhead")
