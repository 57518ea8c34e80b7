"""Test set-up shared by every app: real PostgreSQL (DATABASE_URL, else the embedded server)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: Any) -> None:
    """Let the test database be emptied between tests.

    Transactional tests end with TRUNCATE, which the audit log refuses; the placeholder setting
    below is the one way past that, and only test connections set it.
    """
    from django.conf import settings

    options = settings.DATABASES["default"].setdefault("OPTIONS", {})
    extra = "-c iops.audit_truncate=allow"
    if extra not in options.get("options", ""):
        options["options"] = f"{options.get('options', '')} {extra}".strip()


@pytest.fixture(autouse=True)
def _forget_default_force() -> None:
    """Each test's database starts without the previous test's rows, so forget the cached force."""
    from iops.geo.selectors import forget_area_indexes
    from iops.incidents.services import forget_recording_teams
    from iops.platform.models import forget_default_force

    forget_default_force()
    forget_area_indexes()
    forget_recording_teams()


@pytest.fixture(autouse=True)
def _media_and_data(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never write demo passwords or exports into the operator's data folder."""
    settings.DATA_DIR = tmp_path_factory.getbasetemp() / "data"
    settings.DATA_DIR.mkdir(exist_ok=True)
