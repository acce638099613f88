from django.contrib import admin

from accounts.admin import ReadOnlyAdmin, ReadOnlyHistoryAdmin

from .models import CallbackAttempt, CallbackEvent, CallbackTask


@admin.register(CallbackTask)
class CallbackTaskAdmin(ReadOnlyHistoryAdmin):
    list_display = ["id", "client", "reason", "status", "assigned_to", "due_at", "attempts_count", "expires_at"]
    list_filter = ["status", "reason"]
    raw_id_fields = ["client", "application", "assigned_to"]


@admin.register(CallbackAttempt)
class CallbackAttemptAdmin(ReadOnlyHistoryAdmin):
    list_display = ["id", "task", "number", "agent", "channel", "outcome", "recorded_at"]
    list_filter = ["outcome", "channel"]


@admin.register(CallbackEvent)
class CallbackEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "task", "action", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["action"]
