"""Pages of the crimes app, under /crimes/."""

from django.urls import path

from iops.crimes import views

app_name = "crimes"

urlpatterns = [
    path("", views.crime_list, name="list"),
    path("new/", views.record, name="record"),
    path("registrar/", views.registrar, name="registrar"),
    path("registrar/incidents/<int:pk>/rationale/", views.rationale, name="rationale"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<str:action>/", views.act, name="act"),
]
