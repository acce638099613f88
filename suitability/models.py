"""Suitability data (SPEC §5): questionnaires, assessments, investor classes, products, match decisions.

Rules live in services.py; models hold data and invariants only. The one invariant enforced here as well
is that a published questionnaire (and its questions and options) never changes.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.errors import ApplicationError
from accounts.models import Client

from .errors import SuitabilityError


class Audience(models.TextChoices):
    INDIVIDUAL = "individual", _("个人 Individual")
    INSTITUTION = "institution", _("机构 Institution")


class QuestionnaireStatus(models.TextChoices):
    DRAFT = "draft", _("草稿 Draft")
    PUBLISHED = "published", _("已发布 Published")
    SUPERSEDED = "superseded", _("已被替代 Superseded")


class Dimension(models.TextChoices):
    AGE = "age", _("年龄 Age")
    INCOME = "income", _("收入 Income")
    ASSETS = "assets", _("资产 Assets")
    DEBT = "debt", _("负债 Debt")
    EXPERIENCE = "experience", _("投资经验 Experience")
    KNOWLEDGE = "knowledge", _("投资知识 Knowledge")
    GOAL = "goal", _("投资目标 Goal")
    HORIZON = "horizon", _("投资期限 Horizon")
    LOSS_TOLERANCE = "loss_tolerance", _("风险承受 Loss tolerance")
    VARIETIES = "varieties", _("投资品种 Varieties")


class Horizon(models.TextChoices):
    """Ordered: a product fits a client whose intended horizon is at least as long."""

    SHORT = "short", _("短期（1年以内） Short (under 1 year)")
    MEDIUM = "medium", _("中期（1-5年） Medium (1-5 years)")
    LONG = "long", _("长期（5年以上） Long (over 5 years)")


HORIZON_RANK = {Horizon.SHORT: 1, Horizon.MEDIUM: 2, Horizon.LONG: 3}


class Variety(models.TextChoices):
    FIXED_INCOME = "fixed_income", _("固定收益类（债券、货币基金等） Fixed income")
    EQUITY = "equity", _("权益类（股票等） Equities")
    FUND = "fund", _("公募基金 Mutual funds")
    DERIVATIVES = "derivatives", _("期货、期权等衍生品 Derivatives")
    STRUCTURED = "structured", _("资管、私募、结构化产品 Asset management and structured products")
    OTHER = "other", _("其他 Other")


class RiskLevel(models.TextChoices):
    C1 = "C1", _("C1 保守型 Conservative")
    C2 = "C2", _("C2 稳健型 Cautious")
    C3 = "C3", _("C3 平衡型 Balanced")
    C4 = "C4", _("C4 积极型 Growth")
    C5 = "C5", _("C5 激进型 Aggressive")


class ProductRisk(models.TextChoices):
    R1 = "R1", _("R1 低风险 Low")
    R2 = "R2", _("R2 中低风险 Medium-low")
    R3 = "R3", _("R3 中风险 Medium")
    R4 = "R4", _("R4 中高风险 Medium-high")
    R5 = "R5", _("R5 高风险 High")


class Questionnaire(models.Model):
    code = models.CharField(_("问卷代码"), max_length=40)
    version = models.PositiveIntegerField(_("版本"))
    audience = models.CharField(_("适用对象"), max_length=12, choices=Audience.choices)
    title_zh = models.CharField(_("标题"), max_length=200)
    title_en = models.CharField(_("英文标题"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=12, choices=QuestionnaireStatus.choices, default=QuestionnaireStatus.DRAFT
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    validity_months = models.PositiveSmallIntegerField(_("评估有效期（月）"), default=24)
    # Ascending [{"level": "C1", "max": 19}, …, {"level": "C5", "max": 100}]: part of the version.
    score_bands = models.JSONField(_("分数区间"))
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["audience", "code", "-version"]
        verbose_name = _("风险测评问卷 Questionnaire")
        verbose_name_plural = _("风险测评问卷 Questionnaires")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="questionnaire_unique_version"),
            models.UniqueConstraint(
                fields=["audience"],
                condition=models.Q(status="published"),
                name="questionnaire_one_published_per_audience",
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(published_at__isnull=False),
                name="questionnaire_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version} ({self.status})"

    def save(self, *args, **kwargs) -> None:
        # Invariant: once published, the only change ever allowed is published -> superseded.
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values().first()
            if stored is not None and stored["status"] != QuestionnaireStatus.DRAFT:
                mine = {f.attname: getattr(self, f.attname) for f in self._meta.concrete_fields}
                changed = {k for k, v in mine.items() if stored.get(k) != v}
                superseding = (
                    stored["status"] == QuestionnaireStatus.PUBLISHED and self.status == QuestionnaireStatus.SUPERSEDED
                )
                if changed and not (changed == {"status"} and superseding):
                    self.refuse_change()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if type(self).objects.filter(pk=self.pk).exclude(status=QuestionnaireStatus.DRAFT).exists():
            self.refuse_change()
        return super().delete(*args, **kwargs)

    @property
    def is_draft(self) -> bool:
        return self.status == QuestionnaireStatus.DRAFT

    def refuse_change(self) -> None:
        raise ApplicationError(SuitabilityError.QUESTIONNAIRE_PUBLISHED, code=self.code, version=self.version)


def _questionnaire_status(questionnaire_id) -> str | None:
    return Questionnaire.objects.filter(pk=questionnaire_id).values_list("status", flat=True).first()


class Question(models.Model):
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="questions")
    order = models.PositiveSmallIntegerField(_("序号"))
    code = models.CharField(_("题目代码"), max_length=40)
    text_zh = models.CharField(_("题目"), max_length=300)
    text_en = models.CharField(_("英文题目"), max_length=300)
    dimension = models.CharField(_("维度"), max_length=20, choices=Dimension.choices)
    multi_select = models.BooleanField(_("多选"), default=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["questionnaire", "order"]
        verbose_name = _("问卷题目 Question")
        verbose_name_plural = _("问卷题目 Questions")
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "code"], name="question_unique_code"),
            models.UniqueConstraint(fields=["questionnaire", "order"], name="question_unique_order"),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.text_zh}"

    def save(self, *args, **kwargs) -> None:
        self._guard()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._guard()
        return super().delete(*args, **kwargs)

    def _guard(self) -> None:
        if _questionnaire_status(self.questionnaire_id) not in (None, QuestionnaireStatus.DRAFT):
            self.questionnaire.refuse_change()


class Option(models.Model):
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="options")
    order = models.PositiveSmallIntegerField(_("序号"))
    code = models.CharField(_("选项代码"), max_length=10)
    text_zh = models.CharField(_("选项"), max_length=300)
    text_en = models.CharField(_("英文选项"), max_length=300)
    score = models.PositiveSmallIntegerField(_("分值"), default=0)
    # e.g. "cannot bear any loss": the client is in the lowest category (风险承受能力最低类别).
    lowest_category = models.BooleanField(_("最低风险承受类别"), default=False)
    horizon = models.CharField(_("投资期限"), max_length=10, choices=Horizon.choices, blank=True)
    variety = models.CharField(_("投资品种"), max_length=20, choices=Variety.choices, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["question", "order"]
        verbose_name = _("选项 Option")
        verbose_name_plural = _("选项 Options")
        constraints = [models.UniqueConstraint(fields=["question", "code"], name="option_unique_code")]

    def __str__(self) -> str:
        return f"{self.code}. {self.text_zh} ({self.score})"

    def save(self, *args, **kwargs) -> None:
        self._guard()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._guard()
        return super().delete(*args, **kwargs)

    def _guard(self) -> None:
        status = Question.objects.filter(pk=self.question_id).values_list("questionnaire__status", flat=True).first()
        if status not in (None, QuestionnaireStatus.DRAFT):
            self.question.questionnaire.refuse_change()


class Assessment(models.Model):
    """One completed risk-tolerance questionnaire of a client, and its result."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="assessments")
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="assessments")
    questionnaire_code = models.CharField(max_length=40)
    questionnaire_version = models.PositiveIntegerField()
    answers = models.JSONField(_("答案"))
    total_score = models.PositiveSmallIntegerField(_("总分"))
    score_level = models.CharField(_("按分数的等级"), max_length=2, choices=RiskLevel.choices)
    risk_level = models.CharField(_("风险承受能力等级"), max_length=2, choices=RiskLevel.choices)
    lowest_category = models.BooleanField(_("最低风险承受类别"), default=False)
    lowest_category_reasons = models.JSONField(_("最低类别原因"), default=list)
    horizon = models.CharField(_("投资期限"), max_length=10, choices=Horizon.choices)
    varieties = models.JSONField(_("投资品种"), default=list)
    inputs = models.JSONField(_("评估时客户信息快照"))
    assessed_at = models.DateTimeField(_("测评时间"))
    valid_until = models.DateField(_("有效期至"))
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-assessed_at", "-id"]
        verbose_name = _("风险测评 Assessment")
        verbose_name_plural = _("风险测评 Assessments")
        indexes = [models.Index(fields=["client", "-assessed_at", "-id"], name="assessment_client_latest")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(lowest_category=True) | models.Q(risk_level="C1"),
                name="assessment_lowest_category_is_c1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.risk_level} {self.assessed_at:%Y-%m-%d}"


class InvestorClass(models.TextChoices):
    ORDINARY = "ordinary", _("普通投资者 Ordinary")
    PROFESSIONAL_A = "professional_a", _("专业投资者A Professional A")
    PROFESSIONAL_B = "professional_b", _("专业投资者B Professional B")
    PROFESSIONAL_C = "professional_c", _("专业投资者C Professional C")


class InvestorClassification(models.Model):
    """A client's investor class over time; exactly one row per client is current."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="classifications")
    investor_class = models.CharField(_("投资者类别"), max_length=20, choices=InvestorClass.choices)
    is_current = models.BooleanField(_("当前有效"), default=True)
    basis = models.TextField(_("依据与证明材料"), blank=True)
    effective_at = models.DateTimeField(_("生效时间"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-effective_at", "-id"]
        verbose_name = _("投资者分类 Investor classification")
        verbose_name_plural = _("投资者分类 Investor classifications")
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=models.Q(is_current=True), name="classification_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.investor_class}"


class Product(models.Model):
    code = models.CharField(_("产品代码"), max_length=32, unique=True)
    name = models.CharField(_("产品名称"), max_length=200)
    risk = models.CharField(_("风险等级"), max_length=2, choices=ProductRisk.choices)
    horizon = models.CharField(_("投资期限"), max_length=10, choices=Horizon.choices)
    variety = models.CharField(_("投资品种"), max_length=20, choices=Variety.choices)
    active = models.BooleanField(_("在售"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("产品 Product")
        verbose_name_plural = _("产品 Products")

    def __str__(self) -> str:
        return f"{self.code} {self.name} ({self.risk})"


class MatchOutcome(models.TextChoices):
    MATCH = "match", _("匹配 Match")
    MISMATCH = "mismatch", _("不匹配 Mismatch")
    FORBIDDEN = "forbidden", _("禁止 Forbidden")
    REASSESSMENT_REQUIRED = "reassessment_required", _("需重新测评 Reassessment required")


class MatchDecision(models.Model):
    """A stored suitability decision: insert-only, replayable from `inputs` (see docs/decisions/0003)."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="match_decisions")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    product_snapshot = models.JSONField()
    inputs = models.JSONField()
    outcome = models.CharField(max_length=24, choices=MatchOutcome.choices)
    dimensions = models.JSONField(default=list)
    reasons = models.JSONField(default=list)
    warnings = models.JSONField(default=list)
    requires_warning = models.BooleanField(default=False)
    enhanced_care = models.BooleanField(default=False)
    rule_version = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("适当性匹配记录 Match decision")
        verbose_name_plural = _("适当性匹配记录 Match decisions")
        permissions = [("match_product", "May run the suitability match check")]
        indexes = [models.Index(fields=["client", "-created_at"], name="matchdecision_client_recent")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.product_snapshot.get('code', '')} {self.outcome}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ApplicationError(SuitabilityError.DECISION_IMMUTABLE)
        super().save(*args, **kwargs)


class ConfirmationChannel(models.TextChoices):
    COUNTER = "counter", _("柜台 Counter")
    ONLINE = "online", _("网上 Online")
    PHONE = "phone", _("电话（录音） Recorded phone")


class MismatchConfirmation(models.Model):
    """The client's confirmation of the special written warning, for a mismatch sale that goes ahead."""

    decision = models.OneToOneField(MatchDecision, on_delete=models.PROTECT, related_name="confirmation")
    warnings_shown = models.JSONField(_("出具的风险警示"))
    channel = models.CharField(_("确认渠道"), max_length=10, choices=ConfirmationChannel.choices)
    confirmed_at = models.DateTimeField(_("确认时间"))
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("不匹配风险警示确认 Mismatch confirmation")
        verbose_name_plural = _("不匹配风险警示确认 Mismatch confirmations")

    def __str__(self) -> str:
        return f"{self.decision_id} {self.channel} {self.confirmed_at:%Y-%m-%d %H:%M}"


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("待复核 Pending")
    APPROVED = "approved", _("已通过 Approved")
    REJECTED = "rejected", _("已驳回 Rejected")


class ClassificationRequest(models.Model):
    """An ordinary investor asking to become professional (C), or a professional asking to be ordinary."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="classification_requests")
    from_class = models.CharField(_("原类别"), max_length=20, choices=InvestorClass.choices)
    to_class = models.CharField(_("申请类别"), max_length=20, choices=InvestorClass.choices)
    financial_assets = models.DecimalField(_("金融资产（元）"), max_digits=16, decimal_places=2, null=True, blank=True)
    average_income = models.DecimalField(
        _("近三年年均收入（元）"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    net_assets = models.DecimalField(_("净资产（元）"), max_digits=16, decimal_places=2, null=True, blank=True)
    experience_years = models.PositiveSmallIntegerField(_("投资经验（年）"), null=True, blank=True)
    evidence = models.TextField(_("证明材料"), blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("申请时间"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    review_note = models.TextField(_("复核意见"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("投资者类别转换申请 Classification request")
        verbose_name_plural = _("投资者类别转换申请 Classification requests")
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=models.Q(status="pending"), name="classification_request_one_pending"
            ),
            models.CheckConstraint(
                condition=models.Q(status="pending") | models.Q(reviewed_by__isnull=False, reviewed_at__isnull=False),
                name="classification_request_reviewed_has_reviewer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.from_class}→{self.to_class} ({self.status})"
