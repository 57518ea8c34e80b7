"""Configuration and database health (``iops check``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from iops.platform.health import missing_extensions, readiness


class Command(BaseCommand):
    help = "Check configuration and database health; exits 1 if anything needs attention."

    def handle(self, *args: Any, **options: Any) -> None:
        problems: list[str] = []
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        database = settings.DATABASES["default"]
        self.stdout.write(
            f"database: PostgreSQL {version}, database '{database['NAME']}' ({'socket ' + database['HOST'] if str(database['HOST']).startswith('/') else database['HOST'] or 'local'})"
        )
        state = readiness(cache_seconds=0)
        self.stdout.write(f"migrations: {state.migrations}")
        if not state.ready:
            problems.append(state.detail or "database not ready")
        if state.migrations == "applied":
            missing = missing_extensions()
            self.stdout.write(
                f"extensions: {'all present' if not missing else 'missing ' + ', '.join(missing)}"
            )
            if missing:
                problems.append(f"extensions missing: {', '.join(missing)}")
        for message in checks.run_checks(include_deployment_checks=not settings.DEBUG):
            if message.is_silenced():
                continue
            if message.level >= checks.ERROR:
                problems.append(f"{message.id}: {message.msg}")
            elif message.level >= checks.WARNING:
                self.stdout.write(f"warning {message.id}: {message.msg}")
        self.stdout.write(f"data folder: {settings.DATA_DIR}")
        self.stdout.write(f"force: {settings.IOPS_FORCE_CODE} ({settings.IOPS_FORCE_NAME})")
        if problems:
            for problem in problems:
                self.stderr.write(f"problem: {problem}")
            raise CommandError("iOPS is not healthy.", returncode=1)
        self.stdout.write("ok: iOPS is healthy.")
