from django.apps import AppConfig


class DutiesConfig(AppConfig):
    name = "iops.duties"
    label = "duties"
    verbose_name = "Duties"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from iops.duties import navigation  # noqa: F401  (registers links and home panels)

        # Each app declares the kinds of duty it opens in its duty_kinds.py.
        autodiscover_modules("duty_kinds")
