"""The events dispatch publishes (``iops.platform.events``), and the topics a live board listens to.

Payloads are small JSON objects with ids and versions; a board refetches the rows they name, so a
refetched board equals a board with the events applied (see docs/howto/live-board.md).
"""

from __future__ import annotations

# A unit's status, crew or details changed: {"id", "version", "call_sign", "status", "status_changed_at"}.
UNIT_CHANGED = "dispatch.unit_changed"
# A unit reported a new position: {"id", "version", "call_sign", "latitude", "longitude", "position_at"}.
UNIT_MOVED = "dispatch.unit_moved"
# A unit was assigned to, progressed on, or cleared from an incident:
# {"id", "version", "incident", "unit", "status"}.
ASSIGNMENT_CHANGED = "dispatch.assignment_changed"
# Published by iops.incidents on every change to an incident: {"id"}.
INCIDENT_CHANGED = "incidents.changed"
# Published by iops.incidents when an incident closes: {"id"}. Dispatch clears the units still on it.
INCIDENT_CLOSED = "incidents.closed"

BOARD_TOPICS = (INCIDENT_CHANGED, UNIT_CHANGED, UNIT_MOVED, ASSIGNMENT_CHANGED)
