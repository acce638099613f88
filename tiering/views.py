"""Staff screens of the tiering stage: dashboards, migration matrix, policies with what-if, client tier page."""

import datetime
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import connection
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.errors import ApplicationError
from accounts.models import Branch, Client

from . import charts, selectors, services
from .models import Tier

DASH_PERM = "tiering.view_tier_dashboard"
STRUCTURE_DIMENSIONS = [
    "age_band",
    "education",
    "occupation",
    "experience_band",
    "risk_level",
    "kind",
    "investor_class",
]


def _labelled(dim: str, counts: list[tuple[str, int]]) -> list[tuple[str, int]]:
    return [(selectors.label_for(dim, value), n) for value, n in counts]


def TIER_LABEL_COLORS() -> dict[str, str]:  # noqa: N802
    return {selectors.label_for("tier", code): color for code, color in charts.TIER_COLORS.items()}


def _branch_id(request) -> int | None:
    value = request.GET.get("branch", "")
    return int(value) if value.isdigit() else None


@login_required
@permission_required(DASH_PERM, raise_exception=True)
def dashboard(request):
    branch_id = _branch_id(request)
    filters = {d: request.GET.get(d, "") for d in selectors.DIMENSIONS if request.GET.get(d)}
    tiers = _labelled("tier", selectors.dimension_counts(dimension="tier", branch_id=branch_id, filters=filters))
    structure = []
    for dim in STRUCTURE_DIMENSIONS:
        label = selectors.DIMENSIONS[dim][0]
        counts = _labelled(dim, selectors.dimension_counts(dimension=dim, branch_id=branch_id, filters=filters))
        structure.append({"dim": dim, "label": label, "svg": charts.bar_chart(counts, title=label)})
    rows = request.GET.get("rows", "tier")
    cols = request.GET.get("cols", "age_band")
    if rows not in selectors.DIMENSIONS:
        rows = "tier"
    if cols not in selectors.DIMENSIONS:
        cols = "age_band"
    context = {
        "branches": Branch.objects.order_by("code"),
        "branch_id": branch_id,
        "dimensions": selectors.DIMENSIONS,
        "filters": filters,
        "tier_bar": charts.bar_chart(tiers, title=_("客户级别分布"), colors=TIER_LABEL_COLORS()),
        "tier_stack": charts.stacked_bar(tiers, title=_("客户级别占比"), colors=TIER_LABEL_COLORS()),
        "tier_total": sum(n for _t, n in tiers),
        "structure": structure,
        "crosstab": selectors.crosstab(rows=rows, cols=cols, branch_id=branch_id, filters=filters),
        "crosstab_labels": (selectors.DIMENSIONS[rows][0], selectors.DIMENSIONS[cols][0]),
        "latest_run": selectors.recompute_latest(),
        "active_policy": selectors.policy_active(),
        "is_postgres": connection.vendor == "postgresql",
    }
    return render(request, "tiering/dashboard.html", context)


def _date(value: str, default: datetime.date) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return default


@login_required
@permission_required(DASH_PERM, raise_exception=True)
def migration(request):
    today = timezone.localdate()
    date_to = _date(request.GET.get("to", ""), today)
    date_from = _date(request.GET.get("from", ""), date_to - datetime.timedelta(days=30))
    branch_id = _branch_id(request)
    matrix = selectors.migration_matrix(date_from=date_from, date_to=date_to, branch_id=branch_id)
    peak = matrix["max"] or 1
    rows = [
        (
            f,
            [
                (n, round(0.08 + 0.6 * n / peak, 2), f != "-" and f != t)
                for n, t in zip(counts, matrix["cols"], strict=True)
            ],
        )
        for f, counts in matrix["rows"]
    ]
    return render(
        request,
        "tiering/migration.html",
        {"matrix": matrix, "rows": rows, "branches": Branch.objects.order_by("code"), "branch_id": branch_id},
    )


@login_required
@permission_required("tiering.recompute_tiers", raise_exception=True)
@require_POST
def recompute_start(request):
    try:
        run = services.tier_recompute_request(actor=request.user)
    except ApplicationError as exc:
        if exc.status != 409:  # a refusal (permission) stays a refusal; a run already active is a notice
            raise
        messages.warning(request, exc.message)
    else:
        messages.success(request, _("已提交分级重算 #%(id)s。") % {"id": run.pk})
    return redirect("tiering-dashboard")


@login_required
@permission_required("tiering.view_tierpolicy", raise_exception=True)
def policy_list(request):
    return render(request, "tiering/policy_list.html", {"policies": selectors.policies_list()})


@login_required
@permission_required("tiering.view_tierpolicy", raise_exception=True)
def policy_detail(request, policy_id: int):
    policy = get_object_or_404(selectors.policies_list(), pk=policy_id)
    what_if = None
    error = None
    if request.GET.get("whatif"):
        try:
            what_if = services.policy_what_if(actor=request.user, policy_id=policy.pk)
        except ApplicationError as exc:
            error = exc.message
    if what_if:
        dist = [(selectors.label_for("tier", t), what_if["distribution"][t]) for t in Tier.values]
        what_if["svg"] = charts.bar_chart(dist, title=_("试算分布"), colors=TIER_LABEL_COLORS())
    rules_json = json.dumps(services.policy_rules(policy), ensure_ascii=False, indent=2)
    return render(
        request,
        "tiering/policy_detail.html",
        {"policy": policy, "what_if": what_if, "error": error, "rules_json": rules_json},
    )


@login_required
@require_POST
def policy_action(request, policy_id: int, action: str):
    try:
        if action == "propose":
            services.policy_propose(actor=request.user, policy_id=policy_id)
            messages.success(request, _("已提交审批。"))
        elif action == "approve":
            services.policy_approve(actor=request.user, policy_id=policy_id)
            messages.success(request, _("已审批并生效。"))
        elif action == "copy":
            try:
                rules = json.loads(request.POST.get("rules", ""))
            except ValueError:
                rules = None
            policy = services.policy_draft_create(
                actor=request.user, rules=rules, note=request.POST.get("note", ""), based_on_id=policy_id
            )
            messages.success(request, _("已创建草稿第 %(v)s 版。") % {"v": policy.version})
            return redirect("tiering-policy", policy_id=policy.pk)
    except ApplicationError as exc:
        if exc.code == "permission_denied":  # a refusal is a 403 page, not a redirect with a message
            raise
        messages.error(request, exc.message)
    return redirect("tiering-policy", policy_id=policy_id)


@login_required
@permission_required("tiering.view_clienttier", raise_exception=True)
def client_tier(request, client_id: int):
    client = get_object_or_404(Client.objects.select_related("branch"), pk=client_id)
    if request.method == "POST":
        try:
            if "decide" in request.POST:
                services.tier_override_decide(
                    actor=request.user,
                    override_id=int(request.POST["override_id"]),
                    approve=request.POST["decide"] == "approve",
                )
                messages.success(request, _("已处理人工调整。"))
            else:
                services.tier_override_request(
                    actor=request.user,
                    client_id=client.pk,
                    tier=request.POST.get("tier", ""),
                    reason=request.POST.get("reason", ""),
                    expires_on=_date(request.POST.get("expires_on", ""), timezone.localdate()),
                )
                messages.success(request, _("已提交人工调整，待第二人审批。"))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("tiering-client", client_id=client.pk)
    detail = selectors.client_tier_detail(client_id=client.pk)
    return render(request, "tiering/client_tier.html", {"client": client, "tiers": Tier.choices, **detail})
