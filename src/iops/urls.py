"""URL map: pages per app, the JSON API under /api/v1, and health endpoints without login."""

from django.urls import include, path

from iops.api.api import api
from iops.platform import views as platform_views

handler400 = "iops.platform.views.bad_request"
handler403 = "iops.platform.views.permission_denied"
handler404 = "iops.platform.views.page_not_found"
handler500 = "iops.platform.views.server_error"

urlpatterns = [
    path("healthz", platform_views.healthz, name="healthz"),
    path("readyz", platform_views.readyz, name="readyz"),
    path("api/v1/", api.urls),
    path("accounts/", include("iops.accounts.urls")),
    path("audit/", include("iops.audit.urls")),
    path("geo/", include("iops.geo.urls")),
    path("people/", include("iops.people.urls")),
    path("duties/", include("iops.duties.urls")),
    path("incidents/", include("iops.incidents.urls")),
    path("dispatch/", include("iops.dispatch.urls")),
    path("crimes/", include("iops.crimes.urls")),
    path("dashboards/", include("iops.dashboards.urls")),
    path("", include("iops.platform.urls")),
]
