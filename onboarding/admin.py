from django.contrib import admin

from accounts.admin import AuditedAdmin, ReadOnlyAdmin, ReadOnlyHistoryAdmin

from .models import Application, ApplicationEvent, DisclosureDocument


@admin.register(DisclosureDocument)
class DisclosureDocumentAdmin(AuditedAdmin):
    list_display = ["kind", "version", "title", "active"]
    list_filter = ["kind", "active"]

    def get_readonly_fields(self, request, obj=None):
        # A signed text never changes: a new text is a new version; only `active` may be switched off.
        return ["kind", "version", "title", "body"] if obj else []


@admin.register(Application)
class ApplicationAdmin(ReadOnlyHistoryAdmin):
    """Applications move only through the onboarding services."""

    list_display = ["id", "client", "channel", "status", "created_by", "created_at"]
    list_filter = ["status", "channel"]


@admin.register(ApplicationEvent)
class ApplicationEventAdmin(ReadOnlyAdmin):
    list_display = ["application", "action", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["action"]
