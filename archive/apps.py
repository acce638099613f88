from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = "客户档案 Client file"

    def ready(self) -> None:
        from .immutability import history_triggers_after_migrate

        post_migrate.connect(history_triggers_after_migrate, sender=self, dispatch_uid="archive_history_triggers")

        from simple_history.signals import post_create_historical_record

        from .services import history_record_chain

        # Every history row of every app gets its tamper-evidence link in the same transaction.
        post_create_historical_record.connect(history_record_chain, dispatch_uid="archive_history_chain")
