from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "iops.dashboards"
    label = "dashboards"
    verbose_name = "Dashboards"

    def ready(self) -> None:
        from iops.dashboards import navigation  # noqa: F401  (registers the nav link and home panel)
