"""Types for the JSON API's input schemas that every app shares.

``Moment``: a date and time as a client sends it (ISO 8601), limited to what a police record can
mean and PostgreSQL can store and give back. Python accepts offsets up to a day and any year from
1; PostgreSQL refuses an offset beyond 15:59, and a time before year 1 once in UTC is stored but can
never be read back into Python, so every later read of that record would fail. A moment therefore
has a real-world offset (at most 14 hours either way), falls between 1900 and 2100, and is handed
on in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from django.utils import timezone
from pydantic import AfterValidator

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
LARGEST_OFFSET = timedelta(hours=14)


def sane_moment(value: datetime) -> datetime:
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    offset = value.utcoffset() or timedelta(0)
    if abs(offset) > LARGEST_OFFSET:
        raise ValueError("The time zone offset must be within 14 hours of UTC.")
    try:
        moment = value.astimezone(UTC)
    except OverflowError:  # before year 1 or after 9999 once in UTC
        moment = None
    if moment is None or not EARLIEST <= moment < LATEST:
        raise ValueError("The date must be between 1900 and 2100.")
    return moment


Moment = Annotated[datetime, AfterValidator(sane_moment)]
