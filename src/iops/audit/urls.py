"""Pages of the audit app, under /audit/."""

from django.urls import path

from iops.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.search, name="search"),
    path("break-glass/", views.break_glass, name="break_glass"),
    path("export.csv", views.export_csv, name="export"),
]
