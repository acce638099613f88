"""Error codes of the suitability stage (SPEC §5)."""

from accounts.errors import ErrorCatalog, ErrorSpec

_RULES_ZH = "证券期货投资者适当性管理办法"
_RULES_EN = "CSRC investor suitability measures (2017)"


class SuitabilityError(ErrorCatalog):
    QUESTIONNAIRE_NOT_FOUND = ErrorSpec(404, "问卷不存在。", "The questionnaire does not exist.")
    NO_PUBLISHED_QUESTIONNAIRE = ErrorSpec(
        404, "没有适用于{audience}的已发布问卷。", "There is no published questionnaire for {audience}."
    )
    QUESTIONNAIRE_PUBLISHED = ErrorSpec(
        409,
        "问卷 {code} 第 {version} 版已发布，不能修改；请新建版本。",
        "Questionnaire {code} version {version} is published and can never be changed; create a new version.",
        f"{_RULES_ZH}（问卷版本一经发布不得修改）",
        f"{_RULES_EN} (a published questionnaire version never changes)",
    )
    QUESTIONNAIRE_NOT_DRAFT = ErrorSpec(409, "只能发布草稿状态的问卷。", "Only a draft questionnaire can be published.")
    QUESTIONNAIRE_NOT_CURRENT = ErrorSpec(
        400,
        "问卷 {code} 第 {version} 版不是当前有效版本（{status}），请使用当前版本重新作答。",
        "Questionnaire {code} version {version} is not the current version ({status}); answer the current one.",
        f"{_RULES_ZH} 第八条",
        f"{_RULES_EN}, art. 8",
    )
    QUESTIONNAIRE_WRONG_AUDIENCE = ErrorSpec(
        400,
        "该问卷适用于{audience}，与客户类型不符。",
        "This questionnaire is for {audience} clients and does not fit this client.",
    )
    ANSWERS_INVALID = ErrorSpec(
        400,
        "问卷答案不完整或无效，请检查标出的题目。",
        "The answers are incomplete or invalid; see the questions listed.",
        f"{_RULES_ZH} 第八条",
        f"{_RULES_EN}, art. 8",
    )
    PRODUCT_CODE_TAKEN = ErrorSpec(409, "产品代码 {code} 已存在。", "Product code {code} already exists.")
    PRODUCT_NOT_FOUND = ErrorSpec(404, "产品 {code} 不存在或已停用。", "Product {code} does not exist or is inactive.")
    PRODUCT_REQUIRED = ErrorSpec(
        400, "请提供产品代码或产品属性（风险等级、期限、品种）。", "Give a product code or product attributes."
    )
    REPLAY_UNKNOWN_RULES = ErrorSpec(
        500, "无法重放：未知的规则版本 {rule_version}。", "Cannot replay: unknown rule version {rule_version}."
    )
    DECISION_IMMUTABLE = ErrorSpec(409, "适当性匹配记录不可修改。", "A stored suitability decision cannot be changed.")
    MISMATCH_ONLY = ErrorSpec(
        409,
        "只有“不匹配”的结果可以在风险警示确认后继续销售（当前结果：{outcome}）。",
        "Only a mismatch can go ahead after a confirmed warning (this decision: {outcome}).",
        f"{_RULES_ZH} 第二十条",
        f"{_RULES_EN}, art. 20",
    )
    ALREADY_CONFIRMED = ErrorSpec(409, "该匹配结果已确认过。", "This decision has already been confirmed.")
    CLASSIFICATION_TRANSITION = ErrorSpec(
        400,
        "不能从{from_class}申请转为{to_class}：普通投资者只能申请转为专业投资者C，专业投资者只能申请转为普通投资者。",
        "Cannot move from {from_class} to {to_class}: an ordinary investor may ask to become professional C, "
        "a professional may ask to be treated as ordinary.",
        f"{_RULES_ZH} 第十一条、第十二条",
        f"{_RULES_EN}, art. 11-12",
    )
    PROFESSIONAL_THRESHOLD = ErrorSpec(
        400,
        "不满足转为专业投资者的条件：{reason_zh}",
        "The conditions for a professional investor are not met: {reason_en}",
        f"{_RULES_ZH} 第十一条",
        f"{_RULES_EN}, art. 11",
    )
    REQUEST_PENDING = ErrorSpec(409, "该客户已有待复核的类别转换申请。", "This client already has a pending request.")
    REQUEST_NOT_PENDING = ErrorSpec(409, "该申请已复核，不能再次处理。", "This request has already been reviewed.")
