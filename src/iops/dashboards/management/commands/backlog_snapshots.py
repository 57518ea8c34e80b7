"""``backlog_snapshots --days 56``: fill in the daily duty snapshots behind the backlog trend charts."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from iops.dashboards.services import backlog_snapshots_backfill
from iops.platform.errors import DomainError


class Command(BaseCommand):
    help = "Take the daily duty snapshot for each of the last N days (default 56: the trend charts' 8 weeks)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=56, help="How many days, ending with --last.")
        parser.add_argument("--last", type=str, default="", help="Last day, YYYY-MM-DD (default yesterday).")

    def handle(self, *args: Any, **options: Any) -> None:
        last = None
        if options["last"]:
            try:
                last = date.fromisoformat(options["last"])
            except ValueError as error:
                raise CommandError(
                    f"--last must be a date as YYYY-MM-DD, not {options['last']!r}."
                ) from error
        try:
            written = backlog_snapshots_backfill(days=options["days"], last=last)
        except DomainError as error:
            raise CommandError(error.message) from error
        first, final = min(written), max(written)
        self.stdout.write(
            f"Snapshots taken for {len(written)} days, {first} to {final}: {sum(written.values())} rows."
        )
