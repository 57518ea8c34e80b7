from django.urls import path

from iops.duties import views

app_name = "duties"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("team/<int:pk>/", views.team, name="team"),
    path("command/", views.command, name="command"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<str:action>/", views.act, name="act"),
]
