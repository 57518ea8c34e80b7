from django.urls import path

from iops.geo import views

app_name = "geo"

urlpatterns = [
    path("addresses/", views.address_lookup, name="address_lookup"),
    path("addresses/matches/", views.address_matches, name="address_matches"),
    path("addresses/<int:address_id>/", views.address_detail, name="address_detail"),
]
