"""Names of the events geography publishes (``iops.platform.events``).

Payloads are counts, not rows: a map or a dispatch screen that cares refetches the areas.
"""

AREAS_CHANGED = "geo.areas_changed"  # {"kind", "created", "updated"}
GAZETTEER_CHANGED = "geo.gazetteer_changed"  # {"created", "updated"}
