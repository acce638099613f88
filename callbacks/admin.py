from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import CallbackAttempt, CallbackEvent, CallbackTask


class ReadOnlyAdmin(SimpleHistoryAdmin):
    """Callbacks change only through callbacks.services; the admin is for reading."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CallbackTask)
class CallbackTaskAdmin(ReadOnlyAdmin):
    list_display = ["id", "client", "reason", "status", "assigned_to", "due_at", "attempts_count", "expires_at"]
    list_filter = ["status", "reason"]
    raw_id_fields = ["client", "application", "assigned_to"]


@admin.register(CallbackAttempt)
class CallbackAttemptAdmin(ReadOnlyAdmin):
    list_display = ["id", "task", "number", "agent", "channel", "outcome", "recorded_at"]
    list_filter = ["outcome", "channel"]


@admin.register(CallbackEvent)
class CallbackEventAdmin(admin.ModelAdmin):
    list_display = ["id", "task", "action", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["action"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
