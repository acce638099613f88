"""Callback tasks (回访) and their attempts (SPEC §3 art. 11, §6). Written only by callbacks.services."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Client


class CallbackReason(models.TextChoices):
    PRE_ACTIVATION = "pre_activation", _("开户激活前回访")
    KEY_DATA_CHANGE = "key_data_change", _("重要资料变更回访")
    QUALITY_SAMPLING = "quality_sampling", _("服务质量抽样回访")


class TaskStatus(models.TextChoices):
    PENDING = "pending", _("待回访")
    IN_PROGRESS = "in_progress", _("回访中")
    PASSED = "passed", _("回访通过")
    FAILED = "failed", _("回访未通过")
    ESCALATED = "escalated", _("已升级主管")
    EXPIRED = "expired", _("超期关闭")
    CLOSED = "closed", _("已关闭")


OPEN_TASK_STATUSES = [TaskStatus.PENDING, TaskStatus.IN_PROGRESS, TaskStatus.ESCALATED]
DONE_TASK_STATUSES = [TaskStatus.PASSED, TaskStatus.FAILED, TaskStatus.EXPIRED, TaskStatus.CLOSED]


class CallbackTask(models.Model):
    """One callback to make to a client, for a reason; worked by an agent in one or more attempts."""

    application = models.ForeignKey(
        "onboarding.Application",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="callback_tasks",
        verbose_name=_("开户申请"),
    )
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="callback_tasks", verbose_name=_("客户"))
    reason = models.CharField(_("回访原因"), max_length=20, choices=CallbackReason.choices)
    status = models.CharField(_("状态"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.PENDING)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="callback_tasks",
        verbose_name=_("回访专员"),
    )
    due_at = models.DateTimeField(_("应回访时间"))
    expires_at = models.DateTimeField(_("最迟通过时间"))
    attempts_count = models.PositiveSmallIntegerField(_("已回访次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次可回访时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("升级时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    outcome_reason = models.TextField(_("结果说明"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("回访任务 Callback task")
        verbose_name_plural = _("回访任务 Callback tasks")
        permissions = [("reassign_callbacktask", "May reassign callback tasks and handle escalations (回访主管)")]
        indexes = [models.Index(fields=["status", "due_at"], name="callbacktask_status_due_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=TaskStatus.values), name="callbacktask_status_valid"),
            models.CheckConstraint(
                condition=models.Q(reason__in=CallbackReason.values), name="callbacktask_reason_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(reason=CallbackReason.PRE_ACTIVATION) | models.Q(application__isnull=False),
                name="callbacktask_pre_activation_has_application",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=OPEN_TASK_STATUSES) | models.Q(closed_at__isnull=False),
                name="callbacktask_done_has_closed_at",
            ),
            models.UniqueConstraint(
                fields=["application"],
                condition=models.Q(reason=CallbackReason.PRE_ACTIVATION, status__in=OPEN_TASK_STATUSES),
                name="callbacktask_one_open_pre_activation",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_reason_display()} {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TASK_STATUSES


class AttemptChannel(models.TextChoices):
    PHONE = "phone", _("电话")
    VIDEO = "video", _("视频")


class AttemptOutcome(models.TextChoices):
    CONNECTED = "connected", _("已接通")
    NO_ANSWER = "no_answer", _("无人接听")
    BUSY = "busy", _("占线")
    WRONG_PERSON = "wrong_person", _("非本人接听")
    REFUSED = "refused", _("拒绝回访")


# The five confirmations of art. 11, in script order (agent identity only when the application has an agent).
CONFIRMATION_FIELDS = [
    "identity_confirmed",
    "agent_confirmed",
    "disclosures_understood",
    "true_wish",
    "password_reminder_given",
    "channel_confirmed",
]


class CallbackAttempt(models.Model):
    """One call (or video call) to the client, with what the client confirmed. Never edited."""

    task = models.ForeignKey(CallbackTask, on_delete=models.PROTECT, related_name="attempts")
    number = models.PositiveSmallIntegerField(_("第几次"))
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("开始时间"))
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    channel = models.CharField(_("方式"), max_length=8, choices=AttemptChannel.choices)
    outcome = models.CharField(_("结果"), max_length=16, choices=AttemptOutcome.choices)
    identity_confirmed = models.BooleanField(_("客户身份确认"), null=True)
    agent_confirmed = models.BooleanField(_("代理人身份及授权确认"), null=True)
    disclosures_understood = models.BooleanField(_("已阅读并理解风险揭示"), null=True)
    true_wish = models.BooleanField(_("开户系本人真实意愿"), null=True)
    password_reminder_given = models.BooleanField(_("已提示自行设置并妥善保管密码"), null=True)
    channel_confirmed = models.BooleanField(_("开户方式确认"), null=True)
    notes = models.TextField(_("备注"), blank=True)
    recording_ref = models.CharField(_("录音编号"), max_length=100, blank=True)
    record_document_id = models.BigIntegerField(_("回访记录文件"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["task_id", "number"]
        verbose_name = _("回访记录 Callback attempt")
        verbose_name_plural = _("回访记录 Callback attempts")
        constraints = [
            models.UniqueConstraint(fields=["task", "number"], name="callbackattempt_unique_number"),
            models.CheckConstraint(
                condition=models.Q(outcome=AttemptOutcome.CONNECTED)
                | models.Q(
                    identity_confirmed__isnull=True,
                    agent_confirmed__isnull=True,
                    disclosures_understood__isnull=True,
                    true_wish__isnull=True,
                    password_reminder_given__isnull=True,
                    channel_confirmed__isnull=True,
                ),
                name="callbackattempt_confirmations_only_when_connected",
            ),
        ]

    def __str__(self) -> str:
        return f"task {self.task_id} #{self.number} {self.outcome}"


class CallbackEvent(models.Model):
    """Business events of a callback task: created, assigned, attempted, passed, escalated, expired…"""

    task = models.ForeignKey(CallbackTask, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=40)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    reason = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.task_id} {self.action} {self.from_status}→{self.to_status}"
