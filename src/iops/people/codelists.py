"""Code lists the people app takes from outside: self-defined ethnicity and warning-marker kinds.

Each comes from a data file in ``data/`` with its source named at the top; this module is the one
loader of each, and gives model fields their choices (callables, so a new code is a data change).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from iops.people.data import rows


@dataclass(frozen=True)
class Ethnicity:
    code: str
    group: str
    label: str


@dataclass(frozen=True)
class MarkerKind:
    code: str
    label: str
    officer_safety: bool
    description: str


@cache
def ethnicities() -> dict[str, Ethnicity]:
    return {row["code"]: Ethnicity(row["code"], row["group"], row["label"]) for row in rows("ethnicity.csv")}


@cache
def marker_kinds() -> dict[str, MarkerKind]:
    return {
        row["code"]: MarkerKind(row["code"], row["label"], row["officer_safety"] == "yes", row["description"])
        for row in rows("warning_markers.csv")
    }


def ethnicity_choices() -> list[tuple[str, str]]:
    return [(item.code, f"{item.code} {item.group}: {item.label}") for item in ethnicities().values()]


def marker_choices() -> list[tuple[str, str]]:
    return [(item.code, item.label) for item in marker_kinds().values()]


def marker_label(code: str) -> str:
    kind = marker_kinds().get(code)
    return kind.label if kind else code
