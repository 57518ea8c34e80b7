"""A wrong setting stops any ``iops`` command with one line naming the variable, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

IOPS = Path(sys.executable).with_name("iops")


def _iops_check(**environment: str) -> subprocess.CompletedProcess[str]:
    # The test database on the server the tests use (settings put that server in DATABASE_URL), so
    # no other database is started.
    from django.db import connection

    server = urlsplit(os.environ["DATABASE_URL"])
    url = urlunsplit(server._replace(path=f"/{connection.settings_dict['NAME']}"))
    env = {**os.environ, "DATABASE_URL": url, **environment}
    # The browser tests' harness allows sync database calls from async code in this process; an
    # operator's shell would not, and `iops check` rightly reports it.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run([str(IOPS), "check"], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("IOPS_WEB_THREADS", "lots", "IOPS_WEB_THREADS must be a whole number of at least 1, not 'lots'."),
        ("IOPS_WEB_THREADS", "0", "IOPS_WEB_THREADS must be a whole number of at least 1, not '0'."),
        ("IOPS_LOCKOUT_MINUTES", "-5", "IOPS_LOCKOUT_MINUTES must be a whole number of at least 1"),
        ("IOPS_GC_THRESHOLDS", "1,2", "IOPS_GC_THRESHOLDS must be 3 whole numbers separated by commas"),
    ],
)
def test_a_wrong_setting_is_one_clear_line(variable: str, value: str, says: str) -> None:
    result = _iops_check(**{variable: value})
    assert result.returncode == 78
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("iops: configuration: ") and says in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.django_db
def test_the_same_settings_written_correctly_pass() -> None:
    result = _iops_check(IOPS_WEB_THREADS="4", IOPS_GC_THRESHOLDS="700,10,10")
    assert result.returncode == 0, result.stderr
