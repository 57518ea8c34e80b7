from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "iops.geo"
    label = "geo"
    verbose_name = "Geography"

    def ready(self) -> None:
        from iops.geo import navigation  # noqa: F401  (registers the address look-up link)
