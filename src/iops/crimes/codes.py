"""The crime code lists: offence classifications, outcome types, crime-recording special codes and
the Victims' Code obligations a recorded crime opens.

Each list is a CSV file in ``crimes/data/`` naming its source and how complete it is, read and
checked once by the reader shared with ``iops.incidents.codes``. Every Home Office offence maps to
exactly one of the 14 police.uk crime categories and every Home Office outcome type to one
police.uk outcome category, so publishing to data.police.uk is a lookup, never a judgement made
at publication time. A force replaces a list by putting a file of the same name and columns in
the folder named by ``IOPS_CODE_LISTS_DIR``; references between lists are checked on loading.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum
from importlib.resources.abc import Traversable
from pathlib import Path

from iops.incidents.codes import (
    CodeList,
    CodeListError,
    UnknownCode,
    locate,
    read_code_list,
    required,
    unique,
    yes_no,
)

_PACKAGE = "iops.crimes"

# Either a classification (8N, 105A, 4.10, 802) or a class/subclass offence code (008/01).
_OFFENCE_CODE = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,2}|[A-Z])?|[0-9]{3}/[0-9]{2}", re.ASCII)
_SLUG = re.compile(r"[a-z]+(?:-[a-z]+)*", re.ASCII)


class UnknownOffenceCode(UnknownCode):
    """An offence code that is not on the offence list."""

    code = "unknown_offence_code"


class UnknownOutcomeType(UnknownCode):
    """An outcome type number that is not on the outcome list."""

    code = "unknown_outcome_type"


@dataclass(frozen=True)
class PoliceUkCategory:
    """One of the crime categories police.uk publishes under (``slug`` is the API's ``url``)."""

    slug: str
    name: str


@dataclass(frozen=True)
class Offence:
    """A Home Office offence classification and the police.uk category it is published under."""

    code: str
    description: str
    group: str
    police_uk_category: PoliceUkCategory

    @property
    def is_rape(self) -> bool:
        """A rape classification: a report of one that is not recorded as rape needs an N100."""
        return self.group.strip().lower() == "rape"


@dataclass(frozen=True)
class PoliceUkOutcome:
    """One of the outcome categories police.uk publishes (``slug`` is the API's ``code``)."""

    slug: str
    name: str


@dataclass(frozen=True)
class OutcomeType:
    """A Home Office outcome type (why a crime was closed) and the police.uk outcome it shows as."""

    number: int
    name: str
    police_uk_outcome: PoliceUkOutcome


class RecordingCodeKind(StrEnum):
    CLASSIFICATION = "classification"
    CANCELLATION = "cancellation"


@dataclass(frozen=True)
class RecordingCode:
    """A crime-recording code that is not an offence: N100, or a ground for cancelling a crime."""

    code: str
    name: str
    kind: RecordingCodeKind
    description: str


class CountedFrom(StrEnum):
    """Where a Victims' Code clock starts."""

    REPORTED = "reported"
    RECORDED = "recorded"
    PREVIOUS = "previous"


@dataclass(frozen=True)
class VictimsCodeObligation:
    """Something the Victims' Code asks of the police for a victim of a recorded crime, with its clock.

    Exactly one of ``working_days`` and ``calendar_days`` is set. A ``repeats`` obligation (updates)
    is opened again each time one is met, counted from the previous one, until the crime is finalised.
    """

    code: str
    right: int
    name: str
    working_days: int | None
    calendar_days: int | None
    counted_from: CountedFrom
    repeats: bool
    basis: str


def _offence_key(code: str) -> str:
    return code.strip().upper()


def load_police_uk_categories(path: Traversable | Path) -> CodeList[PoliceUkCategory]:
    listing = read_code_list(path, ["slug", "name"])
    seen: set[str] = set()
    items: list[PoliceUkCategory] = []
    for line, cells in listing.rows:
        slug = required(listing, line, cells, "slug")
        if not _SLUG.fullmatch(slug):
            raise listing.fail(line, f"slug {slug!r} must be lower-case words joined by hyphens")
        unique(listing, line, seen, slug)
        items.append(PoliceUkCategory(slug=slug, name=required(listing, line, cells, "name")))
    return CodeList(
        kind="police.uk crime category",
        field="police_uk_category",
        items=items,
        key=lambda item: item.slug,
        label=lambda item: item.name,
        source=listing.source,
    )


def load_offences(path: Traversable | Path, categories: CodeList[PoliceUkCategory]) -> CodeList[Offence]:
    listing = read_code_list(path, ["code", "description", "group", "police_uk"])
    seen: set[str] = set()
    items: list[Offence] = []
    for line, cells in listing.rows:
        code = _offence_key(required(listing, line, cells, "code"))
        if not _OFFENCE_CODE.fullmatch(code):
            raise listing.fail(
                line, f"code {code!r} is not a Home Office offence code (such as 8N, 4.1 or 008/01)"
            )
        unique(listing, line, seen, code)
        slug = required(listing, line, cells, "police_uk")
        if slug not in categories:
            raise listing.fail(line, f"police_uk {slug!r} is not a police.uk crime category")
        items.append(
            Offence(
                code=code,
                description=required(listing, line, cells, "description"),
                group=required(listing, line, cells, "group"),
                police_uk_category=categories.get(slug),
            )
        )
    return CodeList(
        kind="Home Office offence code",
        field="offence_code",
        items=items,
        key=lambda item: item.code,
        label=lambda item: f"{item.code} {item.description}",
        source=listing.source,
        normalise=_offence_key,
        error=UnknownOffenceCode,
    )


def load_police_uk_outcomes(path: Traversable | Path) -> CodeList[PoliceUkOutcome]:
    listing = read_code_list(path, ["slug", "name"])
    seen: set[str] = set()
    items: list[PoliceUkOutcome] = []
    for line, cells in listing.rows:
        slug = required(listing, line, cells, "slug")
        if not _SLUG.fullmatch(slug):
            raise listing.fail(line, f"slug {slug!r} must be lower-case words joined by hyphens")
        unique(listing, line, seen, slug)
        items.append(PoliceUkOutcome(slug=slug, name=required(listing, line, cells, "name")))
    return CodeList(
        kind="police.uk outcome category",
        field="police_uk_outcome",
        items=items,
        key=lambda item: item.slug,
        label=lambda item: item.name,
        source=listing.source,
    )


def load_outcome_types(
    path: Traversable | Path, outcomes: CodeList[PoliceUkOutcome]
) -> CodeList[OutcomeType]:
    listing = read_code_list(path, ["number", "name", "police_uk"])
    seen: set[str] = set()
    items: list[OutcomeType] = []
    for line, cells in listing.rows:
        number = required(listing, line, cells, "number")
        if not (number.isascii() and number.isdigit()) or number.startswith("0"):
            raise listing.fail(line, f"number {number!r} must be a whole number from 1")
        unique(listing, line, seen, number)
        slug = required(listing, line, cells, "police_uk")
        if slug not in outcomes:
            raise listing.fail(line, f"police_uk {slug!r} is not a police.uk outcome category")
        items.append(
            OutcomeType(
                number=int(number),
                name=required(listing, line, cells, "name"),
                police_uk_outcome=outcomes.get(slug),
            )
        )
    items.sort(key=lambda item: item.number)
    return CodeList(
        kind="Home Office outcome type",
        field="outcome_type",
        items=items,
        key=lambda item: str(item.number),
        label=lambda item: f"{item.number} {item.name}",
        source=listing.source,
        error=UnknownOutcomeType,
    )


def load_recording_codes(path: Traversable | Path) -> CodeList[RecordingCode]:
    listing = read_code_list(path, ["code", "name", "kind", "description"])
    seen: set[str] = set()
    items: list[RecordingCode] = []
    for line, cells in listing.rows:
        code = _offence_key(required(listing, line, cells, "code"))
        unique(listing, line, seen, code)
        try:
            kind = RecordingCodeKind(cells["kind"])
        except ValueError:
            known = ", ".join(RecordingCodeKind)
            raise listing.fail(line, f"kind {cells['kind']!r} is not one of {known}") from None
        items.append(
            RecordingCode(
                code=code,
                name=required(listing, line, cells, "name"),
                kind=kind,
                description=cells["description"],
            )
        )
    return CodeList(
        kind="crime-recording code",
        field="recording_code",
        items=items,
        key=lambda item: item.code,
        label=lambda item: item.name,
        source=listing.source,
        normalise=_offence_key,
    )


def load_victims_code(path: Traversable | Path) -> CodeList[VictimsCodeObligation]:
    listing = read_code_list(
        path, ["code", "right", "name", "working_days", "calendar_days", "counted_from", "repeats", "basis"]
    )
    seen: set[str] = set()
    items: list[VictimsCodeObligation] = []
    for line, cells in listing.rows:
        code = required(listing, line, cells, "code")
        unique(listing, line, seen, code)
        days: dict[str, int | None] = {}
        for column in ("working_days", "calendar_days"):
            value = cells[column]
            if value and not (value.isascii() and value.isdigit()):
                raise listing.fail(line, f"{column} must be a whole number of days, not {value!r}")
            days[column] = int(value) if value else None
        if (days["working_days"] is None) == (days["calendar_days"] is None):
            raise listing.fail(line, "give working_days or calendar_days, not both and not neither")
        right = required(listing, line, cells, "right")
        if not (right.isascii() and right.isdigit()):
            raise listing.fail(line, f"right must be the number of a right of the Code, not {right!r}")
        try:
            counted_from = CountedFrom(cells["counted_from"])
        except ValueError:
            known = ", ".join(CountedFrom)
            raise listing.fail(
                line, f"counted_from {cells['counted_from']!r} is not one of {known}"
            ) from None
        repeats = yes_no(listing, line, "repeats", cells["repeats"])
        if repeats != (counted_from is CountedFrom.PREVIOUS):
            raise listing.fail(line, "a repeating obligation, and only one, is counted from 'previous'")
        items.append(
            VictimsCodeObligation(
                code=code,
                right=int(right),
                name=required(listing, line, cells, "name"),
                working_days=days["working_days"],
                calendar_days=days["calendar_days"],
                counted_from=counted_from,
                repeats=repeats,
                basis=cells["basis"],
            )
        )
    return CodeList(
        kind="Victims' Code obligation",
        field="victims_code",
        items=items,
        key=lambda item: item.code,
        label=lambda item: item.name,
        source=listing.source,
    )


@functools.cache
def police_uk_categories() -> CodeList[PoliceUkCategory]:
    """The police.uk crime categories, in the order police.uk lists them."""
    return load_police_uk_categories(locate(_PACKAGE, "police_uk_categories.csv"))


@functools.cache
def offences() -> CodeList[Offence]:
    return load_offences(locate(_PACKAGE, "offences.csv"), police_uk_categories())


@functools.cache
def police_uk_outcomes() -> CodeList[PoliceUkOutcome]:
    return load_police_uk_outcomes(locate(_PACKAGE, "police_uk_outcomes.csv"))


@functools.cache
def outcome_types() -> CodeList[OutcomeType]:
    return load_outcome_types(locate(_PACKAGE, "outcome_types.csv"), police_uk_outcomes())


@functools.cache
def recording_codes() -> CodeList[RecordingCode]:
    codes = load_recording_codes(locate(_PACKAGE, "recording_codes.csv"))
    clash = [code for code in codes.codes() if code in offences()]
    if clash:
        raise CodeListError(f"recording code(s) {', '.join(clash)} are also offence codes")
    return codes


@functools.cache
def victims_code() -> CodeList[VictimsCodeObligation]:
    """The Victims' Code obligations a recorded crime with a victim opens as duties."""
    return load_victims_code(locate(_PACKAGE, "victims_code.csv"))


def offence(code: str) -> Offence:
    """The offence with this Home Office code (any case, spaces trimmed), or ``UnknownOffenceCode``."""
    return offences().get(code)


def police_uk_category(code: str) -> PoliceUkCategory:
    """The police.uk crime category an offence is published under."""
    return offence(code).police_uk_category


def outcome_type(number: int) -> OutcomeType:
    """The Home Office outcome type with this number, or ``UnknownOutcomeType``."""
    if isinstance(number, bool) or not isinstance(number, int):
        raise UnknownOutcomeType(f"{number!r} is not a Home Office outcome type number", field="outcome_type")
    return outcome_types().get(str(number))


def recording_code(code: str) -> RecordingCode:
    return recording_codes().get(code)


def reload() -> None:
    """Forget the lists read so far, so the next lookup reads the files again."""
    for loader in (
        police_uk_categories,
        offences,
        police_uk_outcomes,
        outcome_types,
        recording_codes,
        victims_code,
    ):
        loader.cache_clear()
