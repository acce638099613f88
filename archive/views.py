from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import selectors as accounts_selectors
from accounts.errors import ApplicationError
from accounts.masking import mask_id_number
from accounts.models import Client, ClientKind, PiiField
from accounts.services import client_pii_reveal

from . import selectors
from .checklist import Channel
from .forms import ChecklistForm, DocumentUploadForm
from .http import client_ip, document_response
from .models import AccessAction, Document
from .services import document_open, document_store
from .thumbnails import thumbnail_png


@require_GET
@login_required
def document_download(request, document_id: int):
    """Download a document of a client's file; the access is logged."""
    return document_response(request, document_id, action=AccessAction.DOWNLOAD)


@require_GET
@login_required
def document_view(request, document_id: int):
    """Show a document inline in the browser; the access is logged."""
    return document_response(request, document_id, action=AccessAction.VIEW)


@require_GET
@login_required
def document_thumbnail(request, document_id: int):
    """A small PNG of an image document for the client file page; logged as a thumbnail view."""
    if not Document.objects.filter(pk=document_id, content_type__startswith="image/").exists():
        raise Http404
    _document, handle = document_open(
        actor=request.user, document_id=document_id, action=AccessAction.THUMBNAIL, ip=client_ip(request)
    )
    with handle:
        png = thumbnail_png(handle)
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
@permission_required("archive.view_document", raise_exception=True)
def client_search(request):
    """客户查询: by name prefix, client number, or exact ID number (blind index); ID numbers shown masked.

    The query is POSTed so an ID number never lands in a URL (server logs, browser history, Referer).
    """
    query = request.POST.get("q", "").strip() if request.method == "POST" else ""
    clients = accounts_selectors.client_search(query=query) if query else []
    rows = [(c, mask_id_number(c.id_number)) for c in clients]
    return render(request, "archive/client_search.html", {"query": query, "rows": rows})


def _checklist_choice(request, client: Client) -> tuple[str, bool]:
    """The application type the checklist is shown for: from GET, else counter without an agent."""
    form = ChecklistForm(request.GET)
    form.is_valid()
    channel = form.cleaned_data.get("channel") or Channel.COUNTER
    has_agent = bool(form.cleaned_data.get("agent")) and client.kind == ClientKind.INDIVIDUAL
    return channel, has_agent


_PROFILE_FIELDS = [PiiField.ID_NUMBER, PiiField.PHONE, PiiField.ADDRESS, PiiField.LEGAL_REP_ID_NUMBER]


def _client_file_page(request, client: Client, *, upload_form=None, revealed: dict | None = None, status: int = 200):
    revealed = revealed or {}
    display = accounts_selectors.client_display(client, request.user)
    profile = [
        {
            "field": field,
            "label": PiiField(field).label,
            "value": revealed.get(field, display[field]),
            "revealed": field in revealed,
            "revealable": display["can_reveal"] and field in display["revealable"] and field not in revealed,
        }
        for field in _PROFILE_FIELDS
        if field in display
    ]
    channel, has_agent = _checklist_choice(request, client)
    checklist = selectors.client_file_checklist(client, channel=channel, has_agent=has_agent)
    can_upload = request.user.has_perm("archive.add_document")
    if upload_form is None and can_upload:
        upload_form = DocumentUploadForm(initial={"kind": request.GET.get("kind", "")})
    context = {
        "file_client": client,
        "display": display,
        "profile": profile,
        "channels": Channel.choices,
        "channel": channel,
        "has_agent": has_agent,
        "is_individual": client.kind == ClientKind.INDIVIDUAL,
        "checklist": checklist,
        "checklist_missing": sum(1 for item in checklist if not item.present),
        "checklist_query": urlencode({"channel": channel, "agent": "1" if has_agent else ""}),
        "upload_form": upload_form if can_upload else None,
        "upload_limit": getattr(settings, "ARCHIVE_MAX_UPLOAD_BYTES", 0),
        "documents": selectors.client_documents(client_id=client.pk),
        "accesses": selectors.client_document_accesses(client_id=client.pk),
        "reveals": accounts_selectors.client_pii_reveals(client_id=client.pk),
    }
    response = render(request, "archive/client_file.html", context, status=status)
    if revealed:
        response["Cache-Control"] = "private, no-store"  # a clear value is shown once, never cached
    return response


@require_GET
@login_required
@permission_required("archive.view_document", raise_exception=True)
def client_file(request, client_id: int):
    """客户档案: masked profile, completeness checklist, documents, who read them, upload."""
    client = get_object_or_404(Client, pk=client_id)
    return _client_file_page(request, client)


@require_POST
@login_required
@permission_required("archive.view_document", raise_exception=True)
def client_file_upload(request, client_id: int):
    """Store one uploaded file; a refused file shows the reason next to the field and stores nothing."""
    client = get_object_or_404(Client, pk=client_id)
    form = DocumentUploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            document = document_store(
                actor=request.user,
                client=client,
                kind=form.cleaned_data["kind"],
                content=upload.read(),
                filename=upload.name,
            )
        except ApplicationError as exc:
            if exc.status == 403:
                raise
            form.add_error("kind" if "kind" in exc.fields else "file", exc.message)
        else:
            messages.success(
                request,
                _("已存档：%(kind)s %(name)s")
                % {"kind": document.get_kind_display(), "name": document.original_filename},
            )
            query = urlencode({"channel": request.POST.get("channel", ""), "agent": request.POST.get("agent", "")})
            return redirect(f"{reverse('archive-client-file', args=[client.pk])}?{query}")
    for name in form.errors:  # tie each message to its field for screen readers
        if name in form.fields:
            form.fields[name].widget.attrs.update({"aria-invalid": "true", "aria-describedby": f"id_{name}-error"})
    return _client_file_page(request, client, upload_form=form, status=400)


@never_cache
@require_POST
@login_required
def client_file_reveal(request, client_id: int):
    """Show one masked field in clear, once, for this user; the reveal (or the refusal) is logged."""
    client = get_object_or_404(Client, pk=client_id)
    field = request.POST.get("field", "")
    value = client_pii_reveal(actor=request.user, client_id=client.pk, field=field, ip=client_ip(request))
    return _client_file_page(request, client, revealed={field: value})
