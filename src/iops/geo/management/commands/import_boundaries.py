"""Load a force's areas of one kind from a GeoJSON file (``iops import boundaries FILE --kind beat``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from iops.geo.choices import AreaKind
from iops.geo.services import boundaries_import
from iops.platform.errors import DomainError


class Command(BaseCommand):
    help = (
        "Load districts, neighbourhoods, beats or statistical areas from a GeoJSON FeatureCollection "
        "(WGS84, or British National Grid with a crs naming EPSG:27700). All or nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--kind", required=True, choices=AreaKind.values)
        parser.add_argument("--code-property", default="code", help="feature property holding the code")
        parser.add_argument("--name-property", default="name", help="feature property holding the name")
        parser.add_argument(
            "--parent-property",
            default="",
            help="feature property holding the parent area's code; without it, parents are found by position",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            with path.open(encoding="utf-8-sig") as handle:
                collection = json.load(handle)
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror or error}.") from error
        except UnicodeDecodeError as error:
            raise CommandError(f"{path} is not UTF-8 text.") from error
        except json.JSONDecodeError as error:
            raise CommandError(
                f"{path} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
            ) from error
        try:
            result = boundaries_import(
                acting_user=None,
                collection=collection,
                kind=options["kind"],
                code_property=options["code_property"],
                name_property=options["name_property"],
                parent_property=options["parent_property"] or "",
                source=path.name,
            )
        except DomainError as error:
            raise CommandError(f"{path.name}: nothing loaded. {error.message}") from error
        moved = f"; {result.addresses_moved} addresses re-placed" if result.addresses_moved else ""
        self.stdout.write(
            f"{path.name}: {result.features} {result.kind} areas loaded "
            f"({result.created} new, {result.updated} updated){moved} in {result.seconds:.1f}s."
        )
