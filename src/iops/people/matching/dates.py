"""Dates of birth in a search: what may be asked for, and how close a recorded date is.

A query gives an exact date (ISO ``1980-02-01``, or ``01/02/1980`` day first as written in the UK),
a year (``1980``) or a range (``1980-01-01..1985-12-31``, ``1980..1985``). Recorded dates are often
wrong in known ways: day and month swapped (American order, or a slip), one digit mistyped, two
digits transposed. Each closeness comes with the words a search result shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_UK = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
_YEAR = re.compile(r"^(\d{4})$")


class DateOfBirthError(ValueError):
    """Text that is not a date, a year or a range of them; the message says what is expected."""


@dataclass(frozen=True, slots=True)
class DateOfBirthQuery:
    """An exact date, or the first and last dates of a year or range."""

    exact: date | None = None
    start: date | None = None
    end: date | None = None
    text: str = ""

    @property
    def is_exact(self) -> bool:
        return self.exact is not None

    def exact_and_swapped(self) -> list[date]:
        """The date and, where it is a real date too, the date with day and month swapped."""
        if self.exact is None:
            return []
        swapped = swap_day_month(self.exact)
        return [self.exact] if swapped is None else [self.exact, swapped]


def swap_day_month(value: date) -> date | None:
    if value.day == value.month or value.day > 12:
        return None
    try:
        return date(value.year, value.day, value.month)
    except ValueError:
        return None


def _date(year: str, month: str, day: str, text: str) -> date:
    try:
        return date(int(year), int(month), int(day))
    except ValueError as error:
        raise DateOfBirthError(
            f"'{text}' is not a real date. Give a date of birth as YYYY-MM-DD, a year, or a range."
        ) from error


def _one(text: str, *, end: bool = False) -> tuple[date, date]:
    if match := _ISO.match(text):
        value = _date(match[1], match[2], match[3], text)
        return value, value
    if match := _UK.match(text):
        value = _date(match[3], match[2], match[1], text)
        return value, value
    if match := _YEAR.match(text):
        year = int(match[1])
        if year < 1:
            raise DateOfBirthError(f"'{text}' is not a year.")
        return date(year, 1, 1), date(year, 12, 31)
    raise DateOfBirthError(
        f"'{text}' is not a date of birth. Use YYYY-MM-DD (e.g. 1980-02-01), a year (1980) "
        "or a range (1980-01-01..1985-12-31)."
    )


def parse_date_of_birth_query(text: str | None, *, today: date | None = None) -> DateOfBirthQuery | None:
    """Parse what a search gives as a date of birth; None for nothing; DateOfBirthError if malformed."""
    text = (text or "").strip()
    if not text:
        return None
    separator = ".." if ".." in text else (" to " if " to " in text else None)
    if separator:
        first, _, last = text.partition(separator)
        start, _ = _one(first.strip())
        _, end = _one(last.strip(), end=True)
        if end < start:
            raise DateOfBirthError("The end of a date-of-birth range must not be before its start.")
        result = DateOfBirthQuery(start=start, end=end, text=text)
    else:
        start, end = _one(text)
        result = (
            DateOfBirthQuery(exact=start, start=start, end=end, text=text)
            if start == end
            else DateOfBirthQuery(start=start, end=end, text=text)
        )
    if today is not None and result.start is not None and result.start > today:
        raise DateOfBirthError("A date of birth cannot be in the future.")
    return result


@dataclass(frozen=True, slots=True)
class DateCloseness:
    score: float
    reason: str


NO_DATE = DateCloseness(0.0, "")


def _digits(value: date) -> str:
    # isoformat is done in C; strftime is several times slower and this runs for every candidate.
    return value.isoformat().replace("-", "")


def _one_digit_apart(first: str, second: str) -> str:
    different = [i for i in range(len(first)) if first[i] != second[i]]
    if len(different) == 1:
        return "date of birth differs by one digit"
    if (
        len(different) == 2
        and different[1] == different[0] + 1
        and first[different[0]] == second[different[1]]
        and first[different[1]] == second[different[0]]
    ):
        return "date of birth has two digits transposed"
    return ""


def compare(query: DateOfBirthQuery, recorded: date) -> DateCloseness:
    """How well one recorded date fits the query, with the words a result shows."""
    return DateCloseness(*_compare(query.exact, query.start, query.end, recorded))


# Remembered by value, as plain tuples of dates, numbers and strings: the garbage collector does
# not track those, so a full cache costs its collections nothing.
@lru_cache(maxsize=100_000)
def _compare(exact: date | None, start: date | None, end: date | None, recorded: date) -> tuple[float, str]:
    if exact is None:
        assert start is not None and end is not None
        if start <= recorded <= end:
            if start.year == end.year and start.month == 1 and end.day == 31:
                return (1.0, f"born in {recorded.year}")
            return (1.0, "date of birth in the range asked for")
        distance = min(abs((recorded - start).days), abs((recorded - end).days))
        if distance <= 366:
            return (0.5, "date of birth within a year of the range")
        return (0.0, "")
    asked = exact
    if recorded == asked:
        return (1.0, "date of birth matches")
    if swap_day_month(asked) == recorded:
        return (0.9, "date of birth day/month swapped")
    slip = _one_digit_apart(_digits(asked), _digits(recorded))
    if slip:
        return (0.75, slip)
    if recorded.year == asked.year:
        if recorded.month == asked.month:
            return (0.45, "same month and year of birth")
        return (0.4, "same year of birth")
    if (recorded.month, recorded.day) == (asked.month, asked.day) and abs(recorded.year - asked.year) <= 10:
        return (0.45, "same birthday, different year")
    if abs((recorded - asked).days) <= 400:
        return (0.2, "date of birth within a year")
    return (0.0, "")


def best(query: DateOfBirthQuery, recorded: list[date]) -> DateCloseness:
    found = NO_DATE
    for value in recorded:
        closeness = compare(query, value)
        if closeness.score > found.score:
            found = closeness
    return found
