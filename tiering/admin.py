from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin import ReadOnlyAdmin, ReadOnlyHistoryAdmin

from .models import ClientMetric, ClientTier, TierChange, TierEntitlement, TierOverride, TierPolicy, TierRecompute


@admin.register(TierEntitlement)
class TierEntitlementAdmin(SimpleHistoryAdmin):
    list_display = ["tier", "dedicated_manager", "research", "priority_callback", "fee_schedule", "events"]


@admin.register(TierPolicy)
class TierPolicyAdmin(ReadOnlyHistoryAdmin):
    list_display = ["version", "status", "created_by", "activated_by", "activated_at"]


@admin.register(TierOverride)
class TierOverrideAdmin(ReadOnlyHistoryAdmin):
    list_display = ["client", "tier", "status", "expires_on", "requested_by", "decided_by"]
    list_select_related = ["client", "requested_by", "decided_by"]
    raw_id_fields = ["client"]


@admin.register(ClientTier)
class ClientTierAdmin(ReadOnlyAdmin):
    list_display = ["client", "tier", "computed_tier", "policy_version", "overridden", "since"]
    list_filter = ["tier", "overridden"]
    raw_id_fields = ["client"]
    show_full_result_count = False


@admin.register(TierChange)
class TierChangeAdmin(ReadOnlyAdmin):
    list_display = ["client", "from_tier", "to_tier", "policy_version", "changed_at"]
    raw_id_fields = ["client"]
    show_full_result_count = False


@admin.register(TierRecompute)
class TierRecomputeAdmin(ReadOnlyAdmin):
    list_display = ["id", "status", "progress", "policy_version", "clients_total", "changed", "created_at"]


@admin.register(ClientMetric)
class ClientMetricAdmin(ReadOnlyAdmin):
    list_display = ["client", "as_of", "total_assets", "contribution_12m", "trades_12m", "tenure_months"]
    raw_id_fields = ["client"]
    show_full_result_count = False
