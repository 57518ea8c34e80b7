from django.urls import path

from iops.platform import views

app_name = "platform"

urlpatterns = [
    path("", views.home, name="home"),
]
