"""Verify the s.62 log's hash chains (``iops audit verify``); exit status 1 names every problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from iops.audit.verify import load_anchors, verify_chain


class Command(BaseCommand):
    help = "Check that no s.62 log entry has been altered or removed; names each one that has."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--anchors",
            metavar="FILE",
            help="chain heads saved earlier by 'audit_heads'; each must still be on its chain",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        anchors = []
        if options.get("anchors"):
            path = Path(options["anchors"])
            try:
                anchors = load_anchors(path.read_text())
            except (OSError, ValueError) as error:
                raise CommandError(f"cannot read anchors from {path}: {error}", returncode=2) from error
        result = verify_chain(anchors)
        if result.clean:
            self.stdout.write(result.summary())
            return
        for finding in result.findings:
            self.stdout.write(f"TAMPERED {finding.describe()}")
        raise CommandError(result.summary(), returncode=1)
