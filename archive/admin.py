from django.contrib import admin

from accounts.admin import ReadOnlyAdmin

from .models import Document, DocumentAccess


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ["id", "client", "kind", "source", "original_filename", "stored_at", "retention_until", "legal_hold"]
    list_filter = ["kind", "source", "legal_hold"]
    search_fields = ["client__client_no", "sha256", "original_filename"]


@admin.register(DocumentAccess)
class DocumentAccessAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "document", "ip"]
    list_filter = ["action"]
