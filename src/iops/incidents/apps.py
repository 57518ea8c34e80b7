from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "iops.incidents"
    label = "incidents"
    verbose_name = "Calls and incidents"

    def ready(self) -> None:
        from iops.incidents import navigation  # noqa: F401  (registers links and home panels)
