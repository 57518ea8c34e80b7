"""Scan the whole nominal index for likely duplicates now (``iops manage people_duplicates_scan``)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from iops.people.services import RECORD_DUPLICATE, duplicates_scan


class Command(BaseCommand):
    help = "Find likely duplicate people across the index and list new pairs for review."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--threshold",
            type=float,
            default=RECORD_DUPLICATE,
            help=f"lowest score recorded (default {RECORD_DUPLICATE})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        found = duplicates_scan(acting_user=None, threshold=options["threshold"])
        self.stdout.write(f"{found} new likely duplicate pairs in {time.monotonic() - started:.1f}s.")
