"""Tiering and classification (客户分类分级, SPEC §7): metrics, versioned policies, tiers, overrides.

ClientMetric, ClientTier and TierChange are written set-based (bulk inserts, one SQL statement per step of a
recompute) and are not history-tracked: metrics are imported facts, ClientTier is a cache of the latest
result, and TierChange *is* the history of tiers. Policies, rules, overrides and entitlements are
history-tracked and written only through tiering/services.py.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Client


class Tier(models.TextChoices):
    A = "A", _("A 关键客户")
    B = "B", _("B 主要客户")
    C = "C", _("C 普通客户")


TIER_RANK = {"A": 1, "B": 2, "C": 3}  # smaller is higher; an "up" move lowers the rank


class Metric(models.TextChoices):
    TOTAL_ASSETS = "total_assets", _("总资产")
    CONTRIBUTION_12M = "contribution_12m", _("近12个月贡献")
    TRADES_12M = "trades_12m", _("近12个月交易笔数")
    TENURE_MONTHS = "tenure_months", _("开户月数")


class ClientMetric(models.Model):
    """One day's metrics of one client, imported from the back-office systems (not history-tracked)."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="metrics")
    as_of = models.DateField(_("数据日期"))
    total_assets = models.DecimalField(_("总资产（元）"), max_digits=18, decimal_places=2, default=0)
    contribution_12m = models.DecimalField(_("近12个月贡献（元）"), max_digits=16, decimal_places=2, default=0)
    trades_12m = models.PositiveIntegerField(_("近12个月交易笔数"), default=0)
    tenure_months = models.PositiveIntegerField(_("开户月数"), default=0)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("客户指标 Client metric")
        verbose_name_plural = _("客户指标 Client metrics")
        constraints = [
            models.UniqueConstraint(fields=["client", "as_of"], name="client_metric_unique_day"),
            models.CheckConstraint(condition=models.Q(total_assets__gte=0), name="client_metric_assets_non_negative"),
            models.CheckConstraint(
                condition=models.Q(contribution_12m__gte=0), name="client_metric_contribution_non_negative"
            ),
        ]
        indexes = [models.Index(fields=["client", "-as_of"], name="client_metric_latest")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.as_of}"


class PolicyStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PROPOSED = "proposed", _("待审批")
    ACTIVE = "active", _("生效")
    RETIRED = "retired", _("已停用")


class TierPolicy(models.Model):
    """A version of the tiering rules. Drafts are edited; a proposed version is approved by someone else."""

    version = models.PositiveIntegerField(_("版本"), unique=True)
    status = models.CharField(_("状态"), max_length=10, choices=PolicyStatus.choices, default=PolicyStatus.DRAFT)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    based_on = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    activated_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-version"]
        verbose_name = _("分级策略 Tier policy")
        verbose_name_plural = _("分级策略 Tier policies")
        permissions = [("approve_tierpolicy", "May approve (activate) a tier policy proposed by someone else")]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="active"), name="tier_policy_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version} {self.status}"


class TierRule(models.Model):
    """One tier of a policy. `criteria` is an any-of list: {"metric", "op", "value"} thresholds and
    {"metric", "top_percent"} percentiles; an empty list matches everyone (the last tier)."""

    policy = models.ForeignKey(TierPolicy, on_delete=models.PROTECT, related_name="rules")
    tier = models.CharField(_("级别"), max_length=1, choices=Tier.choices)
    name = models.CharField(_("名称"), max_length=40)
    order = models.PositiveSmallIntegerField(_("顺序"))
    criteria = models.JSONField(_("条件（满足任一）"), default=list)

    history = HistoricalRecords()

    class Meta:
        ordering = ["policy", "order"]
        verbose_name = _("分级规则 Tier rule")
        verbose_name_plural = _("分级规则 Tier rules")
        constraints = [
            models.UniqueConstraint(fields=["policy", "order"], name="tier_rule_unique_order"),
            models.UniqueConstraint(fields=["policy", "tier"], name="tier_rule_unique_tier"),
        ]

    def __str__(self) -> str:
        return f"v{self.policy_id} {self.tier} {self.name}"


class ClientTier(models.Model):
    """A client's current tier (the result of the last recompute, or an approved override)."""

    client = models.OneToOneField(Client, on_delete=models.PROTECT, related_name="tier")
    tier = models.CharField(_("级别"), max_length=1, choices=Tier.choices)
    computed_tier = models.CharField(_("策略计算级别"), max_length=1, choices=Tier.choices)
    policy_version = models.PositiveIntegerField(_("策略版本"))
    reason = models.CharField(_("原因"), max_length=300)
    overridden = models.BooleanField(_("人工调整"), default=False)
    since = models.DateField(_("起始日期"))
    computed_at = models.DateTimeField(_("计算时间"))

    class Meta:
        verbose_name = _("客户级别 Client tier")
        verbose_name_plural = _("客户级别 Client tiers")
        permissions = [
            ("view_tier_dashboard", "May view tier and client-structure dashboards"),
            ("recompute_tiers", "May start a tier recompute"),
        ]
        indexes = [models.Index(fields=["tier"], name="client_tier_tier_idx")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.tier}"


class TierRecomputeStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("运行中")
    DONE = "done", _("完成")
    FAILED = "failed", _("失败")


class TierRecompute(models.Model):
    """One recompute run and its progress (updated between the SQL statements)."""

    status = models.CharField(max_length=10, choices=TierRecomputeStatus.choices, default=TierRecomputeStatus.QUEUED)
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    as_of = models.DateField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    trigger = models.CharField(max_length=20, default="manual")
    progress = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(max_length=100, blank=True)
    clients_total = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    overridden = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("分级重算 Tier recompute")
        verbose_name_plural = _("分级重算 Tier recomputes")

    def __str__(self) -> str:
        return f"#{self.pk} {self.status} {self.progress}%"


class TierChange(models.Model):
    """A client's tier changed (the first assignment counts, from_tier empty). Append-only."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="tier_changes")
    from_tier = models.CharField(max_length=1, choices=Tier.choices, blank=True)
    to_tier = models.CharField(max_length=1, choices=Tier.choices)
    policy_version = models.PositiveIntegerField()
    reason = models.CharField(max_length=300)
    run = models.ForeignKey(TierRecompute, on_delete=models.PROTECT, null=True, blank=True, related_name="changes")
    changed_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("级别变动 Tier change")
        verbose_name_plural = _("级别变动 Tier changes")
        indexes = [models.Index(fields=["client", "-changed_at"], name="tier_change_client_latest")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.from_tier or '-'}→{self.to_tier}"


class OverrideStatus(models.TextChoices):
    PROPOSED = "proposed", _("待审批")
    APPROVED = "approved", _("已生效")
    REJECTED = "rejected", _("已驳回")


class TierOverride(models.Model):
    """A manual tier for a client, with a reason and an expiry; effective only once a second person approves."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="tier_overrides")
    tier = models.CharField(_("级别"), max_length=1, choices=Tier.choices)
    reason = models.CharField(_("原因"), max_length=300)
    expires_on = models.DateField(_("到期日"))
    status = models.CharField(max_length=10, choices=OverrideStatus.choices, default=OverrideStatus.PROPOSED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("级别人工调整 Tier override")
        verbose_name_plural = _("级别人工调整 Tier overrides")
        permissions = [("approve_tieroverride", "May approve a tier override requested by someone else")]
        indexes = [models.Index(fields=["status", "expires_on"], name="tier_override_effective")]

    def __str__(self) -> str:
        return f"{self.client_id} → {self.tier} until {self.expires_on}"


class TierEntitlement(models.Model):
    """The services a tier brings (data, shipped by a data migration, edited in the admin)."""

    tier = models.CharField(_("级别"), max_length=1, choices=Tier.choices, unique=True)
    dedicated_manager = models.BooleanField(_("专属客户经理"), default=False)
    research = models.CharField(_("研究服务"), max_length=100)
    priority_callback = models.BooleanField(_("优先回访"), default=False)
    fee_schedule = models.CharField(_("佣金费率方案"), max_length=100)
    events = models.CharField(_("活动"), max_length=100)

    history = HistoricalRecords()

    class Meta:
        ordering = ["tier"]
        verbose_name = _("级别权益 Tier entitlement")
        verbose_name_plural = _("级别权益 Tier entitlements")

    def __str__(self) -> str:
        return f"{self.tier} entitlements"
