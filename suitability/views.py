"""Counter screens: the client's suitability card, the questionnaire (one long form) and the match check."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.errors import ApplicationError
from accounts.models import Client, ClientKind

from . import selectors, services
from .models import Audience, ConfirmationChannel, InvestorClass, MatchDecision, MatchOutcome


@login_required
@permission_required("suitability.view_assessment", raise_exception=True)
def suitability_card(request, client_id: int):
    client = get_object_or_404(Client, pk=client_id)
    context = {
        "client": client,
        "investor_class_label": InvestorClass(selectors.investor_class_current(client_id=client.pk)).label,
        "assessments": selectors.assessments_for_client(client_id=client.pk)[:20],
        "decisions": MatchDecision.objects.filter(client=client)
        .select_related("confirmation__staff")
        .order_by("-created_at", "-id")[:10],
    }
    return render(request, "suitability/card.html", context)


@login_required
@permission_required("suitability.add_assessment", raise_exception=True)
def assessment_form(request, client_id: int):
    client = get_object_or_404(Client, pk=client_id)
    audience = Audience.INSTITUTION if client.kind == ClientKind.INSTITUTION else Audience.INDIVIDUAL
    questionnaire = selectors.questionnaire_current(audience=audience)
    errors: dict = {}
    chosen: dict = {}
    if request.method == "POST" and questionnaire is not None:
        answers = {}
        for q in questionnaire.questions.all():
            picked = request.POST.getlist(q.code)
            if picked:
                answers[q.code] = picked if q.multi_select else picked[0]
        chosen = {k: (v if isinstance(v, list) else [v]) for k, v in answers.items()}
        # A missing or garbled hidden field means the form on screen: the current questionnaire (not a 500).
        posted_id = request.POST.get("questionnaire_id", "")
        questionnaire_id = int(posted_id) if posted_id.isdigit() else questionnaire.pk
        try:
            assessment = services.assessment_submit(
                actor=request.user,
                client=client,
                questionnaire_id=questionnaire_id,
                answers=answers,
            )
        except ApplicationError as exc:
            if exc.code != "answers_invalid":
                raise
            errors = exc.fields
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("测评完成：%(level)s（%(score)s分）")
                % {"level": assessment.risk_level, "score": assessment.total_score},
            )
            return redirect("suitability-card", client_id=client.pk)
    return render(
        request,
        "suitability/assess.html",
        {"client": client, "questionnaire": questionnaire, "errors": errors, "chosen": chosen},
    )


@login_required
@permission_required("suitability.match_product", raise_exception=True)
def match_check(request):
    decision = None
    if request.method == "POST":
        client = get_object_or_404(Client, client_no=request.POST.get("client_no", "").strip())
        code = request.POST.get("product_code", "").strip()
        product = selectors.product_active_by_code(code=code)
        if product is None:
            from .errors import SuitabilityError

            raise ApplicationError(SuitabilityError.PRODUCT_NOT_FOUND, code=code)
        decision = services.product_match(client=client, product=product, actor=request.user)
    return render(
        request,
        "suitability/match.html",
        {
            "decision": decision,
            "products": selectors.products_list().filter(active=True),
            "client_no": request.POST.get("client_no") or request.GET.get("client_no", ""),
            "channels": ConfirmationChannel.choices,
            "can_confirm": decision is not None
            and decision.outcome == MatchOutcome.MISMATCH
            and request.user.has_perm("suitability.add_mismatchconfirmation"),
        },
    )


@require_POST
@login_required
@permission_required("suitability.add_mismatchconfirmation", raise_exception=True)
def mismatch_confirm(request, decision_id: int):
    """The client has read and signed the special written warning: record it; the sale may go ahead."""
    decision = get_object_or_404(MatchDecision.objects.select_related("client"), pk=decision_id)
    channel = request.POST.get("channel", "")
    if channel not in ConfirmationChannel.values or request.POST.get("client_signed") != "on":
        messages.error(request, _("请选择确认渠道，并确认客户已阅读并签署特别风险警示书。"))
        return redirect(f"{reverse('suitability-match')}?client_no={decision.client.client_no}")
    services.mismatch_confirm(actor=request.user, decision_id=decision.pk, channel=channel)
    messages.success(
        request,
        _("已记录客户对特别风险警示的确认（匹配记录 #%(id)s），警示书将存入客户档案。") % {"id": decision.pk},
    )
    return redirect("suitability-card", client_id=decision.client_id)
