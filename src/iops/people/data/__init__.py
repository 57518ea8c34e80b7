"""Data files of the people app (name data and code lists), each with its source named at its top.

Every file is a CSV whose leading ``#`` lines say where the data comes from; ``rows(name)`` reads
one, skipping those lines. Each file has exactly one module that turns its rows into what the code
uses (``matching.normalise``, ``matching.equivalents``, ``codelists``).
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources


@cache
def rows(name: str) -> tuple[dict[str, str], ...]:
    """The data rows of ``iops/people/data/<name>``, as dictionaries keyed by the header."""
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return tuple(dict(row) for row in csv.DictReader(lines))
