"""The incident code lists: opening categories, qualifiers, closing results, THRIVE and grades.

Each list is a CSV file in ``incidents/data/`` that starts with ``#`` lines naming its source and
how complete it is; this module reads it once, checks it, and hands out frozen records. A force
replaces or extends a list by putting a file of the same name and columns in the folder named by
the ``IOPS_CODE_LISTS_DIR`` environment variable: nothing else changes, and a file that breaks a
rule (a repeated code, a crime category not marked crime-related, a missing source line) is
refused with the file and line at fault, so a bad list fails at start-up rather than mid-call.

The reader (``read_code_list``) and ``CodeList`` are shared with ``iops.crimes.codes``.
"""

from __future__ import annotations

import csv
import functools
import io
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Generic, TypeVar

from iops.platform.errors import ValidationFailed

CODE_LISTS_DIR_VARIABLE = "IOPS_CODE_LISTS_DIR"

T = TypeVar("T")


class CodeListError(ValueError):
    """A code-list file that cannot be used; the message names the file and the line."""


class UnknownCode(ValidationFailed, KeyError):
    """A code that is not on its list. A domain error (400) that is also a ``KeyError``."""

    code = "unknown_code"

    def __str__(self) -> str:
        # KeyError would print the message in quotes, as if it were the missing key.
        return self.message


@dataclass(frozen=True)
class CodeListFile:
    """The rows of one code-list file, with where it came from and what it says of its source."""

    location: str
    source: str
    rows: tuple[tuple[int, dict[str, str]], ...]

    def fail(self, line: int, problem: str) -> CodeListError:
        return CodeListError(f"{self.location}, line {line}: {problem}")


def locate(package: str, filename: str) -> Traversable:
    """The force's replacement for a list if there is one, else the file shipped in ``package``."""
    override = os.environ.get(CODE_LISTS_DIR_VARIABLE)
    if override:
        candidate = Path(override) / filename
        if candidate.is_file():
            return candidate
    return files(package).joinpath("data", filename)


def read_code_list(path: Traversable | Path, columns: Sequence[str]) -> CodeListFile:
    """Read a code-list CSV: leading ``#`` lines (one must start ``# Source:``), then a header row.

    Every named column must be present (others are ignored) and every cell stripped; a row with
    more cells than the header is refused, as it nearly always means an unquoted comma.
    """
    location = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CodeListError(f"{location}: cannot be read ({error})") from error
    lines = text.splitlines(keepends=True)
    preamble = 0
    while preamble < len(lines) and lines[preamble].startswith("#"):
        preamble += 1
    comments = [line[1:].strip() for line in lines[:preamble]]
    if not any(comment.lower().startswith("source:") for comment in comments):
        raise CodeListError(
            f"{location}: the file must begin with a '# Source:' line naming where the list comes from"
        )
    reader = csv.DictReader(io.StringIO("".join(lines[preamble:])), restkey="\0extra")
    header = reader.fieldnames or []
    missing = [column for column in columns if column not in header]
    if missing:
        raise CodeListError(f"{location}, line {preamble + 1}: missing column(s) {', '.join(missing)}")
    rows: list[tuple[int, dict[str, str]]] = []
    for row in reader:
        line = preamble + reader.line_num
        if "\0extra" in row:
            raise CodeListError(f"{location}, line {line}: more cells than columns (an unquoted comma?)")
        cells = {column: (row.get(column) or "").strip() for column in header}
        if not any(cells.values()):
            continue
        rows.append((line, cells))
    return CodeListFile(location=location, source="\n".join(comments), rows=tuple(rows))


def yes_no(listing: CodeListFile, line: int, column: str, value: str) -> bool:
    if value == "yes":
        return True
    if value == "no":
        return False
    raise listing.fail(line, f"{column} must be 'yes' or 'no', not {value!r}")


def required(listing: CodeListFile, line: int, cells: dict[str, str], column: str) -> str:
    value = cells[column]
    if not value:
        raise listing.fail(line, f"{column} is empty")
    return value


class CodeList(Generic[T]):
    """An ordered, read-only list of records, looked up by code; unknown codes raise ``UnknownCode``."""

    def __init__(
        self,
        *,
        kind: str,
        field: str,
        items: Sequence[T],
        key: Callable[[T], str],
        label: Callable[[T], str],
        source: str,
        normalise: Callable[[str], str] = str.strip,
        error: type[UnknownCode] = UnknownCode,
    ) -> None:
        self.kind = kind
        self.field = field
        self.source = source
        self._items = tuple(items)
        self._key = key
        self._label = label
        self._normalise = normalise
        self._error = error
        self._by_code = {normalise(key(item)): item for item in self._items}

    def get(self, code: str) -> T:
        try:
            return self._by_code[self._normalise(code)]
        except (KeyError, TypeError, AttributeError):
            raise self._error(f"{code!r} is not a known {self.kind}", field=self.field) from None

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and self._normalise(code) in self._by_code

    def __iter__(self) -> Iterator[T]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def codes(self) -> tuple[str, ...]:
        return tuple(self._key(item) for item in self._items)

    def choices(self) -> list[tuple[str, str]]:
        """``(code, label)`` pairs, for a form's select or a model field's ``choices``."""
        return [(self._key(item), self._label(item)) for item in self._items]


def unique(listing: CodeListFile, line: int, seen: set[str], code: str) -> None:
    if code in seen:
        raise listing.fail(line, f"code {code!r} appears more than once")
    seen.add(code)


class IncidentGroup(StrEnum):
    """The families of incident category (NSIR chapters, plus crime)."""

    CRIME = "crime"
    ANTI_SOCIAL_BEHAVIOUR = "anti_social_behaviour"
    PUBLIC_SAFETY_WELFARE = "public_safety_welfare"
    TRANSPORT = "transport"
    ADMINISTRATION = "administration"

    @property
    def label(self) -> str:
        return _GROUP_LABELS[self]


_GROUP_LABELS = {
    IncidentGroup.CRIME: "Crime",
    IncidentGroup.ANTI_SOCIAL_BEHAVIOUR: "Anti-social behaviour",
    IncidentGroup.PUBLIC_SAFETY_WELFARE: "Public safety and welfare",
    IncidentGroup.TRANSPORT: "Transport",
    IncidentGroup.ADMINISTRATION: "Administration",
}


@dataclass(frozen=True)
class OpeningCategory:
    """What an incident is about, chosen at first contact (and again, perhaps differently, at close).

    ``crime_related`` categories open the 24-hour crime-recording decision.
    """

    code: str
    name: str
    group: IncidentGroup
    crime_related: bool
    basis: str
    description: str


@dataclass(frozen=True)
class Qualifier:
    """A flag on an incident of any category: domestic abuse, child protection, hate..."""

    code: str
    name: str
    description: str


class CrimeDecision(StrEnum):
    """The crime-recording decision a closing result records, if any."""

    RECORDED = "recorded"
    NOT_RECORDED = "not_recorded"
    NONE = "none"


@dataclass(frozen=True)
class ClosingResult:
    """How an incident ended. A crime-related incident must end with a crime decision."""

    code: str
    name: str
    crime_decision: CrimeDecision
    description: str

    @property
    def decides_crime_recording(self) -> bool:
        return self.crime_decision is not CrimeDecision.NONE


@dataclass(frozen=True)
class ThrivePart:
    """One part of THRIVE, with the question the call handler answers for it."""

    order: int
    letter: str
    name: str
    prompt: str


@dataclass(frozen=True)
class Grade:
    """A grade of response and the force's attendance target for it (None: no clock)."""

    order: int
    code: str
    name: str
    deploys: bool
    urban_minutes: int | None
    rural_minutes: int | None
    target_note: str

    def attendance_target(self, *, rural: bool) -> timedelta | None:
        minutes = self.rural_minutes if rural else self.urban_minutes
        return None if minutes is None else timedelta(minutes=minutes)


_PACKAGE = "iops.incidents"


def load_opening_categories(path: Traversable | Path) -> CodeList[OpeningCategory]:
    listing = read_code_list(path, ["code", "name", "group", "crime_related", "basis", "description"])
    seen: set[str] = set()
    items: list[OpeningCategory] = []
    for line, cells in listing.rows:
        code = required(listing, line, cells, "code")
        unique(listing, line, seen, code)
        try:
            group = IncidentGroup(cells["group"])
        except ValueError:
            known = ", ".join(IncidentGroup)
            raise listing.fail(line, f"group {cells['group']!r} is not one of {known}") from None
        crime_related = yes_no(listing, line, "crime_related", cells["crime_related"])
        if group is IncidentGroup.CRIME and not crime_related:
            raise listing.fail(line, f"{code} is in the crime group, so crime_related must be 'yes'")
        items.append(
            OpeningCategory(
                code=code,
                name=required(listing, line, cells, "name"),
                group=group,
                crime_related=crime_related,
                basis=cells["basis"],
                description=cells["description"],
            )
        )
    return CodeList(
        kind="incident category",
        field="opening_code",
        items=items,
        key=lambda item: item.code,
        label=lambda item: item.name,
        source=listing.source,
    )


def load_qualifiers(path: Traversable | Path) -> CodeList[Qualifier]:
    listing = read_code_list(path, ["code", "name", "description"])
    seen: set[str] = set()
    items: list[Qualifier] = []
    for line, cells in listing.rows:
        code = required(listing, line, cells, "code")
        unique(listing, line, seen, code)
        items.append(
            Qualifier(
                code=code, name=required(listing, line, cells, "name"), description=cells["description"]
            )
        )
    return CodeList(
        kind="incident qualifier",
        field="qualifier",
        items=items,
        key=lambda item: item.code,
        label=lambda item: item.name,
        source=listing.source,
    )


def load_closing_results(path: Traversable | Path) -> CodeList[ClosingResult]:
    listing = read_code_list(path, ["code", "name", "crime_decision", "description"])
    seen: set[str] = set()
    items: list[ClosingResult] = []
    for line, cells in listing.rows:
        code = required(listing, line, cells, "code")
        unique(listing, line, seen, code)
        try:
            decision = CrimeDecision(cells["crime_decision"])
        except ValueError:
            known = ", ".join(CrimeDecision)
            raise listing.fail(
                line, f"crime_decision {cells['crime_decision']!r} is not one of {known}"
            ) from None
        items.append(
            ClosingResult(
                code=code,
                name=required(listing, line, cells, "name"),
                crime_decision=decision,
                description=cells["description"],
            )
        )
    if not any(item.crime_decision is CrimeDecision.RECORDED for item in items):
        raise CodeListError(f"{listing.location}: no result records a crime (crime_decision 'recorded')")
    if not any(item.crime_decision is CrimeDecision.NOT_RECORDED for item in items):
        raise CodeListError(f"{listing.location}: no result records a reason for not recording a crime")
    return CodeList(
        kind="closing result",
        field="closing_result",
        items=items,
        key=lambda item: item.code,
        label=lambda item: item.name,
        source=listing.source,
    )


THRIVE_LETTERS = ("T", "H", "R", "I", "V", "E")


def load_thrive(path: Traversable | Path) -> CodeList[ThrivePart]:
    listing = read_code_list(path, ["order", "letter", "name", "prompt"])
    items: list[ThrivePart] = []
    seen: set[str] = set()
    for line, cells in listing.rows:
        letter = required(listing, line, cells, "letter")
        unique(listing, line, seen, letter)
        items.append(
            ThrivePart(
                order=_whole_number(listing, line, "order", cells["order"]),
                letter=letter,
                name=required(listing, line, cells, "name"),
                prompt=required(listing, line, cells, "prompt"),
            )
        )
    items.sort(key=lambda item: item.order)
    # Extra parts (THRIVE+) are allowed; the six of THRIVE are not optional.
    missing = [letter for letter in THRIVE_LETTERS if letter not in seen]
    if missing:
        raise CodeListError(f"{listing.location}: THRIVE part(s) {', '.join(missing)} missing")
    return CodeList(
        kind="THRIVE part",
        field="thrive",
        items=items,
        key=lambda item: item.letter,
        label=lambda item: item.name,
        source=listing.source,
    )


def load_grades(path: Traversable | Path) -> CodeList[Grade]:
    listing = read_code_list(
        path, ["order", "code", "name", "deploys", "urban_minutes", "rural_minutes", "target_note"]
    )
    items: list[Grade] = []
    seen: set[str] = set()
    for line, cells in listing.rows:
        code = required(listing, line, cells, "code")
        unique(listing, line, seen, code)
        urban = _minutes(listing, line, "urban_minutes", cells["urban_minutes"])
        rural = _minutes(listing, line, "rural_minutes", cells["rural_minutes"])
        if (urban is None) != (rural is None):
            raise listing.fail(line, "give both urban_minutes and rural_minutes, or neither")
        items.append(
            Grade(
                order=_whole_number(listing, line, "order", cells["order"]),
                code=code,
                name=required(listing, line, cells, "name"),
                deploys=yes_no(listing, line, "deploys", cells["deploys"]),
                urban_minutes=urban,
                rural_minutes=rural,
                target_note=cells["target_note"],
            )
        )
    items.sort(key=lambda item: item.order)
    return CodeList(
        kind="grade",
        field="grade",
        items=items,
        key=lambda item: item.code,
        label=lambda item: item.name,
        source=listing.source,
    )


def _whole_number(listing: CodeListFile, line: int, column: str, value: str) -> int:
    if not value.isascii() or not value.isdigit():
        raise listing.fail(line, f"{column} must be a whole number, not {value!r}")
    return int(value)


def _minutes(listing: CodeListFile, line: int, column: str, value: str) -> int | None:
    if not value:
        return None
    minutes = _whole_number(listing, line, column, value)
    if minutes == 0:
        raise listing.fail(line, f"{column} must be more than 0 (leave it empty for no target)")
    return minutes


@functools.cache
def opening_categories() -> CodeList[OpeningCategory]:
    return load_opening_categories(locate(_PACKAGE, "opening_categories.csv"))


@functools.cache
def qualifiers() -> CodeList[Qualifier]:
    return load_qualifiers(locate(_PACKAGE, "qualifiers.csv"))


@functools.cache
def closing_results() -> CodeList[ClosingResult]:
    return load_closing_results(locate(_PACKAGE, "closing_results.csv"))


@functools.cache
def thrive_parts() -> CodeList[ThrivePart]:
    return load_thrive(locate(_PACKAGE, "thrive.csv"))


@functools.cache
def grades() -> CodeList[Grade]:
    return load_grades(locate(_PACKAGE, "grades.csv"))


def opening_category(code: str) -> OpeningCategory:
    """The category with this code, or ``UnknownCode``."""
    return opening_categories().get(code)


def qualifier(code: str) -> Qualifier:
    return qualifiers().get(code)


def closing_result(code: str) -> ClosingResult:
    return closing_results().get(code)


def thrive_part(letter: str) -> ThrivePart:
    return thrive_parts().get(letter)


def grade(code: str) -> Grade:
    return grades().get(code)


def reload() -> None:
    """Forget the lists read so far, so the next lookup reads the files again."""
    for loader in (opening_categories, qualifiers, closing_results, thrive_parts, grades):
        loader.cache_clear()
