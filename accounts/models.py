import pgtrigger
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .fields import EncryptedTextField


class Branch(models.Model):
    """营业部: a branch office where counter staff work."""

    code = models.CharField(_("营业部代码"), max_length=16, unique=True)
    name = models.CharField(_("营业部名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("营业部 Branch")
        verbose_name_plural = _("营业部 Branches")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class StaffProfile(models.Model):
    """Facts about a staff member that the rules ask about (SPEC §3 art. 17 for witnesses)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="staff")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="staff", null=True, blank=True)
    full_name = models.CharField(_("姓名"), max_length=50)
    employee_no = models.CharField(_("工号"), max_length=20, unique=True)
    is_formal_employee = models.BooleanField(_("正式员工"), default=True)
    is_marketing_role = models.BooleanField(_("营销岗位"), default=False)
    qualification_no = models.CharField(_("证券从业资格证书编号"), max_length=40, blank=True)
    witness_trained_on = models.DateField(_("见证培训日期"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["employee_no"]
        verbose_name = _("员工 Staff member")
        verbose_name_plural = _("员工 Staff")
        permissions = [
            ("reveal_personal_data", "May reveal masked personal data (logged)"),
        ]

    def __str__(self) -> str:
        return f"{self.employee_no} {self.full_name}"


class WorkerHeartbeat(models.Model):
    """Written by a Celery task so /healthz can tell whether a worker is consuming the queue."""

    hostname = models.CharField(max_length=200)
    source = models.CharField(max_length=40, default="beat")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.hostname} {self.source} {self.created_at:%Y-%m-%d %H:%M:%S}"


class ClientKind(models.TextChoices):
    INDIVIDUAL = "individual", _("个人")
    INSTITUTION = "institution", _("机构")


class IdTypeChoices(models.TextChoices):
    RESIDENT_ID = "resident_id", _("居民身份证")
    PASSPORT = "passport", _("护照")
    HK_MACAO_PERMIT = "hk_macao_permit", _("港澳居民来往内地通行证")
    TAIWAN_PERMIT = "taiwan_permit", _("台湾居民来往大陆通行证")
    HMT_RESIDENCE = "hmt_residence", _("港澳台居民居住证")
    FOREIGN_PR = "foreign_pr", _("外国人永久居留身份证")
    USCC = "uscc", _("统一社会信用代码")


class ClientStatus(models.TextChoices):
    PROSPECT = "prospect", _("开户中")
    ACTIVE = "active", _("正常")
    CLOSED = "closed", _("已销户")


class Client(models.Model):
    """A client of the firm (SPEC §3). Key information — name, ID type, ID number — changes only through a
    change request; ID number, phone and address are encrypted at rest with blind indexes for lookup."""

    client_no = models.CharField(_("客户号"), max_length=20, unique=True)
    kind = models.CharField(_("客户类型"), max_length=12, choices=ClientKind.choices)
    status = models.CharField(_("状态"), max_length=12, choices=ClientStatus.choices, default=ClientStatus.PROSPECT)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="clients", verbose_name=_("营业部"))

    # Key information (art. 9, 12)
    name = models.CharField(_("姓名/名称"), max_length=100)
    id_type = models.CharField(_("证件类型"), max_length=20, choices=IdTypeChoices.choices)
    id_number = EncryptedTextField(_("证件号码"))
    id_number_index = models.CharField(max_length=64, editable=False)
    id_valid_until = models.DateField(_("证件有效期至"), null=True, blank=True, help_text=_("空表示长期有效"))

    # Individuals
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    gender = models.CharField(_("性别"), max_length=1, blank=True, choices=[("M", _("男")), ("F", _("女"))])
    nationality = models.CharField(_("国籍"), max_length=3, default="CHN")
    occupation = models.CharField(_("职业"), max_length=40, blank=True)
    education = models.CharField(_("学历"), max_length=40, blank=True)
    income_band = models.CharField(_("年收入"), max_length=40, blank=True)
    financial_assets = models.DecimalField(_("金融资产（元）"), max_digits=16, decimal_places=2, null=True, blank=True)
    investment_years = models.PositiveSmallIntegerField(_("投资经验（年）"), null=True, blank=True)

    # Institutions
    legal_rep_name = models.CharField(_("法定代表人"), max_length=50, blank=True)
    legal_rep_id_type = models.CharField(
        _("法定代表人证件类型"), max_length=20, choices=IdTypeChoices.choices, blank=True
    )
    legal_rep_id_number = EncryptedTextField(_("法定代表人证件号码"), blank=True)

    # Contact (ordinary data)
    phone = EncryptedTextField(_("手机号码"), blank=True)
    phone_index = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    address = EncryptedTextField(_("联系地址"), blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    # Suitability asks whether client data changed since the last assessment.
    data_changed_at = models.DateTimeField(_("资料最近变更时间"), null=True, blank=True)
    relationship_ended_on = models.DateField(_("关系终止日"), null=True, blank=True)
    # Bumped by every service that changes the client's data: a change request made on an older version is
    # refused as stale (accounts.services.change_request_create / _review).
    version = models.PositiveIntegerField(_("资料版本"), default=0, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("客户 Client")
        verbose_name_plural = _("客户 Clients")
        constraints = [
            # index first: lookups by ID number alone (search, the clients API) use this index too
            models.UniqueConstraint(fields=["id_number_index", "id_type"], name="client_unique_identity"),
        ]
        indexes = [
            models.Index(fields=["name"], name="client_name_idx"),
            # name LIKE 'prefix%' (client search) cannot use the collation-ordered index under a non-C collation
            models.Index(fields=["name"], name="client_name_prefix_idx", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.client_no} {self.name}"


class AccountStatus(models.TextChoices):
    PENDING_ACTIVATION = "pending_activation", _("待激活")
    ACTIVE = "active", _("正常")
    FROZEN = "frozen", _("冻结")
    CLOSED = "closed", _("已销户")


class HolderFields(models.Model):
    """Every account carries the holder's name, ID type and ID number (art. 9: 实名对应、信息一致)."""

    holder_name = models.CharField(_("户名"), max_length=100)
    holder_id_type = models.CharField(_("证件类型"), max_length=20, choices=IdTypeChoices.choices)
    holder_id_index = models.CharField(max_length=64, editable=False)
    status = models.CharField(
        _("状态"), max_length=20, choices=AccountStatus.choices, default=AccountStatus.PENDING_ACTIVATION
    )
    opened_at = models.DateTimeField(_("开立时间"), auto_now_add=True)
    activated_at = models.DateTimeField(_("激活时间"), null=True, blank=True)

    class Meta:
        abstract = True


class FundAccount(HolderFields):
    """资金账户: the client's fund account at the firm; securities accounts and the bank link hang off it."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="fund_accounts")
    account_no = models.CharField(_("资金账号"), max_length=20, unique=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("资金账户 Fund account")
        verbose_name_plural = _("资金账户 Fund accounts")
        permissions = [("activate_accounts", "May activate a client's accounts (after a passed callback)")]

    def __str__(self) -> str:
        return self.account_no


class Market(models.TextChoices):
    SH = "SH", _("上海证券交易所")
    SZ = "SZ", _("深圳证券交易所")


class LinkStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("已确认")
    UNCONFIRMED = "unconfirmed", _("未确认")


class SecuritiesAccount(HolderFields):
    """证券账户 on SH or SZ, a sub-account of the client's CSDC unified account (一码通)."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="securities_accounts")
    fund_account = models.ForeignKey(FundAccount, on_delete=models.PROTECT, related_name="securities_accounts")
    market = models.CharField(_("市场"), max_length=2, choices=Market.choices)
    account_no = models.CharField(_("证券账号"), max_length=20)
    ymt_no = models.CharField(_("一码通账号"), max_length=20)
    link_status = models.CharField(_("关联关系"), max_length=12, choices=LinkStatus.choices)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("证券账户 Securities account")
        verbose_name_plural = _("证券账户 Securities accounts")
        constraints = [
            models.UniqueConstraint(fields=["market", "account_no"], name="securities_account_unique_no"),
            models.UniqueConstraint(fields=["client", "market"], name="securities_account_one_per_market"),
        ]

    def __str__(self) -> str:
        return f"{self.market} {self.account_no}"


class DepositoryBinding(HolderFields):
    """三方存管: the bank account bound to the fund account."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="depository_bindings")
    fund_account = models.OneToOneField(FundAccount, on_delete=models.PROTECT, related_name="depository")
    bank_code = models.CharField(_("存管银行"), max_length=10)
    bank_account = EncryptedTextField(_("银行账号"))
    bank_reference = models.CharField(_("银行受理编号"), max_length=40)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("三方存管 Depository binding")
        verbose_name_plural = _("三方存管 Depository bindings")

    def __str__(self) -> str:
        return f"{self.bank_code} {self.bank_reference}"


from .simulators import BankSimBinding, CsdcSimAccount, GatewayFault, IdentitySimRecord  # noqa: E402, F401  (SPEC §9)


class PiiField(models.TextChoices):
    ID_NUMBER = "id_number", _("证件号码")
    PHONE = "phone", _("手机号码")
    ADDRESS = "address", _("联系地址")
    LEGAL_REP_ID_NUMBER = "legal_rep_id_number", _("法定代表人证件号码")


class PiiReveal(models.Model):
    """Who asked to see which personal data of which client, when and from where (SPEC §8). Append-only:
    refused attempts are kept too (granted=False)."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="pii_reveals")
    field = models.CharField(_("字段"), max_length=32, choices=PiiField.choices)
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    granted = models.BooleanField(_("已显示"))

    class Meta:
        verbose_name = _("个人信息查看记录 PII reveal")
        verbose_name_plural = _("个人信息查看记录 PII reveals")
        triggers = [
            pgtrigger.Protect(name="pii_reveal_no_delete", operation=pgtrigger.Delete),
            pgtrigger.Protect(name="pii_reveal_no_update", operation=pgtrigger.Update),
        ]

    def __str__(self) -> str:
        return f"{self.actor_id} {self.field} client={self.client_id} granted={self.granted}"


class IdempotencyKey(models.Model):
    """One `Idempotency-Key` a caller sent on a creating POST: the request it stood for and the response it
    got, so a retry replays the answer instead of doing the work twice (accounts/idempotency.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    in_flight = models.BooleanField(default=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key}"


# --- Client data changes (SPEC §4, 客户账户普通/重要资料修改流程) -------------------------------------------


class ChangeKind(models.TextChoices):
    ORDINARY = "ordinary", _("普通资料")
    KEY = "key", _("重要资料")


class ChangeStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待复核")
    APPROVED = "approved", _("已复核，待同步")
    REJECTED = "rejected", _("已驳回")
    SYNCING = "syncing", _("同步中")
    APPLIED = "applied", _("已生效")
    APPLIED_LOCAL = "applied_local", _("已生效（未发送中国结算）")
    BLOCKED_LINK = "blocked_link", _("关联关系未确认")
    FAILED = "failed", _("中国结算拒绝")
    MANUAL = "manual", _("待人工处理")


class SyncTarget(models.TextChoices):
    CSDC = "csdc", _("一码通（中国结算）")
    SHAREHOLDER = "shareholder", _("股东系统")
    FUND = "fund", _("基金系统")


OPEN_CHANGE_STATUSES = [
    ChangeStatus.SUBMITTED,
    ChangeStatus.APPROVED,
    ChangeStatus.SYNCING,
    ChangeStatus.BLOCKED_LINK,
    ChangeStatus.MANUAL,
]
DONE_CHANGE_STATUSES = [ChangeStatus.APPLIED, ChangeStatus.APPLIED_LOCAL]


class ChangeRequest(models.Model):
    """One request to change a client's data: entered by a clerk, reviewed by someone else, synced to CSDC
    where asked, then applied to the client and all their accounts at once.

    Old and new values are stored as encrypted JSON (they hold ID numbers, phones, addresses); only the
    names of the changed fields are in clear. The slip document and the callback task are made by the
    archive and callbacks apps, which record their ids here (accounts cannot import them)."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="change_requests")
    kind = models.CharField(_("变更类型"), max_length=10, choices=ChangeKind.choices)
    status = models.CharField(_("状态"), max_length=16, choices=ChangeStatus.choices, default=ChangeStatus.SUBMITTED)
    fields_changed = models.JSONField(_("变更字段"), default=list)
    old_values_encrypted = EncryptedTextField(_("原值（加密）"))
    new_values_encrypted = EncryptedTextField(_("新值（加密）"))
    sync_targets = models.JSONField(_("同步系统"), default=list)
    documents = models.JSONField(_("证明材料（档案文件编号）"), default=list, blank=True)
    identity_result = models.CharField(_("身份核查结果"), max_length=20, blank=True)
    identity_reference = models.CharField(_("核查流水号"), max_length=40, blank=True)
    client_version = models.PositiveIntegerField(_("提交时资料版本"))
    note = models.TextField(_("经办说明"), blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("经办人")
    )
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("复核人"),
    )  # fmt: skip
    reviewed_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    review_reason = models.TextField(_("复核意见"), blank=True)
    status_reason = models.TextField(_("状态说明"), blank=True)
    ymt_no = models.CharField(_("一码通账号"), max_length=20, blank=True)
    applied_at = models.DateTimeField(_("生效时间"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    # Set by archive (the signed slip) and callbacks (the key-data-change callback), see ADR 0009.
    slip_document_id = models.PositiveBigIntegerField(_("确认单档案编号"), null=True, blank=True)
    callback_task_id = models.PositiveBigIntegerField(_("回访任务编号"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("资料变更申请 Change request")
        verbose_name_plural = _("资料变更申请 Change requests")
        permissions = [
            ("review_changerequest", "May approve or reject client data change requests (复核岗)"),
            ("handle_changerequest", "May confirm CSDC links and resume stuck change requests"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=ChangeKind.values), name="changerequest_kind_valid"),
            models.CheckConstraint(
                condition=models.Q(status__in=ChangeStatus.values), name="changerequest_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status=ChangeStatus.SUBMITTED) | models.Q(reviewed_by__isnull=False),
                name="changerequest_reviewed_after_submitted",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="changerequest_status_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.get_status_display()}"

    @property
    def old_values(self) -> dict:
        import json

        return json.loads(self.old_values_encrypted or "{}")

    @property
    def new_values(self) -> dict:
        import json

        return json.loads(self.new_values_encrypted or "{}")

    @property
    def csdc_ref(self) -> str:
        """The request reference sent to CSDC: the same for every retry, so CSDC applies it once."""
        return f"CR{self.pk:010d}"


class ChangeEvent(models.Model):
    """Business events of a change request: decisions, each CSDC exchange, the application. Append-only."""

    request = models.ForeignKey(ChangeRequest, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=40)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["at", "pk"]
        triggers = [
            pgtrigger.Protect(name="change_event_no_delete", operation=pgtrigger.Delete),
            pgtrigger.Protect(name="change_event_no_update", operation=pgtrigger.Update),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.action} {self.from_status}->{self.to_status}"
