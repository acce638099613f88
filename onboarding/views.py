"""Pages for the counter clerk and the reviewer: the opening wizard, the application list, the review queue.

Each POST parses a form, calls one service and redirects back to the wizard; a refusal is shown next to
the field it concerns (or at the top of the step), and nothing is saved."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_http_methods, require_POST

from accounts.errors import ApplicationError
from accounts.masking import mask_id_number
from accounts.selectors import client_display

from . import selectors, services
from .forms import ApplicationFilterForm, ApplicationForm, CloseForm, DiscloseForm, ReviewForm
from .models import OPEN_STATUSES, Application, ApplicationStatus

S = ApplicationStatus
VIEW = "onboarding.view_application"
ACTION_LABELS = {
    "created": _l("创建申请"),
    "identity_verified": _l("身份核查通过"),
    "identity_failed": _l("身份核查未通过"),
    "identity_check_failed": _l("身份核查系统调用失败"),
    "disclosed": _l("风险揭示与协议签署"),
    "assessed": _l("适当性评估"),
    "submitted": _l("提交复核"),
    "approved": _l("复核通过"),
    "review_rejected": _l("复核驳回"),
    "csdc_open_failed": _l("中国结算开户调用失败"),
    "bank_bind_failed": _l("存管银行绑定调用失败"),
    "accounts_opened": _l("开立账户"),
    "withdrawn": _l("客户撤回"),
    "rejected": _l("驳回"),
    "callback_passed": _l("回访通过"),
    "activated": _l("账户激活"),
    "callback_failed": _l("回访未通过"),
}


def _status_label(value: str) -> str:
    return str(S(value).label) if value in S.values else value


def _field_errors(form, exc: ApplicationError) -> None:
    """Put a service refusal next to the fields it names; the message also goes on top of the form."""
    placed = False
    for name in exc.fields:
        target = getattr(form, "FIELD_ALIASES", {}).get(name, name)
        if target and target in form.fields:
            form.add_error(target, exc.message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)
    for name in form.errors:
        if name in form.fields:
            form.fields[name].widget.attrs.update({"aria-invalid": "true", "aria-describedby": f"id_{name}-error"})


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("onboarding.add_application", raise_exception=True)
def application_new(request):
    """新建开户申请: channel, client, agent, witness, certificate, bank."""
    form = ApplicationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                app = services.application_create(actor=request.user, **form.service_kwargs())
            except ApplicationError as exc:
                if exc.status == 403:
                    raise
                _field_errors(form, exc)
            else:
                messages.success(request, _("已创建开户申请 #%(id)s，下一步：身份核查。") % {"id": app.pk})
                return redirect("onboarding-wizard", application_id=app.pk)
        status = 400
    return render(request, "onboarding/new.html", {"form": form}, status=status)


def _wizard(request, app_id: int, *, forms: dict | None = None, error: ApplicationError | None = None, status=200):
    try:
        app = selectors.application_detail(application_id=app_id)
    except Application.DoesNotExist:
        raise Http404 from None
    checklist = selectors.application_checklist(app)
    complete = all(item.present for item in checklist)
    steps = selectors.application_steps(app, documents_complete=complete)
    forms = forms or {}
    user = request.user
    assessment_problem = services.assessment_problem(app.client) if app.status == S.DISCLOSED else None
    display = client_display(app.client, user)
    file_query = urlencode({"channel": app.channel, "agent": "1" if app.has_agent else ""})
    context = {
        "app": app,
        "display": display,
        "agent_id_masked": mask_id_number(app.agent_id_number),
        "steps": steps,
        "current": next((s.code for s in steps if s.state in ("current", "blocked")), None),
        "checklist": checklist,
        "documents_complete": complete,
        "missing_count": sum(1 for i in checklist if not i.present),
        "file_url": f"{reverse('archive-client-file', args=[app.client_id])}?{file_query}",
        "assessment_problem": assessment_problem,
        "can_change": user.has_perm("onboarding.change_application"),
        "can_review": user.has_perm("onboarding.review_application") and app.created_by_id != user.pk,
        "is_maker": app.created_by_id == user.pk,
        "can_open": user.has_perm("onboarding.open_accounts"),
        "can_assess": user.has_perm("suitability.add_assessment"),
        "is_open": app.status in OPEN_STATUSES,
        "disclose_form": forms.get("disclose") or DiscloseForm(user=user),
        "review_form": forms.get("review") or ReviewForm(),
        "close_form": forms.get("close") or CloseForm(),
        "error": error,
        "events": [
            {
                "at": e.created_at,
                "action": ACTION_LABELS.get(e.action, e.action),
                "from": _status_label(e.from_status),
                "to": _status_label(e.to_status),
                "actor": e.actor,
                "reason": e.reason,
            }
            for e in app.events.all()
        ],  # fmt: skip
        "identity_checks": app.identity_checks.all(),
    }
    return render(request, "onboarding/wizard.html", context, status=status)


@login_required
@permission_required(VIEW, raise_exception=True)
def application_wizard(request, application_id: int):
    """One application: the steps (done / current / blocked) and the form for the step that is next."""
    return _wizard(request, application_id)


def _step(request, application_id: int, call, *, success: str, form_name: str | None = None, form=None):
    """Run one step service; on a refusal show the wizard again with the reason at the step."""
    if form is not None and not form.is_valid():
        return _wizard(request, application_id, forms={form_name: form}, status=400)
    try:
        call()
    except ApplicationError as exc:
        if exc.status == 403:
            raise
        if form is not None:
            _field_errors(form, exc)
            return _wizard(request, application_id, forms={form_name: form}, error=exc, status=exc.status)
        return _wizard(request, application_id, error=exc, status=exc.status)
    messages.success(request, success)
    return redirect("onboarding-wizard", application_id=application_id)


@require_POST
@login_required
def identity_check(request, application_id: int):
    return _step(
        request, application_id,
        lambda: services.application_identity_verify(actor=request.user, application_id=application_id),
        success=_("身份核查通过。"),
    )  # fmt: skip


@require_POST
@login_required
def disclose(request, application_id: int):
    form = DiscloseForm(request.POST, user=request.user)

    def call():
        services.application_disclose(
            actor=request.user, application_id=application_id,
            risk_disclosure_id=form.cleaned_data["risk_disclosure"].pk,
            agreement_id=form.cleaned_data["agreement"].pk, educator=form.cleaned_data["educator"],
        )  # fmt: skip

    return _step(request, application_id, call, success=_("已记录风险揭示与协议签署。"), form_name="disclose",
                 form=form)  # fmt: skip


@require_POST
@login_required
def assess(request, application_id: int):
    return _step(
        request, application_id,
        lambda: services.application_assess(actor=request.user, application_id=application_id),
        success=_("已关联有效的适当性评估。"),
    )  # fmt: skip


@require_POST
@login_required
def submit(request, application_id: int):
    return _step(
        request, application_id,
        lambda: services.application_submit(actor=request.user, application_id=application_id),
        success=_("已提交复核。"),
    )  # fmt: skip


@require_POST
@login_required
def review(request, application_id: int):
    form = ReviewForm(request.POST)

    def call():
        services.application_review(
            actor=request.user, application_id=application_id,
            approve=form.cleaned_data["decision"] == "approve", note=form.cleaned_data["note"],
        )  # fmt: skip

    return _step(request, application_id, call, success=_("复核已完成。"), form_name="review", form=form)


@require_POST
@login_required
def open_accounts(request, application_id: int):
    return _step(
        request, application_id,
        lambda: services.application_accounts_open(actor=request.user, application_id=application_id),
        success=_("账户已开立，待回访后激活。"),
    )  # fmt: skip


@require_POST
@login_required
def close(request, application_id: int):
    form = CloseForm(request.POST)
    withdraw = request.POST.get("action") == "withdraw"

    def call():
        services.application_close(
            actor=request.user, application_id=application_id, withdraw=withdraw, reason=form.cleaned_data["reason"]
        )

    return _step(request, application_id, call, success=_("申请已撤回。") if withdraw else _("申请已驳回。"),
                 form_name="close", form=form)  # fmt: skip


@login_required
@permission_required(VIEW, raise_exception=True)
def application_list(request):
    """开户申请列表 with filters; paginated."""
    form = ApplicationFilterForm(request.GET or None)
    filters = {}
    if form.is_bound and form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if k != "mine" and v not in (None, "")}
        if form.cleaned_data.get("mine"):
            filters["created_by"] = request.user
    page = Paginator(selectors.applications(**filters), 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "onboarding/list.html", {"form": form, "page": page, "query": query.urlencode()})


@login_required
@permission_required("onboarding.review_application", raise_exception=True)
def review_queue(request):
    """复核队列: submitted applications entered by someone else, oldest first."""
    page = Paginator(selectors.applications_for_review(user=request.user), 25).get_page(request.GET.get("page"))
    return render(request, "onboarding/queue.html", {"page": page})


@login_required
@permission_required("accounts.view_client", raise_exception=True)
def client_overview(request, client_id: int):
    """The client page: masked profile, accounts and their status, suitability, applications, history."""
    from suitability.models import InvestorClass

    data = selectors.client_overview(client_id=client_id)
    changes = []
    for record in data["changes"]:
        previous = record.prev_record
        fields = [c.field for c in record.diff_against(previous).changes] if previous else []
        changes.append({"record": record, "fields": [str(record._meta.get_field(f).verbose_name) for f in fields]})
    return render(
        request,
        "onboarding/client_overview.html",
        {
            **data,
            "profile": client_display(data["client"], request.user),
            "investor_class_label": InvestorClass(data["investor_class"]).label,
            "change_rows": changes,
        },
    )
