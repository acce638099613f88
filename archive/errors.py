"""Error codes of the client file."""

from accounts.errors import ErrorCatalog, ErrorSpec


class ArchiveError(ErrorCatalog):
    UPLOAD_EMPTY = ErrorSpec(400, "文件为空：{filename}", "The file is empty: {filename}")
    UPLOAD_TOO_LARGE = ErrorSpec(
        400,
        "文件过大：{filename} 为 {size} 字节，上限为 {limit} 字节。",
        "The file is too large: {filename} is {size} bytes, the limit is {limit} bytes.",
    )
    UPLOAD_TYPE_REFUSED = ErrorSpec(
        400,
        "只接受 PDF、JPEG 或 PNG 文件（按文件内容判断，而非文件名）：{filename}",
        "Only PDF, JPEG or PNG files are accepted (judged by the content, not the name): {filename}",
    )
    UNKNOWN_KIND = ErrorSpec(400, "未知的档案类型：{kind}", "Unknown document kind: {kind}")
    NOT_GENERATED = ErrorSpec(
        400,
        "该文件是上传的，不是系统生成的，无法重新生成。",
        "This document was uploaded, not generated; it cannot be re-rendered.",
    )
    REASON_REQUIRED = ErrorSpec(400, "请填写原因。", "A reason is required.")
    DOSSIER_NOT_READY = ErrorSpec(
        409, "档案包尚未生成完成（状态：{status}）。", "The dossier export is not ready yet (status: {status})."
    )
