from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .audit import audited_save
from .models import Branch, StaffProfile


class AuditedAdmin(SimpleHistoryAdmin):
    """Admin edits are written with the acting user and a reason, like every other write."""

    def save_model(self, request, obj, form, change):
        audited_save(obj, actor=request.user, reason="changed in admin" if change else "created in admin")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # regulated records are never deleted


@admin.register(Branch)
class BranchAdmin(AuditedAdmin):
    list_display = ["code", "name", "address"]
    search_fields = ["code", "name"]


@admin.register(StaffProfile)
class StaffProfileAdmin(AuditedAdmin):
    list_display = ["employee_no", "full_name", "user", "branch", "is_formal_employee", "is_marketing_role"]
    list_filter = ["branch", "is_formal_employee", "is_marketing_role"]
    search_fields = ["employee_no", "full_name", "user__username"]
    autocomplete_fields = ["user"]
