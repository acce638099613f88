"""Reads of the tiering stage: a client's tier, distributions, classification (分类) cross-tabs, migration."""

import datetime

from django.db import connection
from django.db.models import Case, CharField, Count, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Client, ClientStatus

from .models import (
    ClientTier,
    PolicyStatus,
    Tier,
    TierChange,
    TierEntitlement,
    TierOverride,
    TierPolicy,
    TierRecompute,
)

AGE_BANDS = ["<30", "30-45", "45-65", ">65", "未知"]
EXPERIENCE_BANDS = ["<1年", "1-3年", "3-5年", "5-10年", "≥10年", "未知"]
RISK_LEVELS = ["C1", "C2", "C3", "C4", "C5", "未测评"]

# dimension code -> (label, fixed order of values or None for "by count")
DIMENSIONS: dict[str, tuple[str, list[str] | None]] = {
    "tier": ("客户级别", [t.value for t in Tier] + ["未分级"]),
    "age_band": ("年龄段", AGE_BANDS),
    "education": ("学历", None),
    "occupation": ("职业", None),
    "experience_band": ("投资经验", EXPERIENCE_BANDS),
    "risk_level": ("风险承受能力", RISK_LEVELS),
    "kind": ("客户类型", None),
    "investor_class": ("投资者类别", None),
}


def label_for(dimension: str, value: str) -> str:
    """The display label of a stored value (tier code, client kind, investor class)."""
    from accounts.models import ClientKind
    from suitability.models import InvestorClass

    choices = {"tier": Tier, "kind": ClientKind, "investor_class": InvestorClass}.get(dimension)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    return value


def policy_active() -> TierPolicy | None:
    return TierPolicy.objects.filter(status=PolicyStatus.ACTIVE).first()


def policies_list() -> QuerySet[TierPolicy]:
    return TierPolicy.objects.select_related("created_by", "proposed_by", "activated_by").prefetch_related("rules")


def entitlements_by_tier() -> dict[str, TierEntitlement]:
    return {e.tier: e for e in TierEntitlement.objects.all()}


def client_tier_detail(*, client_id: int, history_limit: int = 50) -> dict:
    """A client's tier, its entitlements, its tier history and overrides (5 queries)."""
    current = ClientTier.objects.filter(client_id=client_id).first()
    entitlement = TierEntitlement.objects.filter(tier=current.tier).first() if current else None
    today = timezone.localdate()
    overrides = list(TierOverride.objects.filter(client_id=client_id).select_related("requested_by", "decided_by")[:20])
    active_override = next((o for o in overrides if o.status == "approved" and o.expires_on >= today), None)
    return {
        "tier": current,
        "entitlement": entitlement,
        "history": list(TierChange.objects.filter(client_id=client_id)[:history_limit]),
        "overrides": overrides,
        "active_override": active_override,
    }


def recompute_latest() -> TierRecompute | None:
    return TierRecompute.objects.order_by("-created_at", "-id").first()


def classified_clients(*, branch_id: int | None = None, filters: dict | None = None) -> QuerySet[Client]:
    """Clients (not closed) annotated with every classification dimension, filterable on any of them."""
    from suitability.models import Assessment, InvestorClassification

    today = timezone.localdate()

    def years_ago(n: int) -> datetime.date:
        try:
            return today.replace(year=today.year - n)
        except ValueError:  # 29 February
            return today.replace(year=today.year - n, day=28)

    qs = Client.objects.exclude(status=ClientStatus.CLOSED)
    if branch_id:
        qs = qs.filter(branch_id=branch_id)
    latest_risk = (
        Assessment.objects.filter(client=OuterRef("pk")).order_by("-assessed_at", "-id").values("risk_level")[:1]
    )
    current_class = InvestorClassification.objects.filter(client=OuterRef("pk"), is_current=True).values(
        "investor_class"
    )[:1]
    qs = qs.annotate(
        tier_code=Coalesce("tier__tier", Value("未分级"), output_field=CharField()),
        age_band=Case(
            When(birth_date__isnull=True, then=Value("未知")),
            When(birth_date__gt=years_ago(30), then=Value("<30")),
            When(birth_date__gt=years_ago(45), then=Value("30-45")),
            When(birth_date__gt=years_ago(65), then=Value("45-65")),
            default=Value(">65"),
            output_field=CharField(),
        ),
        experience_band=Case(
            When(investment_years__isnull=True, then=Value("未知")),
            When(investment_years__lt=1, then=Value("<1年")),
            When(investment_years__lt=3, then=Value("1-3年")),
            When(investment_years__lt=5, then=Value("3-5年")),
            When(investment_years__lt=10, then=Value("5-10年")),
            default=Value("≥10年"),
            output_field=CharField(),
        ),
        risk_level=Coalesce(Subquery(latest_risk), Value("未测评"), output_field=CharField()),
        investor_class=Coalesce(Subquery(current_class), Value("ordinary"), output_field=CharField()),
    )
    for dim, value in (filters or {}).items():
        if dim in DIMENSIONS and value:
            qs = qs.filter(**{("tier_code" if dim == "tier" else dim): value})
    return qs


def _column(dim: str) -> str:
    return "tier_code" if dim == "tier" else dim


def dimension_counts(*, dimension: str, branch_id: int | None = None, filters: dict | None = None) -> list[tuple]:
    """(value, count) for one dimension, in the dimension's fixed order or by count."""
    col = _column(dimension)
    rows = dict(
        classified_clients(branch_id=branch_id, filters=filters)
        .order_by()
        .values(col)
        .annotate(n=Count("id"))
        .values_list(col, "n")
    )
    order = DIMENSIONS[dimension][1]
    if order is not None:
        return [(v or "未填", rows.get(v, 0)) for v in order if rows.get(v, 0) or v in Tier.values]
    return sorted(((v or "未填", n) for v, n in rows.items()), key=lambda item: -item[1])


def crosstab(*, rows: str, cols: str, branch_id: int | None = None, filters: dict | None = None) -> dict:
    """A rows × cols count table of two dimensions (e.g. tier × age band)."""
    r, c = _column(rows), _column(cols)
    data = (
        classified_clients(branch_id=branch_id, filters=filters)
        .order_by()
        .values(r, c)
        .annotate(n=Count("id"))
        .values_list(r, c, "n")
    )
    cells: dict[tuple[str, str], int] = {}
    for rv, cv, n in data:
        cells[(rv or "未填", cv or "未填")] = n

    def axis(dim: str, pos: int) -> list[str]:
        present = {k[pos] for k in cells}
        order = DIMENSIONS[dim][1]
        if order is not None:
            return [v for v in order if v in present]
        return sorted(present)

    row_keys, col_keys = axis(rows, 0), axis(cols, 1)
    return {
        "rows": rows,
        "cols": cols,
        "row_keys": row_keys,
        "col_keys": col_keys,
        "col_labels": [label_for(cols, ck) for ck in col_keys],
        "table": [
            (
                label_for(rows, rk),
                [cells.get((rk, ck), 0) for ck in col_keys],
                sum(cells.get((rk, ck), 0) for ck in col_keys),
            )
            for rk in row_keys
        ],
    }


def migration_matrix(*, date_from: datetime.date, date_to: datetime.date, branch_id: int | None = None) -> dict:
    """How many clients moved from each tier on `date_from` to each tier on `date_to` (end of day), from the
    TierChange history. "-" means not yet tiered on that day."""
    branch_sql = "AND c.branch_id = %s" if branch_id else ""
    tier_at = f"""
        SELECT client_id, to_tier FROM (
            SELECT ch.client_id, ch.to_tier,
                   row_number() OVER (PARTITION BY ch.client_id ORDER BY ch.changed_at DESC, ch.id DESC) AS rn
            FROM tiering_tierchange ch JOIN accounts_client c ON c.id = ch.client_id
            WHERE ch.changed_at < %s {branch_sql}
        ) x WHERE rn = 1
    """  # noqa: S608  # nosec B608  # only a fixed branch filter is spliced; values are parameters

    def end_of(day: datetime.date) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min))

    params_from = [end_of(date_from), *([branch_id] if branch_id else [])]
    params_to = [end_of(date_to), *([branch_id] if branch_id else [])]
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT COALESCE(a.to_tier, '-'), b.to_tier, count(*)
            FROM ({tier_at}) b LEFT JOIN ({tier_at}) a ON a.client_id = b.client_id
            GROUP BY 1, 2
            """,  # noqa: S608  # nosec B608  # splices the fixed subquery above; values are parameters
            [*params_to, *params_from],
        )
        cells = {(f, t): n for f, t, n in cur.fetchall()}
    keys_from = ["A", "B", "C", "-"]
    keys_to = ["A", "B", "C"]
    return {
        "date_from": date_from,
        "date_to": date_to,
        "cols": keys_to,
        "rows": [(f, [cells.get((f, t), 0) for t in keys_to]) for f in keys_from],
        "max": max(cells.values(), default=0),
        "total": sum(cells.values()),
    }
