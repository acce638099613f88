from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .audit import audited_save
from .models import Branch, ChangeRequest, Client, StaffProfile


class ReadOnlyMixin:
    """For records that change only through their stage's services: the admin only reads them."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    pass


class ReadOnlyHistoryAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    """Read-only, with the field history of a model that keeps one."""


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


@admin.register(Client)
class ClientAdmin(SimpleHistoryAdmin):
    """Read-only. Key information (name, ID type, ID number, legal representative) changes only through a
    reviewed change request (证券公司开立客户账户规范 第十二条); ordinary data too, so every change is reviewed,
    bumps the client's version and reaches the accounts and CSDC (SPEC §4)."""

    list_display = ["client_no", "name", "kind", "status", "branch", "version"]
    list_filter = ["kind", "status", "branch"]
    search_fields = ["client_no", "name"]
    exclude = ["id_number", "phone", "address", "legal_rep_id_number"]  # encrypted personal data: not shown

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in self.exclude]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ChangeRequest)
class ChangeRequestAdmin(SimpleHistoryAdmin):
    list_display = ["pk", "client", "kind", "status", "created_by", "reviewed_by", "created_at"]
    list_filter = ["kind", "status"]
    exclude = ["old_values_encrypted", "new_values_encrypted"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in self.exclude]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
