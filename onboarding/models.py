from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.fields import EncryptedTextField
from accounts.models import Branch, Client, FundAccount, IdTypeChoices


class Channel(models.TextChoices):
    COUNTER = "counter", _("现场开户")
    WITNESSED = "witnessed", _("见证开户")
    ONLINE = "online", _("网上开户")


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    IDENTITY_VERIFIED = "identity_verified", _("身份已核验")
    DISCLOSED = "disclosed", _("已揭示风险")
    ASSESSED = "assessed", _("已完成适当性评估")
    SUBMITTED = "submitted", _("已提交复核")
    APPROVED = "approved", _("复核通过")
    ACCOUNTS_OPENED = "accounts_opened", _("已开户待回访")
    CALLBACK_PASSED = "callback_passed", _("回访通过")
    ACTIVE = "active", _("已激活")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤回")


OPEN_STATUSES = [
    ApplicationStatus.DRAFT,
    ApplicationStatus.IDENTITY_VERIFIED,
    ApplicationStatus.DISCLOSED,
    ApplicationStatus.ASSESSED,
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.APPROVED,
]
# A client has at most one application in progress, from draft until its accounts are active.
IN_PROGRESS_STATUSES = [*OPEN_STATUSES, ApplicationStatus.ACCOUNTS_OPENED, ApplicationStatus.CALLBACK_PASSED]
CLOSED_STATUSES = [ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN]


class AgentRelationship(models.TextChoices):
    AUTHORISED = "authorised", _("受托代理人（经公证授权）")
    GUARDIAN = "guardian", _("监护人（未成年客户）")
    STAFF = "staff", _("机构授权经办人")


class DisclosureKind(models.TextChoices):
    RISK_DISCLOSURE = "risk_disclosure", _("风险揭示书")
    AGREEMENT = "agreement", _("开户协议")


class DisclosureDocument(models.Model):
    """A version of the risk disclosure or an opening agreement the client signs (art. 7). Never edited:
    a new text is a new version."""

    kind = models.CharField(_("类别"), max_length=20, choices=DisclosureKind.choices)
    version = models.CharField(_("版本"), max_length=20)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"))
    active = models.BooleanField(_("当前使用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("揭示书与协议 Disclosure document")
        verbose_name_plural = _("揭示书与协议 Disclosure documents")
        constraints = [models.UniqueConstraint(fields=["kind", "version"], name="disclosure_unique_version")]

    def __str__(self) -> str:
        return f"{self.title} {self.version}"


class Application(models.Model):
    """One account-opening application, moved through the regulated stages by onboarding.services."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="applications", verbose_name=_("客户"))
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="applications")
    channel = models.CharField(_("开户方式"), max_length=12, choices=Channel.choices)
    status = models.CharField(
        _("状态"), max_length=20, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Agent (art. 6): an individual client's authorisation must be notarised.
    has_agent = models.BooleanField(_("代理人办理"), default=False)
    agent_name = models.CharField(_("代理人姓名"), max_length=50, blank=True)
    agent_id_type = models.CharField(_("代理人证件类型"), max_length=20, choices=IdTypeChoices.choices, blank=True)
    agent_id_number = EncryptedTextField(_("代理人证件号码"), blank=True)
    agent_relationship = models.CharField(_("与客户关系"), max_length=20, blank=True, choices=AgentRelationship.choices)

    # Witnessed opening (art. 17)
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("见证人"),
    )
    witness_by_video = models.BooleanField(_("见证人远程视频见证"), default=False)
    met_by = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("面见客户的员工")
    )

    # Online opening: the client's digital certificate
    cert_serial = models.CharField(_("数字证书序列号"), max_length=64, blank=True)
    cert_issuer = models.CharField(_("证书颁发机构"), max_length=200, blank=True)
    cert_valid_from = models.DateTimeField(_("证书生效时间"), null=True, blank=True)
    cert_valid_to = models.DateTimeField(_("证书失效时间"), null=True, blank=True)

    # Disclosure and education (art. 7)
    educator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("讲解人员"),
    )
    risk_disclosure = models.ForeignKey(
        DisclosureDocument, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    agreement = models.ForeignKey(DisclosureDocument, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    disclosed_at = models.DateTimeField(_("签署时间"), null=True, blank=True)

    # Suitability (art. 8)
    assessment = models.ForeignKey(
        "suitability.Assessment", on_delete=models.PROTECT, null=True, blank=True, related_name="applications"
    )

    # Review (资料审核)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("复核人"),
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(_("复核意见"), blank=True)

    # Opening (art. 10)
    bank_code = models.CharField(_("存管银行"), max_length=10, blank=True)
    bank_account = EncryptedTextField(_("银行账号"), blank=True)
    fund_account = models.ForeignKey(FundAccount, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    opened_at = models.DateTimeField(null=True, blank=True)

    closed_reason = models.TextField(_("驳回/撤回原因"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("开户申请 Application")
        verbose_name_plural = _("开户申请 Applications")
        permissions = [
            ("review_application", "May approve or reject applications (复核)"),
            ("open_accounts", "May open the accounts of an approved application"),
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="application_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ApplicationStatus.values), name="application_status_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=CLOSED_STATUSES) | ~models.Q(closed_reason=""),
                name="application_closed_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(reviewed_by__isnull=True) | ~models.Q(reviewed_by=models.F("created_by")),
                name="application_maker_is_not_checker",
            ),
            models.UniqueConstraint(
                fields=["client"],
                condition=models.Q(status__in=IN_PROGRESS_STATUSES),
                name="application_one_in_progress_per_client",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.client.name} {self.get_status_display()}"


class IdentityCheckResult(models.TextChoices):
    MATCH = "match", _("一致")
    NAME_MISMATCH = "name_mismatch", _("姓名不一致")
    NOT_FOUND = "not_found", _("查无此人")


class IdentityCheck(models.Model):
    """A check against the citizen identity system (公安部), as answered."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="identity_checks")
    subject = models.CharField(max_length=10, default="client")  # client / agent
    result = models.CharField(max_length=20, choices=IdentityCheckResult.choices)
    photo_similarity = models.DecimalField(max_digits=4, decimal_places=3, null=True, blank=True)
    reference = models.CharField(max_length=64, blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-checked_at"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.subject} {self.result}"


class ApplicationEvent(models.Model):
    """Business events of an application: every transition and every outside-system exchange."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=40)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    reason = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.action} {self.from_status}→{self.to_status}"
