"""People pages under /people/: search, create, a person, edit, fragments, duplicates and merges."""

from django.urls import path

from iops.people import views

app_name = "people"

urlpatterns = [
    path("", views.search, name="search"),
    path("new/", views.create, name="create"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/<int:pair_id>/dismiss/", views.dismiss, name="dismiss"),
    path("merges/<int:merge_id>/", views.merge_detail, name="merge_detail"),
    path("at-address/<int:address_id>/", views.at_address_fragment, name="at_address"),
    path("<int:pk>/", views.person, name="person"),
    path("<int:pk>/summary/", views.summary_fragment, name="summary"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/markers/<int:marker_id>/end/", views.end_marker, name="end_marker"),
    path("<int:pk>/merge/<int:other>/", views.merge, name="merge"),
]
