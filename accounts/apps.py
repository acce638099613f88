from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "客户与员工 Clients and staff"

    def ready(self) -> None:
        from . import roles

        # Groups and their permissions are data the product owns: keep them in step after every migrate.
        post_migrate.connect(roles.roles_sync_after_migrate, dispatch_uid="accounts.roles_sync")
