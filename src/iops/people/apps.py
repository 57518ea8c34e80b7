"""The people app: the nominal index of DESIGN section 2 (index layer), its search and merges."""

from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "iops.people"
    label = "people"
    verbose_name = "People"

    def ready(self) -> None:
        from iops.people import navigation  # noqa: F401  (registers links and home panels)
