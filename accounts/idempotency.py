"""`Idempotency-Key` on every POST of the REST API (creations and state-changing actions): a retried request
replays the first answer instead of doing the work twice.

- same key + same caller + same request (method, path, query, body) → the first response, status and body;
- same key + different request → 422 `idempotency_key_reused`;
- a retry while the first request is still running → 409 `idempotency_request_in_flight`;
- keys belong to the caller (user) and are forgotten after IDEMPOTENCY_TTL_HOURS
  (`manage.py idempotency_purge` deletes expired ones).

Insert-first: the key row is created (and committed) *before* the work runs, under a unique constraint on
(user, key), so two concurrent retries cannot both run it — the loser sees the row and gets 409 or the
replay. Server errors (5xx, or an exception DRF does not render) are not remembered: the key row is deleted
and the caller may retry.

`@idempotent` also documents the header on the operation (and `accounts.schema` then adds the 400, 409 and
422 answers), so the OpenAPI schema cannot forget it. Without the header the view runs as usual: the only cost is
one lookup in the request's META. The one POST that does not use it is the personal-data reveal
(`accounts/api.py`, see there).
"""

import functools
import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from .errors import ApplicationError, ErrorCatalog, ErrorSpec
from .models import IdempotencyKey

HEADER = "Idempotency-Key"
META_KEY = "HTTP_IDEMPOTENCY_KEY"
MAX_KEY_LENGTH = 255


class IdempotencyError(ErrorCatalog):
    IDEMPOTENCY_KEY_INVALID = ErrorSpec(
        400,
        "Idempotency-Key 请求头应为1至255个可见字符。",
        "The Idempotency-Key header must be 1 to 255 visible characters.",
    )
    IDEMPOTENCY_KEY_REUSED = ErrorSpec(
        422,
        "该 Idempotency-Key 已用于另一个不同的请求；重试时请发送完全相同的请求，新请求请使用新的键。",
        "This Idempotency-Key was already used for a different request; retry with the identical request, "
        "or use a new key for a new request.",
    )
    IDEMPOTENCY_REQUEST_IN_FLIGHT = ErrorSpec(
        409,
        "使用该 Idempotency-Key 的请求仍在处理中，请稍后重试。",
        "A request with this Idempotency-Key is still being processed; retry later.",
    )


IDEMPOTENCY_PARAMETER = OpenApiParameter(
    name=HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Optional, recommended. A unique key per intended operation (e.g. a UUID). Retrying with the same key "
        "and the same body returns the first response (status and body, with `Idempotent-Replayed: true`) "
        "and never creates or acts twice; the same key with a different body gives 422 `idempotency_key_reused`; a "
        "retry while the first request is still running gives 409 `idempotency_request_in_flight`. Keys "
        "are per caller and remembered for IDEMPOTENCY_TTL_HOURS (default 24 h)."
    ),
)


def ttl() -> timedelta:
    return timedelta(hours=getattr(settings, "IDEMPOTENCY_TTL_HOURS", 24))


def _file_fingerprint(upload: UploadedFile) -> str:
    """An uploaded file by its content (another file under the same name is another request); the file is
    left at its start for the view."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return f"file:{upload.size}:{digest.hexdigest()}:{upload.name}"


def request_fingerprint(request) -> str:
    """SHA-256 of method, path, query parameters and the parsed body (keys sorted; uploaded files by their
    content), so equal requests hash equal (e.g. `?strict=1` on the metrics import is part of the request)."""
    data = request.data
    if hasattr(data, "lists"):  # QueryDict (form / multipart): keep repeated values
        data = {k: [_file_fingerprint(v) if isinstance(v, UploadedFile) else v for v in values]
                for k, values in data.lists()}  # fmt: skip
    body = json.dumps(data, cls=JSONEncoder, sort_keys=True, ensure_ascii=False, default=str)
    query = json.dumps(sorted(request.query_params.lists()), ensure_ascii=False)
    return hashlib.sha256(f"{request.method}\n{request.path}\n{query}\n{body}".encode()).hexdigest()


def _claim(user, key: str, fingerprint: str) -> IdempotencyKey | None:
    """Insert the key row (committed at once). Returns the existing row if the key is taken and alive."""
    now = timezone.now()
    for _attempt in range(2):
        try:
            with transaction.atomic():
                IdempotencyKey.objects.create(user=user, key=key, request_hash=fingerprint, expires_at=now + ttl())
            return None
        except IntegrityError:
            existing = IdempotencyKey.objects.filter(user=user, key=key).first()
            if existing is None:  # deleted meanwhile (5xx or purge): try again
                continue
            if existing.expires_at > now:
                return existing
            IdempotencyKey.objects.filter(pk=existing.pk, expires_at__lte=now).delete()  # expired: reuse
    raise ApplicationError(IdempotencyError.IDEMPOTENCY_REQUEST_IN_FLIGHT)


def _remember(user, key: str, response: Response) -> None:
    if response.status_code >= 500:
        IdempotencyKey.objects.filter(user=user, key=key).delete()
        return
    body = json.loads(json.dumps(response.data, cls=JSONEncoder)) if response.data is not None else None
    IdempotencyKey.objects.filter(user=user, key=key).update(
        in_flight=False, response_status=response.status_code, response_body=body
    )


def idempotent(view_method):
    """Decorate a DRF view's `post(self, request, ...)`. Without the header the view runs as usual.

    Works under or over `@extend_schema`; the header parameter is added to the operation's schema."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.META.get(META_KEY)  # not request.headers: that builds a dict of every header
        if key is None or not request.user.is_authenticated:
            return view_method(self, request, *args, **kwargs)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise ApplicationError(IdempotencyError.IDEMPOTENCY_KEY_INVALID, fields={HEADER: [key[:40]]})
        fingerprint = request_fingerprint(request)
        existing = _claim(request.user, key, fingerprint)
        if existing is not None:
            if existing.request_hash != fingerprint:
                raise ApplicationError(IdempotencyError.IDEMPOTENCY_KEY_REUSED, fields={HEADER: [key]})
            if existing.in_flight:
                raise ApplicationError(IdempotencyError.IDEMPOTENCY_REQUEST_IN_FLIGHT, fields={HEADER: [key]})
            return Response(
                existing.response_body, status=existing.response_status, headers={"Idempotent-Replayed": "true"}
            )
        try:
            try:
                response = view_method(self, request, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - render it as DRF would, then remember the answer
                response = self.handle_exception(exc)  # re-raises what DRF does not handle (a 500)
        except BaseException:
            IdempotencyKey.objects.filter(user=request.user, key=key).delete()  # not remembered: retry may run
            raise
        _remember(request.user, key, response)
        return response

    wrapper.kwargs = dict(getattr(view_method, "kwargs", {}))  # not shared with view_method (functools.wraps)
    return extend_schema(parameters=[IDEMPOTENCY_PARAMETER])(wrapper)


def idempotency_keys_purge(*, now=None) -> int:
    """Delete the keys whose time is up. Returns how many were deleted."""
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
