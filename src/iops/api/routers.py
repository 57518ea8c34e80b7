"""Which app routers the API mounts, and where. The interface layer may import every app."""

from __future__ import annotations

from ninja import Router

from iops.accounts.api import router as accounts_router
from iops.audit.api import router as audit_router
from iops.crimes.api import router as crimes_router
from iops.dashboards.api import router as dashboards_router
from iops.dispatch.api import router as dispatch_router
from iops.duties.api import router as duties_router
from iops.geo.api import router as geo_router
from iops.incidents.api import router as incidents_router
from iops.people.api import router as people_router

ROUTERS: list[tuple[str, Router]] = [
    ("/", accounts_router),
    ("/audit", audit_router),
    ("/geo", geo_router),
    ("/people", people_router),
    ("/", duties_router),
    ("/", incidents_router),
    ("/", dispatch_router),
    # /crimes... and /incidents/{id}/non-crime-rationale (no clash with the incidents router).
    ("/", crimes_router),
    ("/dashboards", dashboards_router),
]
