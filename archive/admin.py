from django.contrib import admin

from .models import Document, DocumentAccess


class ReadOnlyAdmin(admin.ModelAdmin):
    """The client file is written only by services; the admin only reads it."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ["id", "client", "kind", "source", "original_filename", "stored_at", "retention_until", "legal_hold"]
    list_filter = ["kind", "source", "legal_hold"]
    search_fields = ["client__client_no", "sha256", "original_filename"]


@admin.register(DocumentAccess)
class DocumentAccessAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "document", "ip"]
    list_filter = ["action"]
