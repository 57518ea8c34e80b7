"""Writers for dashboards: filling in the daily duty snapshots the trend charts read.

The snapshot itself is the duties app's (``duties_snapshot``, taken each night for the day before);
this fills the days a new installation, or a stopped worker, never measured.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from iops.duties.services import duties_snapshot
from iops.platform.errors import ValidationFailed

MAX_BACKFILL_DAYS = 366


def backlog_snapshots_backfill(*, days: int, last: date | None = None) -> dict[date, int]:
    """Take (or retake) the snapshot of each of the ``days`` days up to ``last`` (default yesterday).

    Returns the rows written per day. Retaking a day replaces it, so this is safe to run again.
    """
    if not 1 <= days <= MAX_BACKFILL_DAYS:
        raise ValidationFailed(f"days must be between 1 and {MAX_BACKFILL_DAYS}.", field="days")
    end = last or timezone.localdate() - timedelta(days=1)
    if end >= timezone.localdate():
        raise ValidationFailed(
            "Only finished days can be snapshotted: give a day before today.", field="last"
        )
    written: dict[date, int] = {}
    for offset in range(days - 1, -1, -1):
        day = end - timedelta(days=offset)
        written[day] = duties_snapshot(day=day)
    return written
