"""Serving a stored document over HTTP, shared by the page views and the API."""

from django.http import FileResponse, Http404

from .models import Document
from .services import document_open


def client_ip(request) -> str | None:
    # The address the request came from; behind a proxy, configure it to set REMOTE_ADDR.
    return request.META.get("REMOTE_ADDR") or None


def document_response(request, document_id: int, *, action: str) -> FileResponse:
    try:
        document, handle = document_open(
            actor=request.user, document_id=document_id, action=action, ip=client_ip(request)
        )
    except Document.DoesNotExist:
        raise Http404 from None
    response = FileResponse(
        handle,
        content_type=document.content_type,
        as_attachment=(action == "download"),
        filename=document.original_filename,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
