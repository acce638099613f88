from accounts.errors import ErrorCatalog, ErrorSpec

ART = "证券公司开立客户账户规范"


class CallbackError(ErrorCatalog):
    TASK_NOT_FOUND = ErrorSpec(404, "回访任务不存在：{task_id}", "No such callback task: {task_id}")
    TASK_DONE = ErrorSpec(
        409,
        "回访任务 #{task_id} 当前状态为「{status}」，不能再记录回访。",
        "Callback task #{task_id} is '{status_en}'; no further attempt can be recorded.",
    )
    NOT_ASSIGNED = ErrorSpec(
        403,
        "该回访任务分配给了其他回访专员，请由主管重新分配。",
        "This callback task is assigned to another agent; ask a supervisor to reassign it.",
    )
    TOO_SOON = ErrorSpec(
        409,
        "两次回访须间隔至少 {hours} 小时，下次可回访时间：{next_at}。",
        "Attempts must be at least {hours} hours apart; next attempt from {next_at}.",
    )
    ATTEMPTS_EXHAUSTED = ErrorSpec(
        409,
        "已回访 {count} 次（上限 {max}），任务已升级主管。",
        "{count} attempts made (limit {max}); the task has been escalated to a supervisor.",
    )
    CONFIRMATIONS_INCOMPLETE = ErrorSpec(
        400,
        "接通后须逐项记录五项确认：{missing}。",
        "When connected, every confirmation must be answered: {missing}.",
        f"{ART} 第十一条",
        "Account-opening rules, art. 11",
    )
    CONFIRMATIONS_NOT_ALLOWED = ErrorSpec(
        400,
        "未接通的回访不能记录确认事项。",
        "Confirmations can only be recorded for a connected call.",
    )
    DENIAL_REASON_REQUIRED = ErrorSpec(
        400,
        "回访未通过时请在备注中说明情况。",
        "Explain in the notes why the callback did not pass.",
    )
    AGENT_UNKNOWN = ErrorSpec(400, "{username} 不是在职的回访专员。", "{username} is not an active callback agent.")
