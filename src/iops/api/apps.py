from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "iops.api"
    label = "api"
    verbose_name = "API"
