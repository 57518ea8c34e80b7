from django.urls import path

from iops.dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("backlog/", views.backlog, name="backlog"),
    path("backlog/duties", views.backlog_duties, name="backlog_duties"),
]
