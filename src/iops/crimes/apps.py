"""The crimes app: crime records, the 24-hour recording decision's ends, and the Victims' Code."""

from django.apps import AppConfig


class CrimesConfig(AppConfig):
    name = "iops.crimes"
    label = "crimes"
    verbose_name = "Crimes"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from iops.crimes import navigation  # noqa: F401  (registers links and home panels)
