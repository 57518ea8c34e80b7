"""A date and time from a client is one a record can hold and give back (``platform.api_types``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from iops.platform.api_types import sane_moment


def test_a_moment_is_handed_on_in_utc() -> None:
    local = datetime(2026, 7, 1, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    assert sane_moment(local) == datetime(2026, 7, 1, 8, 30, tzinfo=UTC)
    assert sane_moment(local).utcoffset() == timedelta(0)
    assert sane_moment(datetime(1952, 3, 4, 12, 0, tzinfo=UTC)).year == 1952  # a historic offence


@pytest.mark.parametrize(
    ("value", "message"),
    [
        # PostgreSQL refuses an offset beyond 15:59; no place on Earth is beyond 14 hours.
        (datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=-20, minutes=-2))), "within 14 hours"),
        # Stored as a year BC in UTC, it could never be read back into Python.
        (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))), "between 1900 and 2100"),
        (datetime(2150, 1, 1, tzinfo=UTC), "between 1900 and 2100"),
    ],
)
def test_a_moment_no_record_can_mean_is_refused(value: datetime, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sane_moment(value)
