"""One error shape for the whole API: {"code", "message", "fields", "rule"}."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import get_language
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from .errors import ApplicationError

security_log = logging.getLogger("security")

_GENERIC = {
    "not_authenticated": ("未登录或令牌无效。", "Authentication credentials were not provided or are invalid."),
    "authentication_failed": ("身份认证失败。", "Authentication failed."),
    "permission_denied": ("您没有执行此操作的权限。", "You do not have permission to do this."),
    "not_found": ("未找到。", "Not found."),
    "method_not_allowed": ("不支持该请求方法。", "Method not allowed."),
    "not_acceptable": ("无法满足 Accept 请求头。", "Could not satisfy the Accept header."),
    "unsupported_media_type": ("不支持的请求内容类型。", "Unsupported media type."),
    "throttled": ("请求过于频繁，请稍后再试。", "Too many requests; try again later."),
    "parse_error": ("请求内容无法解析。", "The request body could not be parsed."),
    "invalid": ("输入有误，请检查标出的字段。", "Invalid input; see the fields listed."),
}


def _text(code: str) -> str:
    zh, en = _GENERIC.get(code, _GENERIC["invalid"])
    return en if (get_language() or "").startswith("en") else zh


def _flatten(detail) -> dict:
    if isinstance(detail, dict):
        return {str(k): _flatten_value(v) for k, v in detail.items()}
    return {"non_field_errors": _flatten_value(detail)}


def _flatten_value(value):
    if isinstance(value, dict):
        return {str(k): _flatten_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_flatten_value(v) for v in value]
    return str(value)


def error_body(code: str, message: str, fields: dict | None = None, rule: str | None = None) -> dict:
    return {"code": code, "message": message, "fields": fields or {}, "rule": rule or None}


def exception_handler(exc, context):
    request = context.get("request")
    if isinstance(exc, ApplicationError):
        if exc.status == 403:
            security_log.warning(
                "refused %s: user=%s path=%s", exc.code, getattr(request, "user", None), getattr(request, "path", "")
            )
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, serializers.ValidationError):
        return Response(error_body("invalid", _text("invalid"), _flatten(exc.detail)), status=400)
    if isinstance(exc, exceptions.APIException):
        code = exc.default_code if isinstance(exc.default_code, str) else "error"
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            code = "not_authenticated"
        if code == "permission_denied" and request is not None:
            security_log.warning("permission denied: user=%s path=%s", getattr(request.user, "pk", None), request.path)
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        message = _text(code) if code in _GENERIC else str(exc.detail)
        return Response(error_body(code, message), status=exc.status_code, headers=headers)
    return None
