from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "iops.dispatch"
    label = "dispatch"
    verbose_name = "Units and dispatch"

    def ready(self) -> None:
        from iops.dispatch import navigation, subscribers  # noqa: F401  (links, panels, event subscribers)
