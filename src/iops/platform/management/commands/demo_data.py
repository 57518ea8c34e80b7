"""Build the synthetic demo force (``iops demo-data``)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from iops.platform.demo import SIZES, build_demo_force


class Command(BaseCommand):
    help = "Build a coherent, entirely synthetic force: areas, gazetteer, users and what later apps add."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", default="small", choices=sorted(SIZES))
        parser.add_argument("--seed", type=int, default=2019)
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing if the database already has users"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from django.contrib.auth import get_user_model

        if options["if_empty"] and get_user_model().objects.exists():
            return
        started = time.monotonic()
        try:
            context = build_demo_force(options["size"], options["seed"], progress=self.stdout.write)
        except ValueError as error:
            raise CommandError(str(error)) from error
        made = ", ".join(f"{number} {what}" for what, number in context.counts.items())
        self.stdout.write(
            f"Demo force ({options['size']}, seed {options['seed']}) built in "
            f"{time.monotonic() - started:.1f}s: {made or 'nothing'}."
        )
