from accounts.errors import ErrorCatalog, ErrorSpec

ART = "证券公司开立客户账户规范"


class OnboardingError(ErrorCatalog):
    ILLEGAL_TRANSITION = ErrorSpec(
        409,
        "申请当前状态为「{status}」，不能执行「{action}」。",
        "The application is '{status}'; '{action}' is not possible now.",
    )
    OPEN_APPLICATION_EXISTS = ErrorSpec(
        409,
        "该客户已有一笔进行中的开户申请（#{application_id}）。",
        "The client already has an open application (#{application_id}).",
    )
    WITNESS_REQUIRED = ErrorSpec(
        400,
        "见证开户须由两名以上员工面见客户且至少一名为见证人员，或一名员工面见客户并由见证人员实时视频见证。",
        "A witnessed opening needs two or more staff meeting the client, at least one a witness, or one staff "
        "member with a witness on live video.",
        f"{ART} 第十七条",
        "Account-opening rules, art. 17",
    )
    WITNESS_UNQUALIFIED = ErrorSpec(
        400,
        "{name} 不能担任见证人员：{reasons}。",
        "{name} may not act as witness: {reasons_en}.",
        f"{ART} 第十七条",
        "Account-opening rules, art. 17",
    )
    CERTIFICATE_INVALID = ErrorSpec(
        400,
        "网上开户须使用有效的数字证书：{reason}",
        "Online opening needs a valid digital certificate: {reason_en}",
        f"{ART} 第五条",
        "Account-opening rules, art. 5",
    )
    AGENT_INCOMPLETE = ErrorSpec(
        400,
        "代理人办理须登记代理人姓名、证件类型与证件号码。",
        "An agent's name, ID type and ID number are required.",
        f"{ART} 第六条",
        "Account-opening rules, art. 6",
    )
    GUARDIAN_REQUIRED = ErrorSpec(
        400,
        "客户未满18周岁，不具有完全民事行为能力，须由监护人代理办理。",
        "The client is under 18 and has no full civil capacity: a guardian must act for them.",
        f"{ART} 第六条",
        "Account-opening rules, art. 6",
    )
    IDENTITY_MISMATCH = ErrorSpec(
        409,
        "身份核查未通过（{result}），申请已终止。",
        "The identity check failed ({result}); the application is stopped.",
        f"{ART} 第六条",
        "Account-opening rules, art. 6",
    )
    GATEWAY_UNAVAILABLE = ErrorSpec(
        503,
        "{system} 暂时无法连接，申请保持在当前状态，请稍后重试。",
        "{system} is temporarily unavailable; the application stays where it is — try again later.",
    )
    GATEWAY_REFUSED = ErrorSpec(409, "{system} 拒绝了请求：{message}", "{system} refused the request: {message}")
    DISCLOSURE_UNKNOWN = ErrorSpec(
        400,
        "请选择当前有效的风险揭示书和开户协议版本。",
        "Choose the current versions of the risk disclosure and the opening agreement.",
        f"{ART} 第七条",
        "Account-opening rules, art. 7",
    )
    ASSESSMENT_REQUIRED = ErrorSpec(
        409,
        "开户前须完成有效的风险承受能力评估（{reason}）。",
        "A valid risk-tolerance assessment is needed before opening ({reason_en}).",
        f"{ART} 第八条",
        "Account-opening rules, art. 8",
    )
    DOCUMENTS_MISSING = ErrorSpec(
        409,
        "客户档案缺少必备材料：{missing}。",
        "The client file is missing required documents: {missing}.",
        f"{ART} 第九条、第十四条",
        "Account-opening rules, art. 9 and 14",
    )
    REASON_REQUIRED = ErrorSpec(400, "请填写原因。", "A reason is required.")
