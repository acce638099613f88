from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured
from django.db.models.signals import post_migrate


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = "客户档案 Client file"

    def ready(self) -> None:
        from .immutability import history_triggers_after_migrate

        post_migrate.connect(history_triggers_after_migrate, sender=self, dispatch_uid="archive_history_triggers")

        from simple_history.signals import post_create_historical_record

        from .services import history_record_chain

        # Every history row of every app is marked for its tamper-evidence link in the same transaction;
        # the sequencer (services.chain_sequence) appends the link after commit.
        post_create_historical_record.connect(history_record_chain, dispatch_uid="archive_history_chain")

        from accounts import ports

        from .models import DocumentKind
        from .services import change_document_ingest, change_document_kinds

        missing = set(ports.CHANGE_DOCUMENT_KINDS) - set(DocumentKind.values)
        if missing:  # the change-request rules name kinds the client file does not know
            raise ImproperlyConfigured(f"archive.DocumentKind lacks {sorted(missing)} (accounts/ports.py)")
        # accounts cannot import archive: it records change-request documents through this port (ADR 0010).
        ports.client_file_register(kinds_for=change_document_kinds, ingest=change_document_ingest)
