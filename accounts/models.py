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
