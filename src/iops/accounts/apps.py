from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "iops.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from iops.accounts import navigation  # noqa: F401  (registers links and home panels)
        from iops.accounts.services import roles_sync_after_migrate

        # Roles and their permissions follow the code after every migrate, as Django does for
        # permissions themselves; the sync is a service so `iops migrate` and tests share it.
        post_migrate.connect(roles_sync_after_migrate, dispatch_uid="iops.accounts.roles_sync")
