from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "iops.audit"
    label = "audit"
    verbose_name = "Audit (s.62 log)"

    def ready(self) -> None:
        from iops.audit import navigation  # noqa: F401  (registers links and home panels)
