from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


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
