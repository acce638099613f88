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

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("客户 Client")
        verbose_name_plural = _("客户 Clients")
        constraints = [
            models.UniqueConstraint(fields=["id_type", "id_number_index"], name="client_unique_identity"),
        ]
        indexes = [models.Index(fields=["name"], name="client_name_idx")]

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
