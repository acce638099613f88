"""Error catalogue shared by every stage, and the one exception type services raise.

Each stage declares its own catalogue as an `ErrorCatalog` enum in its errors.py; the API exception
handler renders any ApplicationError as {"code", "message", "fields", "rule"} in the caller's language.
"""

from dataclasses import dataclass
from enum import Enum

from django.utils.translation import get_language


@dataclass(frozen=True)
class ErrorSpec:
    status: int
    zh: str
    en: str
    rule_zh: str = ""
    rule_en: str = ""


def _is_english() -> bool:
    return (get_language() or "zh-hans").startswith("en")


class ErrorCatalog(Enum):
    """Base for a stage's error codes; a member's value is its ErrorSpec."""

    @property
    def code(self) -> str:
        return self.name.lower()

    @property
    def spec(self) -> ErrorSpec:
        return self.value


class ApplicationError(Exception):
    def __init__(self, error: ErrorCatalog, *, fields: dict | None = None, **params: object) -> None:
        self.error = error
        self.fields = fields or {}
        self.params = params
        super().__init__(f"{error.code}: {self.message_in('en')}")

    @property
    def code(self) -> str:
        return self.error.code

    @property
    def status(self) -> int:
        return self.error.spec.status

    def message_in(self, lang: str) -> str:
        spec = self.error.spec
        text = spec.en if lang.startswith("en") else spec.zh
        return text.format(**self.params) if self.params else text

    def rule_in(self, lang: str) -> str:
        spec = self.error.spec
        return spec.rule_en if lang.startswith("en") else spec.rule_zh

    @property
    def message(self) -> str:
        return self.message_in("en" if _is_english() else "zh-hans")

    @property
    def rule(self) -> str:
        return self.rule_in("en" if _is_english() else "zh-hans")

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "fields": self.fields, "rule": self.rule or None}


class AccountsError(ErrorCatalog):
    PERMISSION_DENIED = ErrorSpec(
        403,
        "您没有执行此操作的权限：{permission}",
        "You do not have permission to do this: {permission}",
    )
    MAKER_CHECKER = ErrorSpec(
        403,
        "复核人不能复核自己经办的业务。",
        "A reviewer may not approve or reject their own work.",
        "双人复核（经办与复核分离）",
        "Maker-checker separation",
    )
    BRANCH_CODE_TAKEN = ErrorSpec(409, "营业部代码 {code} 已存在。", "Branch code {code} already exists.")
    UNKNOWN_ROLE = ErrorSpec(400, "未知角色：{role}", "Unknown role: {role}")
    ID_INVALID = ErrorSpec(
        400,
        "证件号码无效：{reason_zh}",
        "Invalid ID number: {reason_en}",
        "证券公司开立客户账户规范 第六条",
        "Account-opening rules, art. 6",
    )
    ID_EXPIRED = ErrorSpec(
        400,
        "证件已过有效期，请客户出示有效身份证件。",
        "The ID document has expired; the client must show a valid one.",
        "证券公司开立客户账户规范 第六条",
        "Account-opening rules, art. 6",
    )
    PHONE_INVALID = ErrorSpec(400, "手机号码无效。", "The phone number is not valid.")
    ACCOUNTS_ALREADY_OPEN = ErrorSpec(
        409, "客户 {client_no} 已开立资金账户。", "Client {client_no} already has a fund account."
    )
    ACCOUNTS_INCONSISTENT = ErrorSpec(
        409,
        "同一客户的账户户名、证件类型、证件号码必须一致。",
        "All accounts of one client must carry the same name, ID type and ID number.",
        "证券公司开立客户账户规范 第九条",
        "Account-opening rules, art. 9",
    )
    USERNAME_TAKEN = ErrorSpec(409, "用户名 {username} 已被使用。", "Username {username} is already taken.")
    PII_FIELD_UNKNOWN = ErrorSpec(
        400,
        "不能显示该字段：{field}（可选：证件号码、手机号码、联系地址、法定代表人证件号码）",
        "This field cannot be revealed: {field} (id_number, phone, address or legal_rep_id_number).",
    )
    CLIENT_NOT_FOUND = ErrorSpec(404, "客户不存在：{client_id}", "No such client: {client_id}")


class ChangeError(ErrorCatalog):
    """Client data changes (SPEC §4)."""

    KEY_DATA_DIRECT_EDIT = ErrorSpec(
        403,
        "{field} 属于客户关键信息，不能直接修改，只能通过资料变更申请（重新核验身份并经复核）办理。",
        "{field} is key client information and cannot be edited directly; submit a change request "
        "(identity re-verified and reviewed).",
        "证券公司开立客户账户规范 第十二条",
        "Account-opening rules, art. 12",
    )
    CHANGE_REQUEST_REQUIRED = ErrorSpec(
        400,
        "客户资料（{field}）须通过资料变更申请修改并经复核。",
        "Client data ({field}) is changed through a reviewed change request.",
        "客户账户普通/重要资料修改流程 6.1.3",
        "Client data change procedure 6.1.3",
    )
    FIELD_UNKNOWN = ErrorSpec(400, "不能通过变更申请修改的字段：{field}", "This field cannot be changed: {field}")
    NO_CHANGE = ErrorSpec(400, "新值与客户现有资料相同，没有需要变更的内容。", "The new values equal the current data.")
    VALUE_REQUIRED = ErrorSpec(400, "{field} 不能为空。", "{field} may not be empty.")
    SYNC_TARGET_UNKNOWN = ErrorSpec(400, "未知的同步系统：{target}", "Unknown system to sync: {target}")
    ID_TAKEN = ErrorSpec(
        409,
        "新证件号码已属于另一位客户（{client_no}），不能变更。",
        "The new ID number already belongs to another client ({client_no}).",
        "证券公司开立客户账户规范 第九条",
        "Account-opening rules, art. 9",
    )
    IDENTITY_NOT_VERIFIED = ErrorSpec(
        409,
        "公安部身份核查未通过（{result}），不能办理重要资料变更。",
        "The citizen identity check did not pass ({result}); key data cannot be changed.",
        "证券公司开立客户账户规范 第十二条",
        "Account-opening rules, art. 12",
    )
    IDENTITY_UNAVAILABLE = ErrorSpec(
        503,
        "公安部身份核查系统暂时不可用，重要资料变更必须核查身份，请稍后重试。",
        "The citizen identity system is unavailable; key data changes need it. Try again later.",
    )
    CLIENT_CHANGED = ErrorSpec(
        409,
        "客户资料已被修改（当前版本 {current}，申请依据版本 {seen}），请刷新后重新录入。",
        "The client's data changed since it was read (now version {current}, request made on {seen}); "
        "reload and enter the change again.",
    )
    OPEN_REQUEST_EXISTS = ErrorSpec(
        409,
        "该客户已有未完成的资料变更申请 #{request_id}，请先处理完毕。",
        "The client already has an unfinished change request #{request_id}.",
    )
    NOT_FOUND = ErrorSpec(404, "资料变更申请不存在：{request_id}", "No such change request: {request_id}")
    ALREADY_REVIEWED = ErrorSpec(
        409,
        "该申请已被复核（当前状态：{status}），不能再次复核。",
        "This request was already reviewed (now: {status}).",
    )
    ILLEGAL_TRANSITION = ErrorSpec(
        409, "当前状态（{status}）下不能执行：{action}", "Cannot {action} a request that is {status}."
    )
    REASON_REQUIRED = ErrorSpec(400, "驳回必须填写原因。", "A rejection needs a reason.")
    CSDC_UNAVAILABLE = ErrorSpec(503, "中国结算暂时不可用，请稍后重试。", "CSDC is unavailable; try again later.")
    CSDC_REFUSED = ErrorSpec(409, "中国结算拒绝：{message}", "CSDC refused: {message}")
    EMAIL_INVALID = ErrorSpec(400, "电子邮箱格式不正确。", "The e-mail address is not valid.")
    DOCUMENTS_REQUIRED = ErrorSpec(
        400,
        "缺少证明材料：{missing_zh}。请上传后再提交。",
        "Supporting documents missing: {missing_en}. Upload them and submit again.",
        "客户账户普通/重要资料修改流程 6.1.1、6.1.2",
        "Client data change procedure 6.1.1, 6.1.2",
    )
    DOCUMENT_INVALID = ErrorSpec(
        400,
        "证明材料 {ids} 不存在、不属于该客户，或不是可作为资料变更证明材料的文件类型。",
        "Documents {ids} do not exist, belong to another client, or are not of a kind accepted for a change.",
    )
    ID_VALIDITY_INVALID = ErrorSpec(
        400,
        "证件有效期无效：{reason_zh}",
        "Invalid ID validity: {reason_en}",
        "证券公司开立客户账户规范 第六条",
        "Account-opening rules, art. 6",
    )
