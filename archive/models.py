"""The client file (客户档案, SPEC §8): documents written once, and the log of who read them.

Immutability is enforced by PostgreSQL triggers (django-pgtrigger), not only by the absence of code
that changes rows: see docs/decisions/0006-archive-immutability.md.
"""

import pgtrigger
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    ID_FRONT = "id_front", _("身份证件正面")
    ID_BACK = "id_back", _("身份证件反面")
    PHOTO = "photo", _("客户照片")
    AGENT_AUTHORISATION = "agent_authorisation", _("代理人授权书")
    NOTARISED_POA = "notarised_poa", _("公证委托书")
    BUSINESS_LICENCE = "business_licence", _("营业执照")
    RISK_DISCLOSURE_SIGNED = "risk_disclosure_signed", _("已签署风险揭示书")
    AGREEMENT_SIGNED = "agreement_signed", _("已签署协议")
    QUESTIONNAIRE_RESULT = "questionnaire_result", _("风险测评结果")
    CALLBACK_RECORD = "callback_record", _("回访记录")
    CHANGE_SLIP = "change_slip", _("资料修改确认单")
    CLASSIFICATION_EVIDENCE = "classification_evidence", _("投资者分类证明材料")
    SUITABILITY_WARNING = "suitability_warning", _("特别风险警示书")
    DOSSIER_SUMMARY = "dossier_summary", _("档案汇总")
    # Completeness checklist (archive/checklist.py)
    AGENT_ID = "agent_id", _("代理人身份证件")
    LEGAL_REP_ID = "legal_rep_id", _("法定代表人身份证件")
    WITNESS_RECORD = "witness_record", _("见证记录")
    DIGITAL_CERTIFICATE = "digital_certificate", _("数字证书记录")
    # Client data changes (SPEC §4): the signed form when the change is sent to CSDC
    ACCOUNT_APPLICATION_SIGNED = "account_application_signed", _("已签署证券账户业务申请表")
    OTHER = "other", _("其他")


class DocumentSource(models.TextChoices):
    UPLOADED = "uploaded", _("上传")
    GENERATED = "generated", _("系统生成")


# Rows that are written once: any UPDATE/DELETE is refused by the database.
_NO_DELETE = pgtrigger.Protect(name="archive_no_delete", operation=pgtrigger.Delete)
_NO_UPDATE = pgtrigger.Protect(name="archive_no_update", operation=pgtrigger.Update)


class Document(models.Model):
    """One file in a client's file. Only `legal_hold` and `retention_until` may ever change."""

    client = models.ForeignKey(
        "accounts.Client", on_delete=models.PROTECT, related_name="documents", verbose_name=_("客户")
    )
    # Optional link to the business object the document belongs to (application, change request, callback).
    related_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    related_id = models.PositiveBigIntegerField(null=True, blank=True)
    related = GenericForeignKey("related_type", "related_id")

    kind = models.CharField(_("类型"), max_length=32, choices=DocumentKind.choices)
    source = models.CharField(_("来源"), max_length=12, choices=DocumentSource.choices)
    stored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("存档人"),
        help_text=_("空表示系统"),
    )
    stored_at = models.DateTimeField(_("存档时间"), auto_now_add=True)

    storage_name = models.CharField(max_length=255, unique=True, editable=False)
    original_filename = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(_("文件类型"), max_length=64)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField("SHA-256", max_length=64)

    # Generated documents keep what they were made from so they can be rendered again.
    render_template = models.CharField(max_length=200, blank=True)
    render_data = models.JSONField(null=True, blank=True)

    retention_until = models.DateField(
        _("保管期限至"), null=True, blank=True, help_text=_("空表示客户关系存续中：关系终止后至少保管 20 年")
    )
    legal_hold = models.BooleanField(_("司法/监管保全"), default=False)

    class Meta:
        verbose_name = _("档案文件 Document")
        verbose_name_plural = _("档案文件 Documents")
        indexes = [models.Index(fields=["client", "kind"], name="document_client_kind_idx")]
        permissions = [("set_legal_hold", _("可设置或解除档案保全"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(related_type__isnull=True, related_id__isnull=True)
                | models.Q(related_type__isnull=False, related_id__isnull=False),
                name="document_related_both_or_neither",
            ),
            models.CheckConstraint(
                condition=models.Q(source="uploaded") | ~models.Q(render_template=""),
                name="document_generated_has_template",
            ),
        ]
        triggers = [
            _NO_DELETE,
            pgtrigger.ReadOnly(name="archive_document_read_only", exclude=["legal_hold", "retention_until"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_filename} ({self.sha256[:12]})"


class LegalHoldChange(models.Model):
    """Append-only log of legal hold decisions on a document (who, when, why)."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="legal_hold_changes")
    held = models.BooleanField()
    reason = models.TextField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        triggers = [_NO_DELETE, _NO_UPDATE]

    def __str__(self) -> str:
        return f"{self.document_id} hold={self.held}"


class AccessAction(models.TextChoices):
    VIEW = "view", _("查看")
    DOWNLOAD = "download", _("下载")
    THUMBNAIL = "thumbnail", _("缩略图")


class DocumentAccess(models.Model):
    """Who read which document of a client's file, when and from where (SPEC §8). Append-only."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="accesses")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=12, choices=AccessAction.choices)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("档案查阅记录 Document access")
        verbose_name_plural = _("档案查阅记录 Document accesses")
        triggers = [_NO_DELETE, _NO_UPDATE]

    def __str__(self) -> str:
        return f"{self.actor_id} {self.action} {self.document_id} {self.at:%Y-%m-%d %H:%M}"


class ChainLink(models.Model):
    """Tamper evidence (SPEC §8): one link per history row (every simple-history table) and per Document.

    `row_hash` is SHA-256 over the row's canonical content as read back from the database; `link_hash` is
    SHA-256 over the previous link's hash and this link's fields, so altering, removing or re-ordering a
    row or a link breaks the chain from there on. Links are appended after the row's commit by one
    sequencer under one lock (`services.chain_sequence`). See docs/decisions/0007-audit-hash-chain.md.
    """

    table = models.CharField(_("数据表"), max_length=100, help_text=_("app_label.ModelName"))
    row_pk = models.CharField(_("行主键"), max_length=64)
    row_hash = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    link_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("防篡改哈希链 Chain link")
        verbose_name_plural = _("防篡改哈希链 Chain links")
        constraints = [models.UniqueConstraint(fields=["table", "row_pk"], name="chainlink_one_per_row")]
        permissions = [("view_audit", _("可查看审计记录（合规）"))]
        triggers = [_NO_DELETE, _NO_UPDATE]

    def __str__(self) -> str:
        return f"#{self.pk} {self.table}:{self.row_pk} {self.link_hash[:12]}"


class ChainPending(models.Model):
    """A committed history row or document that has no ChainLink yet (docs/decisions/0007).

    Inserted in the same transaction as the row (no lock), so a rolled-back row leaves no entry and a
    committed one is never lost; `services.chain_sequence` appends the links after commit, in id order,
    and deletes the entries in the same transaction. No foreign keys, no history: the write path stays
    one cheap INSERT.
    """

    id = models.BigAutoField(primary_key=True)
    table = models.CharField(_("数据表"), max_length=100, help_text=_("app_label.ModelName"))
    row_pk = models.CharField(_("行主键"), max_length=64)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("待上链记录 Chain pending")
        verbose_name_plural = _("待上链记录 Chain pending")
        triggers = [_NO_UPDATE]

    def __str__(self) -> str:
        return f"pending #{self.pk} {self.table}:{self.row_pk}"


class DossierStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class DossierExport(models.Model):
    """One ZIP export of a client's whole file for compliance (documents, manifest, summary PDF, history)."""

    client = models.ForeignKey("accounts.Client", on_delete=models.PROTECT, related_name="+", verbose_name=_("客户"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(_("状态"), max_length=10, choices=DossierStatus.choices, default=DossierStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度 %"), default=0)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Set once when done; the file is written once under a non-guessable name.
    storage_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("档案导出 Dossier export")
        verbose_name_plural = _("档案导出 Dossier exports")
        permissions = [("export_dossier", _("可导出并下载客户档案包（合规）"))]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="dossier_progress_max_100"),
            models.CheckConstraint(
                condition=~models.Q(status="done") | (~models.Q(storage_name="") & ~models.Q(sha256="")),
                name="dossier_done_has_file",
            ),
        ]
        triggers = [_NO_DELETE]

    def __str__(self) -> str:
        return f"dossier {self.pk} client={self.client_id} {self.status}"


class DossierEventAction(models.TextChoices):
    REQUEST = "request", _("申请导出")
    DOWNLOAD = "download", _("下载")


class DossierExportEvent(models.Model):
    """Who requested or downloaded a dossier export, when and from where. Append-only."""

    export = models.ForeignKey(DossierExport, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=10, choices=DossierEventAction.choices)
    at = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        triggers = [_NO_DELETE, _NO_UPDATE]

    def __str__(self) -> str:
        return f"{self.actor_id} {self.action} dossier {self.export_id}"
