"""Every suitability rule (SPEC §5) lives here: questionnaires, assessments, classes, products, matching.

Matching is split in two: `_match_inputs` gathers everything a decision depends on into one JSON-able
dict, and a pure evaluator keyed by rule version turns that dict into the outcome. The dict is stored with
the decision, so `match_replay` gives the same outcome years later (docs/decisions/0003).
"""

import datetime
from calendar import monthrange
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import get_language

from accounts.access import require_different_person, require_perm
from accounts.audit import audited_save
from accounts.errors import ApplicationError
from accounts.models import Client, ClientKind
from accounts.prepared import PreparedInsert

from . import selectors
from .errors import SuitabilityError
from .models import (
    HORIZON_RANK,
    Assessment,
    Audience,
    ClassificationRequest,
    Dimension,
    Horizon,
    InvestorClass,
    InvestorClassification,
    MatchDecision,
    MatchOutcome,
    MismatchConfirmation,
    Option,
    Product,
    ProductRisk,
    Question,
    Questionnaire,
    QuestionnaireStatus,
    RequestStatus,
    RiskLevel,
    Variety,
)

RULE_VERSION = "suitability-rules-2026.1"
ADULT_AGE = 18
LEVELS = [c.value for c in RiskLevel]
RISKS = [r.value for r in ProductRisk]


def _tr(zh: str, en: str) -> str:
    return en if (get_language() or "").startswith("en") else zh


def _reason(code: str, zh: str, en: str, **extra) -> dict:
    return {"code": code, "zh": zh, "en": en, **extra}


def _zh_label(label) -> str:
    """The Chinese part of a bilingual choice label such as "固定收益类（债券、货币基金等） Fixed income"."""
    with translation.override("zh-hans"):  # the Chinese text never depends on the reader's language
        return str(label).split(" ")[0]


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, monthrange(year, month)[1]))


def level_for_score(score: int, bands: list[dict]) -> str:
    for band in bands:
        if score <= band["max"]:
            return band["level"]
    return bands[-1]["level"]


# --- Questionnaires -------------------------------------------------------------------------------------


def questionnaire_draft_create(
    *,
    actor,
    code: str,
    version: int,
    audience: str,
    title_zh: str,
    title_en: str,
    score_bands: list[dict],
    questions: list[dict],
    validity_months: int = 24,
) -> Questionnaire:
    """Create a draft version with its questions (dicts with an `options` list of dicts)."""
    require_perm(actor, "suitability.add_questionnaire")
    with transaction.atomic():
        questionnaire = Questionnaire(
            code=code,
            version=version,
            audience=audience,
            title_zh=title_zh,
            title_en=title_en,
            score_bands=score_bands,
            validity_months=validity_months,
        )
        audited_save(questionnaire, actor=actor, reason="draft created")
        for order, q in enumerate(questions, start=1):
            options = q.pop("options")
            question = Question(questionnaire=questionnaire, order=q.pop("order", order), **q)
            audited_save(question, actor=actor, reason="draft created")
            for o_order, o in enumerate(options, start=1):
                audited_save(
                    Option(question=question, order=o.pop("order", o_order), **o), actor=actor, reason="draft created"
                )
    return questionnaire


def question_update(*, actor, question_id: int, **changes) -> Question:
    """Change a question of a draft; a published or superseded version is refused."""
    require_perm(actor, "suitability.change_questionnaire")
    with transaction.atomic():
        question = Question.objects.select_related("questionnaire").get(pk=question_id)
        questionnaire = Questionnaire.objects.select_for_update().get(pk=question.questionnaire_id)
        if not questionnaire.is_draft:
            questionnaire.refuse_change()
        for name, value in changes.items():
            setattr(question, name, value)
        audited_save(question, actor=actor, reason="draft edited")
    return question


def questionnaire_publish(*, actor, questionnaire_id: int) -> Questionnaire:
    """Publish a draft; the version it replaces for the same audience becomes superseded."""
    require_perm(actor, "suitability.change_questionnaire")
    with transaction.atomic():
        questionnaire = Questionnaire.objects.select_for_update().filter(pk=questionnaire_id).first()
        if questionnaire is None:
            raise ApplicationError(SuitabilityError.QUESTIONNAIRE_NOT_FOUND)
        if not questionnaire.is_draft:
            raise ApplicationError(SuitabilityError.QUESTIONNAIRE_NOT_DRAFT)
        for old in Questionnaire.objects.select_for_update().filter(
            audience=questionnaire.audience, status=QuestionnaireStatus.PUBLISHED
        ):
            old.status = QuestionnaireStatus.SUPERSEDED
            audited_save(old, actor=actor, reason=f"superseded by {questionnaire.code} v{questionnaire.version}")
        questionnaire.status = QuestionnaireStatus.PUBLISHED
        questionnaire.published_at = timezone.now()
        audited_save(questionnaire, actor=actor, reason="published")
    return questionnaire


# --- Assessment -----------------------------------------------------------------------------------------


def _answers_check(questions: list[Question], answers: dict) -> tuple[dict[str, list[Option]], dict]:
    chosen: dict[str, list[Option]] = {}
    errors: dict[str, list[str]] = {}
    known = {q.code for q in questions}
    for code in answers:
        if code not in known:
            errors[str(code)] = [_tr("该题目不属于此问卷。", "This question is not part of this questionnaire.")]
    for q in questions:
        raw = answers.get(q.code)
        if raw in (None, "", []):
            errors[q.code] = [_tr("此题未作答。", "This question is not answered.")]
            continue
        if isinstance(raw, list | tuple):
            if not q.multi_select and len(raw) != 1:
                errors[q.code] = [_tr("此题为单选题，只能选择一个选项。", "This question takes exactly one answer.")]
                continue
            codes = [str(c) for c in raw]
        else:
            codes = [str(raw)]
        if len(set(codes)) != len(codes):
            errors[q.code] = [_tr("选项重复。", "An option is chosen twice.")]
            continue
        by_code = {o.code: o for o in q.options.all()}
        unknown = [c for c in codes if c not in by_code]
        if unknown:
            errors[q.code] = [
                _tr(
                    f"选项 {', '.join(unknown)} 不属于此题。",
                    f"Option {', '.join(unknown)} is not an option of this question.",
                )
            ]
            continue
        chosen[q.code] = [by_code[c] for c in codes]
    return chosen, errors


def assessment_submit(*, actor, client: Client, questionnaire_id: int, answers: dict) -> Assessment:
    """Score a client's answers to the current questionnaire and store the result (SPEC §5)."""
    require_perm(actor, "suitability.add_assessment")
    with transaction.atomic():
        client = Client.objects.select_for_update(no_key=True).get(pk=client.pk)
        # Locked so a concurrent publish cannot supersede the version while it is being answered.
        questionnaire = Questionnaire.objects.select_for_update().filter(pk=questionnaire_id).first()
        if questionnaire is None:
            raise ApplicationError(
                SuitabilityError.QUESTIONNAIRE_NOT_FOUND, fields={"questionnaire_id": [str(questionnaire_id)]}
            )
        if questionnaire.status != QuestionnaireStatus.PUBLISHED:
            raise ApplicationError(
                SuitabilityError.QUESTIONNAIRE_NOT_CURRENT,
                fields={"questionnaire_id": [str(questionnaire_id)]},
                code=questionnaire.code,
                version=questionnaire.version,
                status=questionnaire.status,
            )
        wanted = Audience.INSTITUTION if client.kind == ClientKind.INSTITUTION else Audience.INDIVIDUAL
        if questionnaire.audience != wanted:
            raise ApplicationError(
                SuitabilityError.QUESTIONNAIRE_WRONG_AUDIENCE,
                fields={"questionnaire_id": [str(questionnaire_id)]},
                audience=questionnaire.audience,
            )
        questions = list(questionnaire.questions.order_by("order").prefetch_related("options"))
        chosen, errors = _answers_check(questions, answers if isinstance(answers, dict) else {})
        if errors:
            raise ApplicationError(SuitabilityError.ANSWERS_INVALID, fields=errors)

        now = timezone.now()
        today = timezone.localdate(now)
        total = sum(max(o.score for o in chosen[q.code]) for q in questions)  # multi-select counts its best option
        score_level = level_for_score(total, questionnaire.score_bands)
        reasons = []
        age = age_on(client.birth_date, today) if client.birth_date else None
        if age is not None and age < ADULT_AGE:
            reasons.append(
                _reason(
                    "minor",
                    f"客户未满{ADULT_AGE}周岁，不具有完全民事行为能力。",
                    f"The client is under {ADULT_AGE} and has no full civil capacity.",
                )
            )
        for q in questions:
            for o in chosen[q.code]:
                if o.lowest_category:
                    reasons.append(
                        _reason(
                            "answer",
                            f"第{q.order}题选择了“{o.text_zh}”。",
                            f"Question {q.order}: answered “{o.text_en}”.",
                            question=q.code,
                            option=o.code,
                        )
                    )
        horizons = [
            o.horizon for q in questions if q.dimension == Dimension.HORIZON for o in chosen[q.code] if o.horizon
        ]
        # Several horizon answers: the shortest one binds.
        horizon = min(horizons, key=lambda h: HORIZON_RANK[h]) if horizons else Horizon.SHORT
        varieties = sorted({o.variety for q in questions for o in chosen[q.code] if o.variety})
        assessment = Assessment(
            client=client,
            questionnaire=questionnaire,
            questionnaire_code=questionnaire.code,
            questionnaire_version=questionnaire.version,
            answers={q.code: [o.code for o in chosen[q.code]] for q in questions},
            total_score=total,
            score_level=score_level,
            risk_level=RiskLevel.C1 if reasons else score_level,
            lowest_category=bool(reasons),
            lowest_category_reasons=reasons,
            horizon=horizon,
            varieties=varieties,
            inputs={
                "client": {
                    "id": client.pk,
                    "kind": client.kind,
                    "birth_date": client.birth_date.isoformat() if client.birth_date else None,
                    "age": age,
                    "data_changed_at": client.data_changed_at.isoformat() if client.data_changed_at else None,
                },
                "questionnaire": {
                    "id": questionnaire.pk,
                    "code": questionnaire.code,
                    "version": questionnaire.version,
                    "score_bands": questionnaire.score_bands,
                    "validity_months": questionnaire.validity_months,
                },
                "assessed_on": today.isoformat(),
            },
            assessed_at=now,
            valid_until=add_months(today, questionnaire.validity_months),
            assessed_by=actor if actor is not None and actor.is_authenticated else None,
        )
        audited_save(assessment, actor=actor, reason=f"assessment {questionnaire.code} v{questionnaire.version}")
        from .tasks import assessment_result_generate_task

        # The result PDF is rendered after commit so the clerk does not wait for it.
        transaction.on_commit(lambda: assessment_result_generate_task.delay(assessment.pk))
    return assessment


# --- Investor classes and products ----------------------------------------------------------------------


def classification_set(*, actor, client: Client, investor_class: str, basis: str = "") -> InvestorClassification:
    """Make `investor_class` the client's current class (e.g. A/B established at opening); history is kept."""
    require_perm(actor, "suitability.add_investorclassification")
    with transaction.atomic():
        client = Client.objects.select_for_update(no_key=True).get(pk=client.pk)
        return _classification_apply(actor=actor, client=client, investor_class=investor_class, basis=basis)


def _classification_apply(*, actor, client: Client, investor_class: str, basis: str) -> InvestorClassification:
    for old in InvestorClassification.objects.select_for_update().filter(client=client, is_current=True):
        old.is_current = False
        audited_save(old, actor=actor, reason=f"replaced by {investor_class}")
    row = InvestorClassification(
        client=client,
        investor_class=InvestorClass(investor_class),
        basis=basis,
        effective_at=timezone.now(),
        decided_by=actor,
    )
    audited_save(row, actor=actor, reason="classification set")
    return row


def product_create(
    *, actor, code: str, name: str, risk: str, horizon: str, variety: str, active: bool = True
) -> Product:
    require_perm(actor, "suitability.add_product")
    product = Product(code=code.strip(), name=name, risk=risk, horizon=horizon, variety=variety, active=active)
    try:
        with transaction.atomic():
            audited_save(product, actor=actor, reason="product created")
    except IntegrityError:
        raise ApplicationError(SuitabilityError.PRODUCT_CODE_TAKEN, fields={"code": [code]}, code=code) from None
    return product


# --- Matching -------------------------------------------------------------------------------------------

_HORIZON_ZH = {"short": "短期（1年以内）", "medium": "中期（1-5年）", "long": "长期（5年以上）"}
_HORIZON_EN = {"short": "short (under 1 year)", "medium": "medium (1-5 years)", "long": "long (over 5 years)"}


@dataclass
class Evaluation:
    outcome: str
    dimensions: list[str] = field(default_factory=list)
    reasons: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    requires_warning: bool = False
    enhanced_care: bool = False


def _evaluate_2026_1(inputs: dict) -> Evaluation:
    """Rules of suitability-rules-2026.1. Pure: reads only `inputs`, so a replay gives the same result."""
    today = datetime.date.fromisoformat(inputs["today"])
    client, product, assessment = inputs["client"], inputs["product"], inputs["assessment"]
    care_age = inputs["settings"]["enhanced_care_age"]
    age = age_on(datetime.date.fromisoformat(client["birth_date"]), today) if client["birth_date"] else None
    enhanced = age is not None and age >= care_age

    if inputs["investor_class"] != InvestorClass.ORDINARY:
        return Evaluation(
            MatchOutcome.MATCH,
            reasons=[
                _reason(
                    "professional",
                    "专业投资者可购买R1至R5级产品。",
                    "A professional investor may buy products of R1 to R5.",
                )
            ],
            enhanced_care=enhanced,
        )

    if assessment is None:
        return Evaluation(
            MatchOutcome.REASSESSMENT_REQUIRED,
            reasons=[_reason("no_assessment", "客户尚未进行风险承受能力评估。", "The client has no risk assessment.")],
            enhanced_care=enhanced,
        )
    stale = []
    if datetime.date.fromisoformat(assessment["valid_until"]) < today:
        stale.append(
            _reason(
                "assessment_expired",
                f"风险测评已于{assessment['valid_until']}到期。",
                f"The risk assessment expired on {assessment['valid_until']}.",
            )
        )
    changed = client["data_changed_at"]
    if changed and datetime.datetime.fromisoformat(changed) > datetime.datetime.fromisoformat(
        assessment["assessed_at"]
    ):
        stale.append(
            _reason(
                "data_changed",
                "客户资料在最近一次风险测评后发生变更。",
                "The client's data changed after the last risk assessment.",
            )
        )
    if stale:
        return Evaluation(MatchOutcome.REASSESSMENT_REQUIRED, reasons=stale, enhanced_care=enhanced)

    if assessment["lowest_category"] and RISKS.index(product["risk"]) > 0:
        return Evaluation(
            MatchOutcome.FORBIDDEN,
            dimensions=["risk"],
            reasons=[
                _reason(
                    "lowest_category",
                    "客户属于风险承受能力最低类别，只能购买R1级产品；即使客户主动要求，也不得销售。",
                    "The client is in the lowest risk-tolerance category and may only buy R1 products, "
                    "even if the client insists.",
                )
            ],
            enhanced_care=enhanced,
        )

    dimensions, reasons = [], []
    level, risk = assessment["risk_level"], product["risk"]
    if RISKS.index(risk) > LEVELS.index(level):
        dimensions.append("risk")
        reasons.append(
            _reason(
                "risk",
                f"产品风险等级{risk}高于客户风险承受能力等级{level}。",
                f"Product risk {risk} is above the client's level {level}.",
            )
        )
    if HORIZON_RANK[product["horizon"]] > HORIZON_RANK[assessment["horizon"]]:
        dimensions.append("horizon")
        reasons.append(
            _reason(
                "horizon",
                f"产品期限{_HORIZON_ZH[product['horizon']]}长于客户投资期限{_HORIZON_ZH[assessment['horizon']]}。",
                f"Product horizon {_HORIZON_EN[product['horizon']]} is longer than the client's "
                f"{_HORIZON_EN[assessment['horizon']]}.",
            )
        )
    if product["variety"] not in assessment["varieties"]:
        dimensions.append("variety")
        reasons.append(
            _reason(
                "variety",
                f"产品品种（{_zh_label(Variety(product['variety']).label)}）不在客户意向投资品种内。",
                f"Product variety {product['variety']} is not among the varieties the client wants.",
            )
        )
    if not dimensions:
        return Evaluation(
            MatchOutcome.MATCH,
            reasons=[
                _reason("match", "产品风险等级、期限、品种均与客户匹配。", "Risk, horizon and variety all match.")
            ],
            enhanced_care=enhanced,
        )
    warnings = [
        _reason(
            "special_warning",
            "须向客户出具特别风险警示书，经客户书面确认后方可销售。",
            "A special written risk warning must be given and confirmed by the client before the sale.",
        )
    ]
    if enhanced:
        warnings.append(
            _reason(
                "enhanced_care",
                f"客户已满{care_age}周岁，须额外提示风险，确认客户充分理解产品风险。",
                f"The client is {care_age} or older: give an extra warning and make sure the risk is understood.",
            )
        )
    return Evaluation(
        MatchOutcome.MISMATCH, dimensions, reasons, warnings, requires_warning=True, enhanced_care=enhanced
    )


RULES = {RULE_VERSION: _evaluate_2026_1}


def _product_attrs_check(attrs: dict) -> dict:
    errors = {}
    for name, choices in (("risk", ProductRisk), ("horizon", Horizon), ("variety", Variety)):
        if attrs.get(name) not in choices.values:
            errors[name] = [_tr("缺失或无效。", "Missing or invalid.")]
    if errors:
        raise ApplicationError(SuitabilityError.PRODUCT_REQUIRED, fields=errors)
    return {
        "code": attrs.get("code", ""),
        "name": attrs.get("name", ""),
        **{k: attrs[k] for k in ("risk", "horizon", "variety")},
    }


def _match_inputs(*, client: Client, investor_class: str, assessment: Assessment | None, product: dict, now) -> dict:
    return {
        "today": timezone.localdate(now).isoformat(),
        "client": {
            "id": client.pk,
            "kind": client.kind,
            "birth_date": client.birth_date.isoformat() if client.birth_date else None,
            "data_changed_at": client.data_changed_at.isoformat() if client.data_changed_at else None,
        },
        "investor_class": investor_class,
        "assessment": None
        if assessment is None
        else {
            "id": assessment.pk,
            "risk_level": assessment.risk_level,
            "lowest_category": assessment.lowest_category,
            "horizon": assessment.horizon,
            "varieties": list(assessment.varieties),
            "valid_until": assessment.valid_until.isoformat(),
            "assessed_at": assessment.assessed_at.isoformat(),
        },
        "product": product,
        "settings": {"enhanced_care_age": getattr(settings, "SUITABILITY_ENHANCED_CARE_AGE", 70)},
    }


DECISION_INSERT = PreparedInsert(MatchDecision, server_side=True)


def product_match(
    *,
    client: Client,
    product: Product | None = None,
    product_attrs: dict | None = None,
    actor=None,
    record: bool = True,
    subject: selectors.MatchSubject | None = None,
) -> MatchDecision:
    """Decide whether `client` may buy `product` (or a product with these attributes), and store why.

    `subject`: the client's class and assessment if the caller has just read them with
    `selectors.match_subject` (the API does, to read them with the client in one query)."""
    if actor is not None:
        require_perm(actor, "suitability.match_product")
    if product is not None:
        snapshot = {k: getattr(product, k) for k in ("code", "name", "risk", "horizon", "variety")}
    elif product_attrs:
        snapshot = _product_attrs_check(product_attrs)
    else:
        raise ApplicationError(SuitabilityError.PRODUCT_REQUIRED)
    if subject is None or subject.client.pk != client.pk:
        subject = selectors.match_subject(client_id=client.pk)
    inputs = _match_inputs(
        client=client,
        investor_class=subject.investor_class if subject is not None else InvestorClass.ORDINARY,
        assessment=subject.assessment if subject is not None else None,
        product=snapshot,
        now=timezone.now(),
    )
    result = RULES[RULE_VERSION](inputs)
    decision = MatchDecision(
        client=client,
        product=product,
        product_snapshot=snapshot,
        inputs=inputs,
        outcome=result.outcome,
        dimensions=result.dimensions,
        reasons=result.reasons,
        warnings=result.warnings,
        requires_warning=result.requires_warning,
        enhanced_care=result.enhanced_care,
        rule_version=RULE_VERSION,
        actor=actor if actor is not None and actor.is_authenticated else None,
    )
    if record:
        # One INSERT in its own transaction, as decision.save() would do (insert-only, no history, no
        # signals: decision 0003), built once per process instead of compiled per match (hot path).
        DECISION_INSERT.insert(decision)
    return decision


def match_replay(decision: MatchDecision) -> str:
    """Recompute a stored decision from its stored inputs with the rules of its version."""
    evaluate = RULES.get(decision.rule_version)
    if evaluate is None:
        raise ApplicationError(SuitabilityError.REPLAY_UNKNOWN_RULES, rule_version=decision.rule_version)
    return evaluate(decision.inputs).outcome


def mismatch_confirm(*, actor, decision_id: int, channel: str) -> MismatchConfirmation:
    """Record that the client confirmed the special written warning of a mismatch, so the sale may go ahead."""
    require_perm(actor, "suitability.add_mismatchconfirmation")
    with transaction.atomic():
        decision = MatchDecision.objects.select_for_update().get(pk=decision_id)
        if decision.outcome != MatchOutcome.MISMATCH:
            raise ApplicationError(SuitabilityError.MISMATCH_ONLY, outcome=decision.outcome)
        if MismatchConfirmation.objects.filter(decision=decision).exists():
            raise ApplicationError(SuitabilityError.ALREADY_CONFIRMED)
        confirmation = MismatchConfirmation(
            decision=decision,
            warnings_shown=decision.warnings,
            channel=channel,
            confirmed_at=timezone.now(),
            staff=actor,
        )
        audited_save(confirmation, actor=actor, reason="client confirmed the special risk warning")
        from .tasks import mismatch_warning_generate_task

        transaction.on_commit(lambda: mismatch_warning_generate_task.delay(confirmation.pk))
    return confirmation


# --- Investor class requests (maker-checker) ------------------------------------------------------------

# SPEC §5 defaults for professional C; configurable.
PRO_C_INDIVIDUAL_ASSETS = Decimal("3000000")
PRO_C_INDIVIDUAL_INCOME = Decimal("300000")
PRO_C_INDIVIDUAL_YEARS = 1
PRO_C_INSTITUTION_NET_ASSETS = Decimal("10000000")
PRO_C_INSTITUTION_FINANCIAL_ASSETS = Decimal("5000000")


def _setting(name: str, default):
    return getattr(settings, f"SUITABILITY_{name}", default)


def _professional_c_check(client: Client, *, financial_assets, average_income, net_assets, experience_years) -> None:
    if client.kind == ClientKind.INSTITUTION:
        net_min = _setting("PRO_C_INSTITUTION_NET_ASSETS", PRO_C_INSTITUTION_NET_ASSETS)
        fin_min = _setting("PRO_C_INSTITUTION_FINANCIAL_ASSETS", PRO_C_INSTITUTION_FINANCIAL_ASSETS)
        if (net_assets or 0) < net_min or (financial_assets or 0) < fin_min:
            raise ApplicationError(
                SuitabilityError.PROFESSIONAL_THRESHOLD,
                fields={"net_assets": [str(net_assets)], "financial_assets": [str(financial_assets)]},
                reason_zh=f"机构净资产不低于{net_min}元且金融资产不低于{fin_min}元。",
                reason_en=f"an institution needs net assets of at least {net_min} and financial assets of at least {fin_min}.",
            )
        return
    assets_min = _setting("PRO_C_INDIVIDUAL_ASSETS", PRO_C_INDIVIDUAL_ASSETS)
    income_min = _setting("PRO_C_INDIVIDUAL_INCOME", PRO_C_INDIVIDUAL_INCOME)
    years_min = _setting("PRO_C_INDIVIDUAL_YEARS", PRO_C_INDIVIDUAL_YEARS)
    wealthy = (financial_assets or 0) >= assets_min or (average_income or 0) >= income_min
    if not wealthy or (experience_years or 0) < years_min:
        raise ApplicationError(
            SuitabilityError.PROFESSIONAL_THRESHOLD,
            fields={"financial_assets": [str(financial_assets)], "experience_years": [str(experience_years)]},
            reason_zh=f"个人金融资产不低于{assets_min}元或近三年年均收入不低于{income_min}元，且具有{years_min}年以上投资经历。",
            reason_en=f"an individual needs financial assets of at least {assets_min} or average income of at least "
            f"{income_min}, and {years_min} year(s) of investing.",
        )


def classification_request_create(
    *,
    actor,
    client: Client,
    to_class: str,
    evidence: str = "",
    financial_assets=None,
    average_income=None,
    net_assets=None,
    experience_years: int | None = None,
) -> ClassificationRequest:
    """A clerk enters a client's request to change investor class; a second person reviews it."""
    require_perm(actor, "suitability.add_classificationrequest")
    with transaction.atomic():
        client = Client.objects.select_for_update(no_key=True).get(pk=client.pk)
        from_class = selectors.investor_class_current(client_id=client.pk)
        to_pro = from_class == InvestorClass.ORDINARY and to_class == InvestorClass.PROFESSIONAL_C
        to_ordinary = from_class != InvestorClass.ORDINARY and to_class == InvestorClass.ORDINARY
        if not (to_pro or to_ordinary):
            raise ApplicationError(
                SuitabilityError.CLASSIFICATION_TRANSITION,
                fields={"to_class": [to_class]},
                from_class=from_class,
                to_class=to_class,
            )
        if to_pro:
            _professional_c_check(
                client,
                financial_assets=financial_assets,
                average_income=average_income,
                net_assets=net_assets,
                experience_years=experience_years,
            )
        if ClassificationRequest.objects.filter(client=client, status=RequestStatus.PENDING).exists():
            raise ApplicationError(SuitabilityError.REQUEST_PENDING)
        request = ClassificationRequest(
            client=client,
            from_class=from_class,
            to_class=to_class,
            evidence=evidence,
            financial_assets=financial_assets,
            average_income=average_income,
            net_assets=net_assets,
            experience_years=experience_years,
            requested_by=actor,
            requested_at=timezone.now(),
        )
        audited_save(request, actor=actor, reason=f"request {from_class} -> {to_class}")
    return request


def classification_request_review(*, actor, request_id: int, approve: bool, note: str = "") -> ClassificationRequest:
    """A reviewer (never the clerk who entered it) approves or rejects a class change request."""
    require_perm(actor, "suitability.change_classificationrequest")
    with transaction.atomic():
        request = ClassificationRequest.objects.select_for_update().select_related("client").get(pk=request_id)
        require_different_person(request.requested_by, actor)
        if request.status != RequestStatus.PENDING:
            raise ApplicationError(SuitabilityError.REQUEST_NOT_PENDING)
        request.status = RequestStatus.APPROVED if approve else RequestStatus.REJECTED
        request.reviewed_by, request.reviewed_at, request.review_note = actor, timezone.now(), note
        audited_save(request, actor=actor, reason=f"request {request.status}")
        if approve:
            _classification_apply(
                actor=actor, client=request.client, investor_class=request.to_class, basis=f"request #{request.pk}"
            )
    return request


# --- Documents in the client file (rendered after commit by suitability/tasks.py) -----------------------

_LEVEL_ZH = {"C1": "保守型", "C2": "稳健型", "C3": "平衡型", "C4": "积极型", "C5": "激进型"}
_RISK_ZH = {"R1": "低风险", "R2": "中低风险", "R3": "中风险", "R4": "中高风险", "R5": "高风险"}
_DIMENSION_ZH = {"risk": "风险等级", "horizon": "投资期限", "variety": "投资品种"}
_CHANNEL_ZH = {"counter": "柜台现场", "online": "网上", "phone": "电话（录音）"}
SPECIAL_WARNING_ZH = (
    "根据《证券期货投资者适当性管理办法》，本公司经评估认为，您拟购买的上述产品与您的{dimensions}不匹配。"
    "该产品可能给您造成超出您风险承受能力的损失，包括本金的部分或全部损失。本公司不建议您购买该产品。"
    "如您坚持购买，请仔细阅读本警示书，确认已充分了解该产品的风险并自愿承担由此产生的一切后果；"
    "本公司的销售行为不构成对产品收益的任何保证。"
)
CLIENT_CONFIRMATION_ZH = (
    "本人已认真阅读并充分理解本特别风险警示书的全部内容，知悉所购买产品与本人的{dimensions}不匹配，"
    "经审慎考虑，本人坚持购买该产品，并自愿承担由此产生的全部风险和损失。"
)


def _staff_name(user) -> str:
    if user is None:
        return "系统"
    profile = getattr(user, "staff", None)
    return getattr(profile, "full_name", "") or user.username


def _client_signature(client: Client) -> str:
    return "客户签章（加盖公章并由经办人签字）" if client.kind == ClientKind.INSTITUTION else "客户签名"


def _client_block(client: Client) -> dict:
    from accounts.masking import mask_id_number

    return {
        "client_no": client.client_no,
        "name": client.name,
        "id_type": client.get_id_type_display(),
        "id_number": mask_id_number(client.id_number),
    }


def assessment_result_data(assessment: Assessment) -> dict:
    """Everything the result PDF shows, as plain JSON: the stored data re-renders the same PDF."""
    client = assessment.client
    questions = Question.objects.filter(questionnaire_id=assessment.questionnaire_id).order_by("order")
    options = {
        (o.question_id, o.code): o
        for o in Option.objects.filter(question__questionnaire_id=assessment.questionnaire_id)
    }
    answers = []
    for q in questions:
        picked = [options[(q.pk, code)] for code in assessment.answers.get(q.code, [])]
        answers.append(
            {
                "order": q.order,
                "question": q.text_zh,
                "options": [f"{o.code}. {o.text_zh}" for o in picked],
                "score": max((o.score for o in picked), default=0),
            }
        )
    return {
        "title": "投资者风险承受能力评估结果确认书",
        "branch_name": client.branch.name if client.branch_id else "",
        "document_ref": f"SA-{assessment.pk:08d}",
        "client": _client_block(client),
        "questionnaire": {
            "code": assessment.questionnaire_code,
            "version": assessment.questionnaire_version,
            "title": assessment.questionnaire.title_zh,
        },
        "assessed_at": f"{timezone.localtime(assessment.assessed_at):%Y-%m-%d %H:%M}",
        "assessed_by": _staff_name(assessment.assessed_by),
        "answers": answers,
        "total_score": assessment.total_score,
        "score_level": assessment.score_level,
        "risk_level": assessment.risk_level,
        "risk_level_name": _LEVEL_ZH[assessment.risk_level],
        "lowest_category": assessment.lowest_category,
        "lowest_category_reasons": [r["zh"] for r in assessment.lowest_category_reasons],
        "horizon": _HORIZON_ZH[assessment.horizon],
        "varieties": [_zh_label(Variety(v).label) for v in assessment.varieties],
        "valid_until": assessment.valid_until.isoformat(),
        "signatures": [_client_signature(client), "经办人签名"],
    }


def assessment_result_generate(*, assessment_id: int) -> int:
    """File the assessment's result PDF in the client's file, once. The assessment row is locked while the
    PDF is made, so a redelivered or duplicate task waits and then finds it filed. Returns the document id."""
    from archive.models import DocumentKind
    from archive.selectors import document_for_related
    from archive.services import document_generate

    with transaction.atomic():
        assessment = (
            Assessment.objects.select_for_update(of=("self",), no_key=True)
            .select_related("client__branch", "questionnaire", "assessed_by")
            .get(pk=assessment_id)
        )
        existing = document_for_related(kind=DocumentKind.QUESTIONNAIRE_RESULT, related=assessment)
        if existing is not None:
            return existing.pk
        document = document_generate(
            actor=assessment.assessed_by,
            client=assessment.client,
            kind=DocumentKind.QUESTIONNAIRE_RESULT,
            template_name="suitability/pdf/assessment_result.html",
            data=assessment_result_data(assessment),
            related=assessment,
        )
        return document.pk


def mismatch_warning_data(confirmation: MismatchConfirmation) -> dict:
    """The special written warning (特别风险警示书) as shown, and the client's confirmation of it."""
    decision = confirmation.decision
    client = decision.client
    product = decision.product_snapshot
    assessment = decision.inputs.get("assessment") or {}
    dimensions = [_DIMENSION_ZH[d] for d in decision.dimensions]
    joined = "、".join(dimensions)
    warnings = confirmation.warnings_shown
    return {
        "title": "特别风险警示书",
        "branch_name": client.branch.name if client.branch_id else "",
        "document_ref": f"SW-{decision.pk:08d}",
        "client": _client_block(client),
        "product": {
            "code": product.get("code") or "—",
            "name": product.get("name") or "—",
            "risk": f"{product['risk']} {_RISK_ZH[product['risk']]}",
            "horizon": _HORIZON_ZH[product["horizon"]],
            "variety": _zh_label(Variety(product["variety"]).label),
        },
        "profile": {
            "risk_level": f"{assessment['risk_level']} {_LEVEL_ZH[assessment['risk_level']]}" if assessment else "—",
            "horizon": _HORIZON_ZH[assessment["horizon"]] if assessment else "—",
            "varieties": "、".join(_zh_label(Variety(v).label) for v in assessment.get("varieties", [])) or "—",
            "valid_until": assessment.get("valid_until", "—"),
        },
        "mismatches": [
            {"dimension": _DIMENSION_ZH.get(r["code"], r["code"]), "reason": r["zh"]}
            for r in decision.reasons
            if r["code"] in _DIMENSION_ZH
        ],
        "warning_text": SPECIAL_WARNING_ZH.format(dimensions=joined),
        "warnings": [w["zh"] for w in warnings if w["code"] != "enhanced_care"],
        "enhanced_care": [w["zh"] for w in warnings if w["code"] == "enhanced_care"],
        "decision": {
            "id": decision.pk,
            "rule_version": decision.rule_version,
            "at": f"{timezone.localtime(decision.created_at):%Y-%m-%d %H:%M:%S}",
        },
        "confirmation": {
            "at": f"{timezone.localtime(confirmation.confirmed_at):%Y-%m-%d %H:%M:%S}",
            "staff": _staff_name(confirmation.staff),
            "staff_username": confirmation.staff.username,
            "channel": _CHANNEL_ZH.get(confirmation.channel, confirmation.channel),
            "text": CLIENT_CONFIRMATION_ZH.format(dimensions=joined),
        },
        "signatures": [_client_signature(client), "经办人签名"],
    }


def mismatch_warning_generate(*, confirmation_id: int) -> int:
    """File the signed special warning of a confirmed mismatch in the client's file, once (see above)."""
    from archive.models import DocumentKind
    from archive.selectors import document_for_related
    from archive.services import document_generate

    with transaction.atomic():
        confirmation = (
            MismatchConfirmation.objects.select_for_update(of=("self",), no_key=True)
            .select_related("decision__client__branch", "staff")
            .get(pk=confirmation_id)
        )
        existing = document_for_related(kind=DocumentKind.SUITABILITY_WARNING, related=confirmation)
        if existing is not None:
            return existing.pk
        document = document_generate(
            actor=confirmation.staff,
            client=confirmation.decision.client,
            kind=DocumentKind.SUITABILITY_WARNING,
            template_name="suitability/pdf/mismatch_warning.html",
            data=mismatch_warning_data(confirmation),
            related=confirmation,
        )
        return document.pk


def suitability_documents_resend(*, older_than: datetime.datetime) -> int:
    """Re-send PDF generation for assessments and confirmations still without their document (a task lost
    after commit). Returns how many were sent."""
    from django.contrib.contenttypes.models import ContentType

    from archive.models import Document, DocumentKind

    from .tasks import assessment_result_generate_task, mismatch_warning_generate_task

    count = 0
    for model, kind, when, task in (
        (Assessment, DocumentKind.QUESTIONNAIRE_RESULT, "assessed_at", assessment_result_generate_task),
        (MismatchConfirmation, DocumentKind.SUITABILITY_WARNING, "confirmed_at", mismatch_warning_generate_task),
    ):
        filed = Document.objects.filter(kind=kind, related_type=ContentType.objects.get_for_model(model)).values(
            "related_id"
        )
        for pk in (
            model.objects.filter(**{f"{when}__lt": older_than}).exclude(pk__in=filed).values_list("pk", flat=True)
        ):
            task.delay(pk)
            count += 1
    return count
