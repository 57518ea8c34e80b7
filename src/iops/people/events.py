"""Names of the events the people app publishes (``iops.platform.events.publish``). Payloads carry ids
only; listeners refetch what they need."""

NOMINAL_CREATED = "people.nominal_created"
NOMINAL_CHANGED = "people.nominal_changed"
MARKER_CHANGED = "people.marker_changed"
NOMINALS_MERGED = "people.nominals_merged"
MERGE_REVERSED = "people.merge_reversed"
