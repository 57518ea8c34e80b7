"""Working days in England and Wales, for the Victims' Code clocks ("within 2 working days").

A working day is Monday to Friday and not a bank holiday of England and Wales. The holidays come
from ``crimes/data/bank_holidays_england_wales.csv`` (GOV.UK's list, source named in the file);
for a year the file does not hold, they are worked out from the standing rules (Easter by the
Gregorian computus, substitute days when a fixed holiday falls at a weekend), so a clock never
stops working because the list was not updated, and the file wins wherever it speaks.

A deadline of N working days from a moment is the end of the N-th working day after the day of
that moment (the day itself does not count, whatever the hour): reported at 10:00 on a Friday,
2 working days runs to 23:59:59 on Tuesday, local time, so the clock keeps the force's local time
across the change to and from summer time.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta
from importlib.resources.abc import Traversable
from pathlib import Path

from django.utils import timezone

from iops.incidents.codes import CodeListError, locate, read_code_list, required

_PACKAGE = "iops.crimes"
HOLIDAY_FILE = "bank_holidays_england_wales.csv"
SATURDAY = 5


def easter_sunday(year: int) -> date:
    """Easter Sunday in the Gregorian calendar (the anonymous Gregorian algorithm)."""
    golden = year % 19
    century, year_of_century = divmod(year, 100)
    leap_centuries, century_rest = divmod(century, 4)
    correction = (century + 8) // 25
    moon = (century - correction + 1) // 3
    epact = (19 * golden + century - leap_centuries - moon + 15) % 30
    leap_years, year_rest = divmod(year_of_century, 4)
    weekday = (32 + 2 * century_rest + 2 * leap_years - epact - year_rest) % 7
    shift = (golden + 11 * epact + 22 * weekday) // 451
    month, day = divmod(epact + weekday - 7 * shift + 114, 31)
    return date(year, month, day + 1)


def _monday_on_or_after(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7)


def _last_monday(year: int, month: int) -> date:
    following = date(year + (month == 12), month % 12 + 1, 1)
    last = following - timedelta(days=1)
    return last - timedelta(days=last.weekday())


def standing_holidays(year: int) -> set[date]:
    """The bank holidays of England and Wales the standing rules give for ``year`` (no one-off days)."""
    easter = easter_sunday(year)
    days = {
        easter - timedelta(days=2),
        easter + timedelta(days=1),
        _monday_on_or_after(date(year, 5, 1)),
        _last_monday(year, 5),
        _last_monday(year, 8),
    }
    new_year = date(year, 1, 1)
    days.add(new_year if new_year.weekday() < SATURDAY else _monday_on_or_after(new_year))
    christmas, boxing = date(year, 12, 25), date(year, 12, 26)
    # A holiday at a weekend moves to the next weekday not already a holiday.
    taken: set[date] = set()
    for holiday in (christmas, boxing):
        moved = holiday
        while moved.weekday() >= SATURDAY or moved in taken:
            moved += timedelta(days=1)
        taken.add(moved)
    return days | taken


def load_holidays(path: Traversable | Path) -> dict[int, frozenset[date]]:
    """Holidays by year from a list file; every date must be a weekday and appear once."""
    listing = read_code_list(path, ["date", "title"])
    by_year: dict[int, set[date]] = {}
    for line, cells in listing.rows:
        text = required(listing, line, cells, "date")
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise listing.fail(line, f"date {text!r} is not a date (YYYY-MM-DD)") from None
        if day.weekday() >= SATURDAY:
            raise listing.fail(line, f"{day} is a {day:%A}: a bank holiday is on a weekday")
        year = by_year.setdefault(day.year, set())
        if day in year:
            raise listing.fail(line, f"{day} appears more than once")
        year.add(day)
        required(listing, line, cells, "title")
    if not by_year:
        raise CodeListError(f"{listing.location}: no bank holidays listed")
    return {year: frozenset(days) for year, days in by_year.items()}


@functools.cache
def _listed() -> dict[int, frozenset[date]]:
    return load_holidays(locate(_PACKAGE, HOLIDAY_FILE))


@functools.cache
def holidays(year: int) -> frozenset[date]:
    """Bank holidays of England and Wales in ``year``: from the list, else from the standing rules."""
    listed = _listed()
    return listed[year] if year in listed else frozenset(standing_holidays(year))


def listed_years() -> list[int]:
    return sorted(_listed())


def reload() -> None:
    _listed.cache_clear()
    holidays.cache_clear()


def is_working_day(day: date) -> bool:
    return day.weekday() < SATURDAY and day not in holidays(day.year)


def add_working_days(day: date, count: int) -> date:
    """The ``count``-th working day after ``day`` (``day`` itself never counts); ``day`` for 0."""
    if count < 0:
        raise ValueError("count must not be negative")
    current = day
    remaining = count
    while remaining:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 if ``end`` is not after ``start``)."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count


def end_of_day(day: date) -> datetime:
    """The last second of ``day``, local time, as an aware datetime (shown as "by 23:59 on ...")."""
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))


def working_days_deadline(moment: datetime, count: int) -> datetime:
    """The end of the ``count``-th working day after the local day of ``moment``."""
    return end_of_day(add_working_days(timezone.localdate(moment), count))
