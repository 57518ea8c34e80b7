from django.urls import path

from iops.dispatch import views

app_name = "dispatch"

urlpatterns = [
    path("board/", views.board, name="board"),
    path("board/incidents/", views.board_incidents, name="board_incidents"),
    path("board/units/", views.board_units, name="board_units"),
    path("incidents/<int:incident_id>/assign/", views.assign, name="assign"),
    path("assignments/<int:assignment_id>/clear/", views.clear, name="clear"),
    path("units/", views.my_unit, name="my_unit"),
    path("units/<int:unit_id>/", views.unit_page, name="unit"),
    path("figures/", views.figures_page, name="figures"),
]
