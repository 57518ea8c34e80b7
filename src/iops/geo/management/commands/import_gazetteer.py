"""Load a gazetteer CSV in the shape of a UPRN address file (``iops import gazetteer FILE``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from iops.geo.services import gazetteer_import
from iops.platform.errors import DomainError

SHOWN_REJECTIONS = 50


class Command(BaseCommand):
    help = (
        "Load addresses from a CSV with a header row (UPRN, address parts, LATITUDE/LONGITUDE or "
        "EASTING/NORTHING); upsert by UPRN; each bad row is reported with its line number."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            # newline="" lets the csv module see line breaks inside quoted fields.
            with path.open(encoding="utf-8-sig", newline="") as handle:
                result = gazetteer_import(acting_user=None, lines=handle, source=path.name)
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror or error}.") from error
        except DomainError as error:
            raise CommandError(f"{path.name}: nothing loaded. {error.message}") from error
        for rejection in result.rejected[:SHOWN_REJECTIONS]:
            self.stdout.write(f"line {rejection.line}: {rejection.message}")
        if len(result.rejected) > SHOWN_REJECTIONS:
            self.stdout.write(f"... and {len(result.rejected) - SHOWN_REJECTIONS} more rejected rows.")
        if result.ignored_columns:
            self.stdout.write(f"columns not used: {', '.join(result.ignored_columns)}")
        outside = f"; {result.outside_beats} outside every beat" if result.outside_beats else ""
        self.stdout.write(
            f"{path.name}: {result.accepted} addresses ({result.created} new, {result.updated} updated, "
            f"{result.unchanged} unchanged), {len(result.rejected)} rows rejected{outside}; "
            f"{result.seconds:.1f}s ({result.rate_per_second:,.0f} rows a second)."
        )
