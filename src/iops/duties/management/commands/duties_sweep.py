"""Escalate overdue duties now, or as if at a given time (``iops duties sweep [--at ISO-TIME]``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from iops.duties.services import duties_sweep


class Command(BaseCommand):
    help = "Escalate every overdue duty to the owner's supervisor, then to the command queue."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--at", default="", help="sweep as if at this time (ISO 8601, e.g. 2026-11-23T09:00)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        moment = timezone.now()
        if options["at"]:
            try:
                moment = datetime.fromisoformat(options["at"])
            except ValueError as error:
                raise CommandError(
                    f"--at: '{options['at']}' is not an ISO 8601 time such as 2026-11-23T09:00"
                ) from error
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        result = duties_sweep(now=moment)
        self.stdout.write(
            f"duties sweep at {timezone.localtime(moment):%Y-%m-%d %H:%M}: {result.escalated} escalation(s) "
            f"({result.to_supervisor} to supervisors, {result.to_command} to command) on {len(result.duty_ids)} duties"
        )
