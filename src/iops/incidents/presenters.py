"""How calls and incidents are shown: the attendance clock, and small labels pages and the API share.

The attendance clock runs from when the incident was reported to the grade's target (emergency: 15
minutes urban, 20 rural) and stops at the first arrival; a page counts it down in the browser from
``due_at`` (``static/incidents/clock.mjs``), and both the page and the API say whether it was met.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from iops.incidents import codes
from iops.incidents.models import Incident


@dataclass(frozen=True)
class AttendanceClock:
    """Where an incident stands against its attendance target."""

    due_at: datetime | None
    target_minutes: int | None
    seconds_left: int | None
    overdue: bool
    stopped_at: datetime | None
    met: bool | None

    @property
    def running(self) -> bool:
        return self.due_at is not None and self.stopped_at is None

    @property
    def label(self) -> str:
        """Plain words for the clock as it stands (the page's script keeps it ticking)."""
        if self.due_at is None:
            return "No attendance target"
        if self.stopped_at is not None:
            return "Attended within target" if self.met else "Attended after the target"
        assert self.seconds_left is not None
        return countdown(self.seconds_left)


def countdown(seconds: int) -> str:
    """``14:32 left`` or ``03:05 over``: minutes and seconds, the way a control room reads a clock."""
    magnitude = abs(seconds)
    text = f"{magnitude // 60:02d}:{magnitude % 60:02d}"
    return f"{text} left" if seconds >= 0 else f"{text} over"


def attendance_clock(incident: Incident, now: datetime) -> AttendanceClock:
    due = incident.attendance_due_at
    target = None
    if incident.grade:
        minutes = codes.grade(incident.grade).attendance_target(rural=incident.rural)
        target = int(minutes.total_seconds() // 60) if minutes is not None else None
    if due is None:
        return AttendanceClock(None, target, None, False, None, None)
    arrived = incident.first_arrived_at
    if arrived is not None:
        return AttendanceClock(due, target, None, arrived > due, arrived, arrived <= due)
    left = int((due - now).total_seconds())
    return AttendanceClock(due, target, left, left < 0, None, None)
