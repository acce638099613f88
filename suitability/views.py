"""Counter screens: the client's suitability card, the questionnaire (one long form) and the match check."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.errors import ApplicationError
from accounts.models import Client, ClientKind

from . import selectors, services
from .models import Audience, MatchDecision


@login_required
@permission_required("suitability.view_assessment", raise_exception=True)
def suitability_card(request, client_id: int):
    client = get_object_or_404(Client, pk=client_id)
    context = {
        "client": client,
        "investor_class": selectors.investor_class_current(client_id=client.pk),
        "assessments": selectors.assessments_for_client(client_id=client.pk)[:20],
        "decisions": MatchDecision.objects.filter(client=client).order_by("-created_at")[:10],
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
        try:
            assessment = services.assessment_submit(
                actor=request.user,
                client=client,
                questionnaire_id=int(request.POST["questionnaire_id"]),
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
        {"decision": decision, "products": selectors.products_list().filter(active=True)},
    )
