"""Staff pages for client data changes (SPEC §4): the change form on the client page, the reviewer's queue,
a request's timeline with its CSDC steps, and the manual-handling queue."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from . import ports, selectors, services
from .errors import ApplicationError
from .forms import ChangeRequestForm
from .models import ChangeRequest, ChangeStatus, Client, SyncTarget

VIEW = "accounts.view_changerequest"
ACTION_LABELS = {
    "submitted": "经办提交", "approved": "复核通过", "rejected": "复核驳回", "sync_started": "开始同步",
    "csdc_ymt_query": "中登查询一码通", "csdc_ymt_query_unavailable": "中登查询失败（暂时不可用）",
    "csdc_key_info_update": "中登关键信息变更", "csdc_key_info_update_unavailable": "中登变更失败（暂时不可用）",
    "csdc_ordinary_info_update": "中登资料同步", "csdc_ordinary_info_update_unavailable": "中登同步失败（暂时不可用）",
    "blocked_link": "关联关系未确认", "csdc_link_confirm": "中登确认关联关系", "resumed": "继续办理",
    "csdc_refused": "中登拒绝", "manual": "转人工处理", "applied": "变更生效", "slip_filed": "确认单归档",
    "callback_created": "创建回访任务",
}  # fmt: skip
IDENTITY_LABELS = {"match": "一致", "not_applicable": "柜台核验证件", "unavailable": "系统不可用"}


def _page(request, qs):
    return Paginator(qs, 25).get_page(request.GET.get("page"))


@login_required
@permission_required(VIEW, raise_exception=True)
def change_client_search(request):
    query = request.GET.get("q", "").strip()
    clients = selectors.client_search(query=query) if query else []
    return render(request, "accounts/changes/client_search.html", {"query": query, "clients": clients})


@login_required
@permission_required(VIEW, raise_exception=True)
@require_http_methods(["GET", "POST"])
def change_client(request, client_id: int):
    """The client page for data changes: current data (masked), the change form, past requests."""
    client = get_object_or_404(Client.objects.select_related("branch"), pk=client_id)
    can_create = request.user.has_perm("accounts.add_changerequest")
    status = 200
    documents_error = ""
    if request.method == "POST" and can_create:
        form = ChangeRequestForm(request.POST, request.FILES, client=client)
        if form.is_valid():
            try:
                req = services.change_request_create(
                    actor=request.user, client_id=client.pk, client_version=form.cleaned_data["client_version"],
                    changes=form.changes(), sync_targets=form.cleaned_data["sync_targets"],
                    documents=form.cleaned_data["documents"], uploads=form.uploads(),
                    note=form.cleaned_data["note"],
                )  # fmt: skip
            except ApplicationError as exc:
                form.add_error(None, exc.message)
                for field, _errors in exc.fields.items():
                    if field in ("documents", "file"):  # missing/invalid documents, or a refused upload
                        documents_error = exc.message
                    elif field in form.fields:
                        form.add_error(field, exc.message)
                status = exc.status
            else:
                messages.success(request, f"资料变更申请 #{req.pk} 已提交，等待复核。")
                return redirect("change-detail", req.pk)
        else:
            status = 400
    else:
        form = ChangeRequestForm(initial={"client_version": client.version}, client=client)
    context = {
        "client": client,
        "display": selectors.client_display(client, request.user),
        "form": form,
        "can_create": can_create,
        "requests": selectors.change_requests(client_id=client.pk)[:20],
        "sync_choices": SyncTarget.choices,
        "documents_error": documents_error,
    }
    return render(request, "accounts/changes/client.html", context, status=status)


@login_required
@permission_required(VIEW, raise_exception=True)
def change_detail(request, request_id: int):
    req = get_object_or_404(ChangeRequest.objects.select_related("client", "created_by__staff", "reviewed_by__staff"),
                            pk=request_id)  # fmt: skip
    user = request.user
    statuses = dict(ChangeStatus.choices)
    kinds = ports.document_kinds_for(req.client_id, req.documents) if req.documents else {}
    context = {
        "req": req,
        "rows": selectors.change_request_rows(req),
        "events": [
            {
                "e": e,
                "label": ACTION_LABELS.get(e.action, e.action),
                "from": statuses.get(e.from_status, ""),
                "to": statuses.get(e.to_status, ""),
            }  # fmt: skip
            for e in req.events.select_related("actor__staff").order_by("at", "pk")
        ],
        "identity_label": IDENTITY_LABELS.get(req.identity_result, req.identity_result),
        "can_review": req.status == "submitted"
        and user.has_perm("accounts.review_changerequest")
        and req.created_by_id != user.pk,
        "own_request": req.created_by_id == user.pk,
        "can_handle": user.has_perm("accounts.handle_changerequest"),
        "sync_labels": [str(dict(SyncTarget.choices).get(t, t)) for t in req.sync_targets],
        "documents": [
            {"id": d, "label": ports.CHANGE_DOCUMENT_LABELS.get(kinds.get(d, ""), "")} for d in req.documents
        ],
    }
    return render(request, "accounts/changes/detail.html", context)


@login_required
@require_POST
def change_action(request, request_id: int):
    """Approve, reject, confirm CSDC links or resume: each is one service; refusals come back as messages."""
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "")
    try:
        if action in ("approve", "reject"):
            services.change_request_review(actor=request.user, request_id=request_id, approve=action == "approve",
                                           reason=reason)  # fmt: skip
            messages.success(request, "已复核通过。" if action == "approve" else "已驳回。")
        elif action == "link_confirm":
            services.change_request_link_confirm(actor=request.user, request_id=request_id)
            messages.success(request, "关联关系已确认，变更继续办理。")
        elif action == "resume":
            services.change_request_resume(actor=request.user, request_id=request_id, reason=reason)
            messages.success(request, "已重新发送同步。")
        else:
            messages.error(request, "未知操作。")
    except ApplicationError as exc:
        if exc.code == "permission_denied":  # a refusal is a 403 page, not a redirect with a message
            raise
        messages.error(request, exc.message)
    return redirect("change-detail", request_id)


@login_required
@permission_required("accounts.review_changerequest", raise_exception=True)
def change_queue(request):
    page = _page(request, selectors.change_requests_for_review(user=request.user))
    return render(request, "accounts/changes/queue.html", {"page": page, "title": "资料变更复核队列", "kind": "review"})


@login_required
@permission_required("accounts.handle_changerequest", raise_exception=True)
def change_manual(request):
    page = _page(request, selectors.change_requests_manual())
    return render(
        request, "accounts/changes/queue.html", {"page": page, "title": "资料变更待处理队列", "kind": "manual"}
    )
