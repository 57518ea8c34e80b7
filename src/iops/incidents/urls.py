"""Pages and htmx fragments of calls and incidents, under /incidents/."""

from django.urls import path

from iops.incidents import views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("new/", views.new_call, name="new"),
    path("new/aml/", views.aml_fragment, name="aml"),
    path("new/duplicates/", views.duplicates_fragment, name="duplicates"),
    path("risk/", views.risk_fragment, name="risk"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/eido/", views.export_eido, name="eido"),
    path("<int:pk>/<str:action>/", views.act, name="act"),
]
