"""Background work for the nominal index: the nightly scan for likely duplicates."""

from __future__ import annotations

from procrastinate.contrib.django import app

from iops.people.services import duplicates_scan


@app.periodic(cron="30 2 * * *", periodic_id="people-duplicates-scan")
@app.task(queue="people", queueing_lock="people-duplicates-scan")
def scan_for_duplicates(timestamp: int) -> int:
    """Find new likely duplicates across the index in the quiet of the night; returns how many."""
    return duplicates_scan(acting_user=None)
