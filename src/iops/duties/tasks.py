"""Background work for duties: the sweeper every minute and the daily snapshot for trends."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from procrastinate.contrib.django import app

from iops.duties.services import duties_snapshot, duties_sweep


@app.periodic(cron="* * * * *", periodic_id="duties-sweep")
@app.task(queue="duties", queueing_lock="duties-sweep")
def sweep(timestamp: int) -> int:
    """Escalate overdue duties. Queued once a minute; a queueing lock keeps one waiting at a time."""
    return duties_sweep(now=datetime.fromtimestamp(timestamp, tz=timezone.get_current_timezone())).escalated


@app.periodic(cron="5 0 * * *", periodic_id="duties-snapshot")
@app.task(queue="duties", queueing_lock="duties-snapshot")
def snapshot(timestamp: int) -> int:
    """Take yesterday's snapshot just after midnight."""
    today = datetime.fromtimestamp(timestamp, tz=timezone.get_current_timezone()).date()
    return duties_snapshot(day=today - timedelta(days=1))
