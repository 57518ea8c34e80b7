"""What dispatch does when a lower app tells it something (``iops.platform.events.subscribe``).

Incidents cannot import dispatch (it is the layer above), so when an incident closes with units
still on it, dispatch hears ``incidents.closed`` inside the closing transaction and clears them.
It listens to the closing alone, not to every change, so creating and grading incidents (the busy
path) costs dispatch nothing.
"""

from __future__ import annotations

from typing import Any

from iops.dispatch.events import INCIDENT_CLOSED
from iops.platform import events


def _on_incident_closed(topic: str, payload: dict[str, Any]) -> None:
    from iops.dispatch.services import assignments_clear_for_closed_incident

    incident_id = payload.get("id")
    if incident_id is not None:
        assignments_clear_for_closed_incident(incident_id=int(incident_id))


events.subscribe(INCIDENT_CLOSED, _on_incident_closed)
