from rest_framework import serializers

from .models import ClientTier, Tier, TierChange, TierEntitlement, TierOverride, TierPolicy, TierRecompute, TierRule


class CriterionSerializer(serializers.Serializer):
    metric = serializers.CharField(help_text="total_assets, contribution_12m, trades_12m or tenure_months")
    op = serializers.CharField(required=False, help_text="Threshold: >=, >, <=, <, =")
    value = serializers.FloatField(required=False, help_text="Threshold value (yuan, count or months)")
    top_percent = serializers.FloatField(required=False, help_text="Percentile: the top p% of the client base")


class TierRuleSerializer(serializers.ModelSerializer):
    criteria = CriterionSerializer(many=True)

    class Meta:
        model = TierRule
        fields = ["tier", "name", "order", "criteria"]
        read_only_fields = ["order"]


class TierPolicySerializer(serializers.ModelSerializer):
    rules = TierRuleSerializer(many=True, read_only=True)
    created_by = serializers.StringRelatedField(allow_null=True)
    proposed_by = serializers.StringRelatedField(allow_null=True)
    activated_by = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = TierPolicy
        fields = [
            "id", "version", "status", "note", "based_on", "created_by", "created_at", "proposed_by", "proposed_at",
            "activated_by", "activated_at", "rules",
        ]  # fmt: skip


class TierPolicyCreateSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
    based_on = serializers.IntegerField(required=False, allow_null=True, default=None)
    rules = serializers.ListField(
        child=serializers.DictField(), help_text='[{"tier": "A", "name": "关键客户", "criteria": [...]}, …] A, B, C'
    )


class TierEntitlementSerializer(serializers.ModelSerializer):
    class Meta:
        model = TierEntitlement
        fields = ["tier", "dedicated_manager", "research", "priority_callback", "fee_schedule", "events"]


class TierChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = TierChange
        fields = ["from_tier", "to_tier", "policy_version", "reason", "changed_at"]


class TierOverrideSerializer(serializers.ModelSerializer):
    requested_by = serializers.StringRelatedField()
    decided_by = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = TierOverride
        fields = ["id", "client", "tier", "reason", "expires_on", "status", "requested_by", "requested_at",
                  "decided_by", "decided_at"]  # fmt: skip
        read_only_fields = fields


class TierOverrideCreateSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(choices=Tier.choices)
    reason = serializers.CharField(max_length=300)
    expires_on = serializers.DateField()


class DecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField()


class ClientTierSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClientTier
        fields = ["tier", "computed_tier", "policy_version", "reason", "overridden", "since", "computed_at"]


class ClientTierDetailSerializer(serializers.Serializer):
    client_id = serializers.IntegerField()
    tier = ClientTierSerializer(allow_null=True)
    entitlement = TierEntitlementSerializer(allow_null=True)
    active_override = TierOverrideSerializer(allow_null=True)
    history = TierChangeSerializer(many=True)


class DistributionSerializer(serializers.Serializer):
    dimension = serializers.CharField()
    counts = serializers.DictField(child=serializers.IntegerField())


class MetricRowSerializer(serializers.Serializer):
    """One imported row; validated in the service so that bad rows are reported with their position."""

    client_no = serializers.CharField()
    as_of = serializers.CharField(help_text="YYYY-MM-DD")
    total_assets = serializers.CharField()
    contribution_12m = serializers.CharField()
    trades_12m = serializers.CharField()
    tenure_months = serializers.CharField()


class MetricsImportResultSerializer(serializers.Serializer):
    loaded = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField(), help_text='[{"line": 3, "reason": "…"}]')


class TierRecomputeSerializer(serializers.ModelSerializer):
    class Meta:
        model = TierRecompute
        fields = [
            "id", "status", "policy_version", "as_of", "trigger", "progress", "step", "clients_total", "changed",
            "overridden", "counts", "error", "created_at", "started_at", "finished_at",
        ]  # fmt: skip


class WhatIfSerializer(serializers.Serializer):
    policy_version = serializers.IntegerField()
    distribution = serializers.DictField(child=serializers.IntegerField())
    total = serializers.IntegerField()
    up = serializers.IntegerField()
    down = serializers.IntegerField()
    unranked_before = serializers.IntegerField()
    movers = serializers.ListField(child=serializers.DictField())
