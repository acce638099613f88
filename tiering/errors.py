"""Error codes of the tiering stage (SPEC §7)."""

from accounts.errors import ErrorCatalog, ErrorSpec


class TieringError(ErrorCatalog):
    POLICY_NOT_FOUND = ErrorSpec(404, "分级策略不存在。", "The tier policy does not exist.")
    POLICY_NOT_DRAFT = ErrorSpec(
        409,
        "策略第 {version} 版状态为{status}，只能提交草稿。",
        "Policy version {version} is {status}; only a draft can be proposed.",
    )
    POLICY_NOT_PROPOSED = ErrorSpec(
        409,
        "策略第 {version} 版状态为{status}，只能审批待审批的版本。",
        "Policy version {version} is {status}; only a proposed version can be approved.",
    )
    POLICY_INVALID = ErrorSpec(400, "分级规则无效：{reason}", "The tier rules are not valid: {reason}")
    NO_ACTIVE_POLICY = ErrorSpec(409, "没有生效的分级策略。", "There is no active tier policy.")
    RECOMPUTE_RUNNING = ErrorSpec(409, "已有分级重算正在运行。", "A tier recompute is already running.")
    RECOMPUTE_ACTIVE = ErrorSpec(
        409,
        "分级重算 #{run_id} 正在排队或运行，请待其完成后再发起。",
        "Tier recompute #{run_id} is already queued or running; start another one after it finishes.",
    )
    RECOMPUTE_NEEDS_POSTGRES = ErrorSpec(
        501,
        "分级重算使用 PostgreSQL 窗口函数，嵌入式 SQLite 模式下不可用。",
        "Tier recompute uses PostgreSQL window functions and is not available on the embedded SQLite database.",
    )
    CLIENT_NOT_FOUND = ErrorSpec(404, "客户不存在。", "The client does not exist.")
    OVERRIDE_NOT_FOUND = ErrorSpec(404, "人工调整申请不存在。", "The tier override does not exist.")
    OVERRIDE_NOT_PROPOSED = ErrorSpec(
        409, "该人工调整已处理（{status}）。", "This tier override has already been decided ({status})."
    )
    OVERRIDE_INVALID = ErrorSpec(400, "人工调整无效：{reason}", "The tier override is not valid: {reason}")
    METRICS_INVALID = ErrorSpec(
        400,
        "指标数据有 {count} 行错误，未导入任何数据。",
        "{count} metric rows are not valid; nothing was imported.",
    )
