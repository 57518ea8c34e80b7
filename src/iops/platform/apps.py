from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "iops.platform"
    label = "platform"
    verbose_name = "Platform"

    def ready(self) -> None:
        from iops.platform import checks  # noqa: F401  (registers system checks)
