"""Audit explorer and dossier export pages for compliance officers (SPEC §8)."""

import csv

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.errors import ApplicationError
from accounts.models import Client

from . import selectors_audit, services
from .http import client_ip
from .models import DossierExport

AUDIT_PERM = "archive.view_audit"
EXPORT_PERM = "archive.export_dossier"


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    change_type = forms.ChoiceField(
        label=_("变更类型"),
        required=False,
        choices=[("", _("全部")), ("+", _("新增 +")), ("~", _("修改 ~")), ("-", _("删除 -"))],
    )


def _filter(request) -> tuple[AuditFilterForm, selectors_audit.AuditFilter]:
    """Filters always come from the query string (a reveal POST keeps them there too)."""
    form = AuditFilterForm(request.GET or None)
    flt = selectors_audit.AuditFilter()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        flt = selectors_audit.AuditFilter(data["date_from"], data["date_to"], data["change_type"])
    return form, flt


def _timeline_response(request, *, title: str, entries, form, csv_name: str, extra: dict | None = None):
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{csv_name}-{timezone.localdate():%Y%m%d}.csv"'
        response.write("\ufeff")
        csv.writer(response).writerows(selectors_audit.audit_csv_rows(entries))
        return response
    query = request.GET.copy()
    query["format"] = "csv"
    context = {
        "filter_query": request.GET.urlencode(),
        "title": title,
        "entries": entries,
        "form": form,
        "csv_query": query.urlencode(),
        "limit": selectors_audit.DEFAULT_LIMIT,
        "can_reveal": request.user.has_perm("accounts.reveal_personal_data"),
        **(extra or {}),
    }
    response = render(request, "archive/audit/timeline.html", context)
    if context.get("revealed"):
        response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@login_required
@permission_required(AUDIT_PERM, raise_exception=True)
def audit_index(request):
    """Entry page: find a client, a staff member or a model to look at."""
    q = request.GET.get("q", "").strip()
    clients = Client.objects.filter(client_no__icontains=q) | Client.objects.filter(name__icontains=q) if q else []
    staff = get_user_model().objects.filter(groups__isnull=False).distinct().order_by("username")
    context = {
        "q": q,
        "clients": list(clients[:50]) if q else [],
        "staff": staff,
        "models": selectors_audit.audit_model_choices(),
    }
    return render(request, "archive/audit/index.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@permission_required(AUDIT_PERM, raise_exception=True)
def audit_client(request, client_id: int):
    """A client's timeline, masked. A POST is the explicit "show personal data" action: it goes through the
    logged reveal (a PiiReveal row per field) and answers with the timeline in clear, never cached."""
    client = get_object_or_404(Client, pk=client_id)
    form, flt = _filter(request)
    reveal = False
    if request.method == "POST":
        try:
            services.audit_client_reveal(actor=request.user, client_id=client.pk, ip=client_ip(request))
        except ApplicationError as exc:
            return HttpResponse(exc.message_in("zh"), status=exc.status, content_type="text/plain; charset=utf-8")
        reveal = True
    limit = None if request.GET.get("format") == "csv" else selectors_audit.DEFAULT_LIMIT
    entries = selectors_audit.client_timeline(client_id=client.pk, flt=flt, reveal=reveal, limit=limit)
    exports = DossierExport.objects.filter(client=client).select_related("requested_by").order_by("-pk")[:10]
    return _timeline_response(
        request,
        title=f"{client.client_no} {client.name}",
        entries=entries,
        form=form,
        csv_name=f"audit-{client.client_no}",
        extra={
            "audit_client": client,
            "exports": exports,
            "can_export": request.user.has_perm(EXPORT_PERM),
            "revealed": reveal,
        },
    )


@require_GET
@login_required
@permission_required(AUDIT_PERM, raise_exception=True)
def audit_staff(request, user_id: int):
    staff = get_object_or_404(get_user_model(), pk=user_id)
    form, flt = _filter(request)
    limit = None if request.GET.get("format") == "csv" else selectors_audit.DEFAULT_LIMIT
    # Spans many clients: always masked; personal data is revealed per client on the client timeline.
    entries = selectors_audit.staff_timeline(user_id=staff.pk, flt=flt, reveal=False, limit=limit)
    return _timeline_response(
        request,
        title=_("人员 %(u)s") % {"u": staff.username},
        entries=entries,
        form=form,
        csv_name=f"audit-staff-{staff.pk}",
    )


@require_GET
@login_required
@permission_required(AUDIT_PERM, raise_exception=True)
def audit_model(request, model_label: str):
    choices = dict(selectors_audit.audit_model_choices())
    if model_label not in choices:
        raise Http404
    form, flt = _filter(request)
    limit = None if request.GET.get("format") == "csv" else selectors_audit.DEFAULT_LIMIT
    entries = selectors_audit.model_timeline(model_label=model_label, flt=flt, reveal=False, limit=limit)
    return _timeline_response(
        request, title=str(choices[model_label]), entries=entries, form=form, csv_name=f"audit-{model_label}"
    )


@require_GET
@login_required
@permission_required(AUDIT_PERM, raise_exception=True)
def audit_chain(request):
    """Verify the tamper-evidence chain now and show the first broken link, if any."""
    report = services.chain_verify()
    return render(request, "archive/audit/chain.html", {"report": report, "checked_at": timezone.now()})


@require_POST
@login_required
@permission_required(EXPORT_PERM, raise_exception=True)
def dossier_request(request, client_id: int):
    get_object_or_404(Client, pk=client_id)
    export = services.dossier_export_request(actor=request.user, client_id=client_id, ip=client_ip(request))
    return redirect("audit-dossier", export_id=export.pk)


@require_GET
@login_required
@permission_required(EXPORT_PERM, raise_exception=True)
def dossier_page(request, export_id: int):
    export = get_object_or_404(DossierExport.objects.select_related("client", "requested_by"), pk=export_id)
    events = export.events.select_related("actor").order_by("-at", "-pk")
    return render(request, "archive/audit/dossier.html", {"export": export, "events": events})


@require_GET
@login_required
@permission_required(EXPORT_PERM, raise_exception=True)
def dossier_status(request, export_id: int):
    export = get_object_or_404(DossierExport, pk=export_id)
    return JsonResponse(
        {
            "status": export.status,
            "status_label": str(export.get_status_display()),
            "progress": export.progress,
            "sha256": export.sha256,
            "size": export.size,
            "error": export.error,
            "download_url": reverse("audit-dossier-download", args=[export.pk]) if export.status == "done" else None,
        }
    )


@require_GET
@login_required
@permission_required(EXPORT_PERM, raise_exception=True)
def dossier_download(request, export_id: int):
    try:
        export, handle = services.dossier_export_open(actor=request.user, export_id=export_id, ip=client_ip(request))
    except DossierExport.DoesNotExist:
        raise Http404 from None
    except ApplicationError as exc:
        return HttpResponse(exc.message_in("zh"), status=exc.status, content_type="text/plain; charset=utf-8")
    response = FileResponse(
        handle,
        content_type="application/zip",
        as_attachment=True,
        filename=f"dossier-{export.client.client_no}-{export.pk}.zip",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-SHA256"] = export.sha256
    return response
