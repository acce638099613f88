"""Reads of the client file that more than one caller needs."""

import datetime
from typing import NamedTuple

from django.utils import timezone

from .models import Document, DocumentAccess


def documents_past_retention(*, today: datetime.date | None = None):
    """Documents whose retention end has passed and that are not on legal hold (nothing is deleted)."""
    today = today or timezone.localdate()
    return (
        Document.objects.filter(retention_until__lt=today, legal_hold=False)
        .select_related("client")
        .order_by("retention_until", "pk")
    )


def client_documents(*, client_id: int):
    return Document.objects.filter(client_id=client_id).select_related("stored_by").order_by("-stored_at", "-pk")


def document_for_related(*, kind: str, related) -> Document | None:
    """The newest document of `kind` filed for a business object (e.g. an assessment's result PDF)."""
    from django.contrib.contenttypes.models import ContentType

    return (
        Document.objects.filter(
            kind=kind, related_type=ContentType.objects.get_for_model(related), related_id=related.pk
        )
        .order_by("-pk")
        .first()
    )


def client_document_accesses(*, client_id: int, limit: int = 50):
    return (
        DocumentAccess.objects.filter(document__client_id=client_id)
        .select_related("actor", "document")
        .order_by("-at", "-pk")[:limit]
    )


class ChecklistItem(NamedTuple):
    kind: str
    label: str
    present: bool
    documents: list


def client_file_checklist(client, *, channel: str, has_agent: bool) -> list[ChecklistItem]:
    """Each document kind this application type requires, whether the client's file has it, and the
    documents that satisfy it (newest first). See archive/checklist.py for the table."""
    from .checklist import required_kinds
    from .models import DocumentKind

    kinds = required_kinds(client_kind=client.kind, channel=channel, has_agent=has_agent)
    by_kind: dict[str, list] = {kind: [] for kind in kinds}
    for document in client_documents(client_id=client.pk).filter(kind__in=kinds):
        by_kind[document.kind].append(document)
    return [ChecklistItem(kind, str(DocumentKind(kind).label), bool(by_kind[kind]), by_kind[kind]) for kind in kinds]


def client_file_missing(client, *, channel: str, has_agent: bool) -> list[str]:
    """The required document kinds not yet in the client's file (empty when complete)."""
    return [
        item.kind for item in client_file_checklist(client, channel=channel, has_agent=has_agent) if not item.present
    ]
