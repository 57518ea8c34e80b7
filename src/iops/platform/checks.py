"""System checks for configuration an operator can get wrong."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning, register


@register()
def database_is_postgresql(app_configs: Any, **kwargs: Any) -> list[Error]:
    engine = str(settings.DATABASES["default"]["ENGINE"])
    if "postgresql" not in engine:
        return [
            Error(
                "iOPS runs on PostgreSQL only.",
                hint="Set DATABASE_URL to a postgresql:// URL.",
                id="iops.E001",
            )
        ]
    return []


@register(deploy=True)
def secret_key_configured(app_configs: Any, **kwargs: Any) -> list[Warning]:
    import os

    if not os.environ.get("IOPS_SECRET_KEY"):
        return [
            Warning(
                "IOPS_SECRET_KEY is not set; a key generated in the data folder is in use.",
                hint="Set IOPS_SECRET_KEY from your secrets store when running more than one server.",
                id="iops.W001",
            )
        ]
    return []
