"""Every write of the tiering stage (SPEC §7): metrics import, policies, recompute, what-if, overrides.

The recompute compiles the active policy's rules into SQL and runs it set-based on PostgreSQL (window
functions over each client's latest metrics); see docs/decisions/0008-tier-percentiles.md for the exact
meaning of "top p%".
"""

import datetime
import logging
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.access import require_different_person, require_perm
from accounts.audit import audited_save
from accounts.errors import ApplicationError
from accounts.models import Client, ClientStatus

from .errors import TieringError
from .models import (
    TIER_RANK,
    ClientMetric,
    ClientTier,
    Metric,
    OverrideStatus,
    PolicyStatus,
    Tier,
    TierChange,
    TierOverride,
    TierPolicy,
    TierRecompute,
    TierRecomputeStatus,
    TierRule,
)

logger = logging.getLogger(__name__)

THRESHOLD_OPS = {">=": ">=", ">": ">", "<=": "<=", "<": "<", "=": "="}
METRIC_LABELS = {m.value: str(m.label) for m in Metric}
RECOMPUTE_LOCK_KEY = 7_000_701  # pg advisory lock: one recompute at a time
RECOMPUTE_REQUEST_LOCK_KEY = 7_000_702  # pg advisory xact lock: requests check for an active run one at a time
# Longer than the task's time limit (3300 s): a run queued or started before this was lost and blocks nothing.
RECOMPUTE_ACTIVE_FOR = datetime.timedelta(hours=1)


# ---------------------------------------------------------------------------------------------- policies


def policy_rules_validate(rules: list[dict]) -> list[dict]:
    """Normalise and check a policy's rules: tiers A, B, C in this order; any-of criteria; the last tier is
    the catch-all (no criteria) and only the last one is."""

    def bad(reason: str) -> ApplicationError:
        return ApplicationError(TieringError.POLICY_INVALID, reason=reason)

    if not isinstance(rules, list) or [r.get("tier") for r in rules if isinstance(r, dict)] != [t.value for t in Tier]:
        raise bad("tiers must be A, B, C in this order")
    clean: list[dict] = []
    for position, rule in enumerate(rules):
        criteria = rule.get("criteria") or []
        last = position == len(rules) - 1
        if last and criteria:
            raise bad(f"the last tier ({rule['tier']}) takes the rest and has no criteria")
        if not last and not criteria:
            raise bad(f"tier {rule['tier']} needs at least one criterion")
        out = []
        for c in criteria:
            if not isinstance(c, dict) or c.get("metric") not in METRIC_LABELS:
                raise bad(f"tier {rule['tier']}: unknown metric {c.get('metric') if isinstance(c, dict) else c!r}")
            if "top_percent" in c:
                try:
                    pct = Decimal(str(c["top_percent"]))
                except InvalidOperation:
                    raise bad(f"tier {rule['tier']}: top_percent must be a number") from None
                if not (0 < pct <= 100):
                    raise bad(f"tier {rule['tier']}: top_percent must be in (0, 100]")
                out.append({"metric": c["metric"], "top_percent": float(pct)})
            else:
                if c.get("op") not in THRESHOLD_OPS:
                    raise bad(f"tier {rule['tier']}: op must be one of {', '.join(THRESHOLD_OPS)}")
                try:
                    value = Decimal(str(c.get("value")))
                except InvalidOperation:
                    raise bad(f"tier {rule['tier']}: value must be a number") from None
                if value < 0:
                    raise bad(f"tier {rule['tier']}: value must not be negative")
                out.append({"metric": c["metric"], "op": c["op"], "value": float(value)})
        name = (rule.get("name") or "").strip() or str(Tier(rule["tier"]).label)
        clean.append({"tier": rule["tier"], "name": name[:40], "criteria": out})
    return clean


def policy_draft_create(*, actor, rules: list[dict], note: str = "", based_on_id: int | None = None) -> TierPolicy:
    """Editing a policy = a new draft version (versions never change once proposed)."""
    require_perm(actor, "tiering.add_tierpolicy")
    clean = policy_rules_validate(rules)
    with transaction.atomic():
        last = TierPolicy.objects.select_for_update().order_by("-version").first()
        policy = TierPolicy(
            version=(last.version + 1) if last else 1,
            status=PolicyStatus.DRAFT,
            note=note[:300],
            based_on_id=based_on_id,
            created_by=actor,
        )
        audited_save(policy, actor=actor, reason="draft created")
        for order, rule in enumerate(clean, start=1):
            audited_save(
                TierRule(policy=policy, tier=rule["tier"], name=rule["name"], order=order, criteria=rule["criteria"]),
                actor=actor,
                reason="draft created",
            )
    return policy


def _policy_locked(policy_id: int) -> TierPolicy:
    policy = TierPolicy.objects.select_for_update().filter(pk=policy_id).first()
    if policy is None:
        raise ApplicationError(TieringError.POLICY_NOT_FOUND)
    return policy


def policy_propose(*, actor, policy_id: int) -> TierPolicy:
    require_perm(actor, "tiering.add_tierpolicy")
    with transaction.atomic():
        policy = _policy_locked(policy_id)
        if policy.status != PolicyStatus.DRAFT:
            raise ApplicationError(
                TieringError.POLICY_NOT_DRAFT, version=policy.version, status=policy.get_status_display()
            )
        policy.status = PolicyStatus.PROPOSED
        policy.proposed_by = actor
        policy.proposed_at = timezone.now()
        audited_save(policy, actor=actor, reason="proposed for activation")
    return policy


def policy_approve(*, actor, policy_id: int) -> TierPolicy:
    """Activate a proposed version (maker ≠ checker); the previously active one is retired."""
    require_perm(actor, "tiering.approve_tierpolicy")
    with transaction.atomic():
        ids = sorted({policy_id, *TierPolicy.objects.filter(status=PolicyStatus.ACTIVE).values_list("pk", flat=True)})
        locked = {p.pk: p for p in TierPolicy.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
        policy = locked.get(policy_id)
        if policy is None:
            raise ApplicationError(TieringError.POLICY_NOT_FOUND)
        if policy.status != PolicyStatus.PROPOSED:
            raise ApplicationError(
                TieringError.POLICY_NOT_PROPOSED, version=policy.version, status=policy.get_status_display()
            )
        require_different_person(policy.proposed_by, actor)
        for other in locked.values():
            if other.pk != policy.pk and other.status == PolicyStatus.ACTIVE:
                other.status = PolicyStatus.RETIRED
                audited_save(other, actor=actor, reason=f"retired by v{policy.version}")
        policy.status = PolicyStatus.ACTIVE
        policy.activated_by = actor
        policy.activated_at = timezone.now()
        audited_save(policy, actor=actor, reason="approved and activated")
    return policy


def policy_rules(policy: TierPolicy) -> list[dict]:
    return [{"tier": r.tier, "name": r.name, "criteria": r.criteria} for r in TierRule.objects.filter(policy=policy)]


# ------------------------------------------------------------------------------------- SQL compilation


def _pct_label(value: float) -> str:
    return f"{Decimal(str(value)).normalize():f}"


def criterion_text(c: dict) -> str:
    label = METRIC_LABELS[c["metric"]]
    if "top_percent" in c:
        return f"{label}前{_pct_label(c['top_percent'])}%"
    return f"{label}{c['op']}{_pct_label(c['value'])}"


def tier_calc_sql(rules: list[dict], *, as_of: datetime.date) -> tuple[str, list]:
    """The SELECT giving every (not closed) client its tier under `rules`: client_id, computed_tier, tier,
    reason, overridden. One statement: latest metrics per client, rank() windows for the percentile
    criteria, a CASE in rule order, and the approved unexpired override on top."""
    pct_metrics = sorted({c["metric"] for r in rules for c in r["criteria"] if "top_percent" in c})
    rank_cols = "".join(f", rank() OVER (ORDER BY b.{m} DESC) AS r_{m}" for m in pct_metrics)
    tier_case, reason_case = [], []
    params_tier: list = []
    params_reason: list = []
    for rule in rules[:-1]:
        conds, conds_params = [], []
        for c in rule["criteria"]:
            m = c["metric"]  # validated against Metric: safe to splice as a column name
            if "top_percent" in c:
                # top p%: fewer than p% of the base strictly ahead, and a value above zero (ADR 0007)
                conds.append(f"(r.{m} > 0 AND (r.r_{m} - 1) * 100.0 < %s * r.n)")
            else:
                conds.append(f"(r.{m} {THRESHOLD_OPS[c['op']]} %s)")
            conds_params.append(Decimal(str(c["top_percent"] if "top_percent" in c else c["value"])))
        tier_case.append(f"WHEN {' OR '.join(conds)} THEN %s")
        params_tier += [*conds_params, rule["tier"]]
        for cond, p, c in zip(conds, conds_params, rule["criteria"], strict=True):
            reason_case.append(f"WHEN {cond} THEN %s")
            params_reason += [p, f"{rule['tier']}：{criterion_text(c)}"]
    last = rules[-1]
    sql = f"""
WITH latest AS (
    SELECT DISTINCT ON (m.client_id) m.client_id, m.total_assets, m.contribution_12m, m.trades_12m, m.tenure_months
    FROM tiering_clientmetric m WHERE m.as_of <= %s
    ORDER BY m.client_id, m.as_of DESC
), base AS (
    SELECT c.id AS client_id,
           COALESCE(l.total_assets, 0) AS total_assets, COALESCE(l.contribution_12m, 0) AS contribution_12m,
           COALESCE(l.trades_12m, 0) AS trades_12m, COALESCE(l.tenure_months, 0) AS tenure_months
    FROM accounts_client c LEFT JOIN latest l ON l.client_id = c.id
    WHERE c.status <> %s
), ranked AS (
    SELECT b.*, count(*) OVER () AS n{rank_cols} FROM base b
), computed AS (
    SELECT r.client_id,
           CASE {" ".join(tier_case)} ELSE %s END AS computed_tier,
           CASE {" ".join(reason_case)} ELSE %s END AS computed_reason
    FROM ranked r
), overrides AS (
    SELECT DISTINCT ON (o.client_id) o.client_id, o.tier, o.reason
    FROM tiering_tieroverride o WHERE o.status = %s AND o.expires_on >= %s
    ORDER BY o.client_id, o.decided_at DESC, o.id DESC
)
SELECT c.client_id, c.computed_tier, COALESCE(o.tier, c.computed_tier) AS tier,
       CASE WHEN o.client_id IS NULL THEN c.computed_reason ELSE LEFT(%s || o.reason, 300) END AS reason,
       (o.client_id IS NOT NULL) AS overridden
FROM computed c LEFT JOIN overrides o ON o.client_id = c.client_id
"""  # noqa: S608  # nosec B608  # only validated metric names are spliced in; every value is a parameter
    params = [
        as_of,
        ClientStatus.CLOSED,
        *params_tier,
        last["tier"],
        *params_reason,
        f"{last['tier']}：其余客户",
        OverrideStatus.APPROVED,
        as_of,
        "人工调整：",
    ]
    return sql, params


def _require_postgres() -> None:
    if connection.vendor != "postgresql":
        raise ApplicationError(TieringError.RECOMPUTE_NEEDS_POSTGRES)


# ---------------------------------------------------------------------------------------------- recompute


def tier_recompute_request(*, actor, trigger: str = "manual", as_of: datetime.date | None = None) -> TierRecompute:
    """Queue a recompute; the task is sent after commit. Of two requests at once exactly one run is queued:
    while a run is queued or running, another request gets RECOMPUTE_ACTIVE (409). Metrics imported after a
    run took its snapshot are stored and picked up by the next run."""
    if actor is not None:
        require_perm(actor, "tiering.recompute_tiers")
    from .tasks import tier_recompute_task

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [RECOMPUTE_REQUEST_LOCK_KEY])
        since = timezone.now() - RECOMPUTE_ACTIVE_FOR
        active = (
            TierRecompute.objects.filter(status__in=[TierRecomputeStatus.QUEUED, TierRecomputeStatus.RUNNING])
            .filter(Q(started_at__gte=since) | Q(started_at__isnull=True, created_at__gte=since))
            .order_by("-created_at")
            .first()
        )
        if active is not None:
            raise ApplicationError(TieringError.RECOMPUTE_ACTIVE, run_id=active.pk)
        run = TierRecompute.objects.create(
            as_of=as_of or timezone.localdate(), requested_by=actor if actor is not None else None, trigger=trigger
        )
        transaction.on_commit(lambda: tier_recompute_task.delay(run.pk))
    return run


def _run_progress(run_id: int, **fields) -> None:
    TierRecompute.objects.filter(pk=run_id).update(**fields)


def tier_recompute_run(*, run_id: int) -> TierRecompute:
    """Recompute every client's tier in three set-based statements: (1) rank and classify into a temporary
    table, (2) append TierChange rows for clients whose tier differs, (3) upsert ClientTier where anything
    differs (an UPDATE of the rows that differ and an INSERT of the new clients). (2) and (3) share one
    transaction; progress is written between statements."""
    run = TierRecompute.objects.get(pk=run_id)
    if run.status in (TierRecomputeStatus.DONE, TierRecomputeStatus.FAILED):
        return run  # tasks are idempotent: a redelivered run does nothing
    try:
        _require_postgres()
    except ApplicationError as exc:
        _run_progress(run_id, status=TierRecomputeStatus.FAILED, error=exc.message_in("en"), finished_at=timezone.now())
        raise
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s)", [RECOMPUTE_LOCK_KEY])
        if not cur.fetchone()[0]:
            run.refresh_from_db()
            if run.status != TierRecomputeStatus.QUEUED:
                return run  # a redelivered copy of the run in progress (or done): leave it as it is
            err = ApplicationError(TieringError.RECOMPUTE_RUNNING)
            TierRecompute.objects.filter(pk=run_id, status=TierRecomputeStatus.QUEUED).update(
                status=TierRecomputeStatus.FAILED, error=err.message_in("en"), finished_at=timezone.now()
            )
            raise err
        try:
            run.refresh_from_db()
            if run.status in (TierRecomputeStatus.DONE, TierRecomputeStatus.FAILED):
                return run  # another delivery finished it between the first check and the lock
            return _tier_recompute_locked(cur, run)
        except Exception as exc:
            _run_progress(run_id, status=TierRecomputeStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now())
            raise
        finally:
            cur.execute("DROP TABLE IF EXISTS tier_calc")
            cur.execute("SELECT pg_advisory_unlock(%s)", [RECOMPUTE_LOCK_KEY])


def _tier_calc_counts(cur) -> tuple[dict, int, int]:
    """Clients per tier, how many are overridden, and the total, in the tier_calc table."""
    cur.execute("SELECT tier, count(*), sum(overridden::int) FROM tier_calc GROUP BY tier ORDER BY tier")
    counts, overridden, total = {}, 0, 0
    for tier, n, n_over in cur.fetchall():
        counts[tier] = n
        overridden += n_over
        total += n
    return counts, overridden, total


def _tier_recompute_locked(cur, run: TierRecompute) -> TierRecompute:
    policy = TierPolicy.objects.filter(status=PolicyStatus.ACTIVE).first()
    if policy is None:
        raise ApplicationError(TieringError.NO_ACTIVE_POLICY)
    now = timezone.now()
    _run_progress(
        run.pk,
        status=TierRecomputeStatus.RUNNING,
        started_at=now,
        policy_version=policy.version,
        progress=5,
        step="ranking",
    )
    sql, params = tier_calc_sql(policy_rules(policy), as_of=run.as_of)
    cur.execute("DROP TABLE IF EXISTS tier_calc")
    cur.execute(f"CREATE TEMPORARY TABLE tier_calc AS {sql}", params)  # noqa: S608  (compiled from validated rules)
    cur.execute("ANALYZE tier_calc")  # temporary tables get no autovacuum statistics: without them, nested loops
    counts, overridden, total = _tier_calc_counts(cur)
    _run_progress(run.pk, progress=50, step="writing", clients_total=total, overridden=overridden, counts=counts)
    with transaction.atomic():
        # An override approved after the snapshot must not be undone by it: hold new decisions until this commits
        # and lay the approved overrides as they are now over the snapshot.
        cur.execute("LOCK TABLE tiering_tieroverride IN SHARE MODE")
        cur.execute(
            """
            UPDATE tier_calc t SET tier = o.tier, reason = LEFT(%s || o.reason, 300), overridden = TRUE
            FROM (
                SELECT DISTINCT ON (client_id) client_id, tier, reason FROM tiering_tieroverride
                WHERE status = %s AND expires_on >= %s ORDER BY client_id, decided_at DESC, id DESC
            ) o
            WHERE o.client_id = t.client_id
            """,
            ["人工调整：", OverrideStatus.APPROVED, run.as_of],
        )
        counts, overridden, total = _tier_calc_counts(cur)
        cur.execute(
            """
            INSERT INTO tiering_tierchange (client_id, from_tier, to_tier, policy_version, reason, run_id, changed_at)
            SELECT t.client_id, COALESCE(ct.tier, ''), t.tier, %s, t.reason, %s, %s
            FROM tier_calc t LEFT JOIN tiering_clienttier ct ON ct.client_id = t.client_id
            WHERE ct.tier IS DISTINCT FROM t.tier
            """,
            [policy.version, run.pk, now],
        )
        changed = cur.rowcount
        cur.execute(
            """
            UPDATE tiering_clienttier ct SET
                tier = t.tier, computed_tier = t.computed_tier, policy_version = %s, reason = t.reason,
                overridden = t.overridden, computed_at = %s,
                since = CASE WHEN ct.tier = t.tier THEN ct.since ELSE %s END
            FROM tier_calc t
            WHERE ct.client_id = t.client_id
              AND (ct.tier, ct.computed_tier, ct.policy_version, ct.reason, ct.overridden)
                  IS DISTINCT FROM (t.tier, t.computed_tier, %s, t.reason, t.overridden)
            """,
            [policy.version, now, run.as_of, policy.version],
        )
        updated = cur.rowcount
        # The clients without a tier yet: an EXCEPT reads tiering_clienttier once, before the first row goes
        # in. A NOT EXISTS was planned, on a first run (an empty table), as a nested loop scanning the table
        # for every row while this very INSERT filled it: quadratic, still running after 7 min at 1,000,000.
        cur.execute(
            """
            INSERT INTO tiering_clienttier
                (client_id, tier, computed_tier, policy_version, reason, overridden, since, computed_at)
            SELECT t.client_id, t.tier, t.computed_tier, %s, t.reason, t.overridden, %s, %s FROM tier_calc t
            WHERE t.client_id IN (SELECT client_id FROM tier_calc EXCEPT SELECT client_id FROM tiering_clienttier)
            """,
            [policy.version, run.as_of, now],
        )
        inserted = cur.rowcount
        updated += inserted
        if inserted > total // 10:
            # A first run (or a large intake) changed the table's size by much more than autovacuum has seen:
            # without fresh statistics the planner takes it for empty, and a lookup by client walks the pk.
            cur.execute("ANALYZE tiering_clienttier")
    counts["rows_written"] = updated
    _run_progress(
        run.pk,
        status=TierRecomputeStatus.DONE,
        progress=100,
        step="done",
        changed=changed,
        clients_total=total,
        overridden=overridden,
        counts=counts,
        finished_at=timezone.now(),
    )
    logger.info("tier recompute %s: %s clients, %s changed, %s rows written", run.pk, total, changed, updated)
    run.refresh_from_db()
    return run


# ----------------------------------------------------------------------------------------------- what-if


def policy_what_if(*, actor, policy_id: int, as_of: datetime.date | None = None, sample: int = 20) -> dict:
    """Run a (draft) policy against current metrics without writing: distribution per tier and movers
    compared with the clients' current tiers."""
    require_perm(actor, "tiering.view_tier_dashboard")
    _require_postgres()
    policy = TierPolicy.objects.filter(pk=policy_id).first()
    if policy is None:
        raise ApplicationError(TieringError.POLICY_NOT_FOUND)
    sql, params = tier_calc_sql(policy_rules(policy), as_of=as_of or timezone.localdate())
    rank = "CASE {col} WHEN 'A' THEN 1 WHEN 'B' THEN 2 WHEN 'C' THEN 3 END"
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT w.tier, ct.tier, count(*)
            FROM ({sql}) w LEFT JOIN tiering_clienttier ct ON ct.client_id = w.client_id
            GROUP BY w.tier, ct.tier
            """,  # noqa: S608  # nosec B608  # splices tier_calc_sql output (validated rules); values are parameters
            params,
        )
        rows = cur.fetchall()
        cur.execute(
            f"""
            SELECT c.id, c.client_no, c.name, ct.tier, w.tier, w.reason
            FROM ({sql}) w JOIN tiering_clienttier ct ON ct.client_id = w.client_id
            JOIN accounts_client c ON c.id = w.client_id
            WHERE ct.tier <> w.tier
            ORDER BY {rank.format(col="w.tier")} - {rank.format(col="ct.tier")}, c.client_no
            LIMIT %s
            """,  # noqa: S608  # nosec B608  # splices tier_calc_sql output (validated rules); values are parameters
            [*params, sample],
        )
        movers = [
            {"client_id": r[0], "client_no": r[1], "name": r[2], "from_tier": r[3], "to_tier": r[4], "reason": r[5]}
            for r in cur.fetchall()
        ]
    distribution = {t.value: 0 for t in Tier}
    up = down = new = 0
    for new_tier, old_tier, n in rows:
        distribution[new_tier] += n
        if old_tier is None:
            new += n
        elif TIER_RANK[new_tier] < TIER_RANK[old_tier]:
            up += n
        elif TIER_RANK[new_tier] > TIER_RANK[old_tier]:
            down += n
    return {
        "policy_version": policy.version,
        "distribution": distribution,
        "total": sum(distribution.values()),
        "up": up,
        "down": down,
        "unranked_before": new,
        "movers": movers,
    }


# --------------------------------------------------------------------------------------------- overrides


def tier_override_request(
    *, actor, client_id: int, tier: str, reason: str, expires_on: datetime.date, today: datetime.date | None = None
) -> TierOverride:
    require_perm(actor, "tiering.add_tieroverride")
    today = today or timezone.localdate()
    if tier not in Tier.values:
        raise ApplicationError(
            TieringError.OVERRIDE_INVALID, fields={"tier": ["A/B/C"]}, reason="tier must be A, B or C"
        )
    if not (reason or "").strip():
        raise ApplicationError(
            TieringError.OVERRIDE_INVALID, fields={"reason": ["必填"]}, reason="a reason is required"
        )
    if expires_on <= today:
        raise ApplicationError(
            TieringError.OVERRIDE_INVALID,
            fields={"expires_on": ["须晚于今天"]},
            reason="the expiry must be in the future",
        )
    if not Client.objects.filter(pk=client_id).exists():
        raise ApplicationError(TieringError.CLIENT_NOT_FOUND)
    override = TierOverride(
        client_id=client_id, tier=tier, reason=reason.strip()[:300], expires_on=expires_on, requested_by=actor
    )
    audited_save(override, actor=actor, reason="override requested")
    return override


def tier_override_decide(*, actor, override_id: int, approve: bool) -> TierOverride:
    """A second person approves (or rejects) an override; an approval takes effect at once on the client's
    current tier (with a TierChange row when the tier moves) and in every recompute until it expires."""
    require_perm(actor, "tiering.approve_tieroverride")
    with transaction.atomic():
        override = TierOverride.objects.select_for_update().filter(pk=override_id).first()
        if override is None:
            raise ApplicationError(TieringError.OVERRIDE_NOT_FOUND)
        if override.status != OverrideStatus.PROPOSED:
            raise ApplicationError(TieringError.OVERRIDE_NOT_PROPOSED, status=override.get_status_display())
        require_different_person(override.requested_by, actor)
        now = timezone.now()
        override.status = OverrideStatus.APPROVED if approve else OverrideStatus.REJECTED
        override.decided_by = actor
        override.decided_at = now
        audited_save(override, actor=actor, reason="override approved" if approve else "override rejected")
        if approve and override.expires_on >= timezone.localdate():
            current = ClientTier.objects.select_for_update().filter(client_id=override.client_id).first()
            if current is not None:
                text = f"人工调整：{override.reason}"[:300]
                if current.tier != override.tier:
                    TierChange.objects.create(
                        client_id=override.client_id,
                        from_tier=current.tier,
                        to_tier=override.tier,
                        policy_version=current.policy_version,
                        reason=text,
                        changed_at=now,
                    )
                    current.since = timezone.localdate()
                current.tier, current.reason, current.overridden, current.computed_at = override.tier, text, True, now
                current.save()
    return override


# ----------------------------------------------------------------------------------------- metrics import


@dataclass
class MetricsImportResult:
    loaded: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


_INT_FIELDS = ("trades_12m", "tenure_months")
_MONEY_FIELDS = ("total_assets", "contribution_12m")


def _metric_row_parse(row: dict, client_ids: dict[str, int]) -> tuple[dict | None, str]:
    client_no = str(row.get("client_no") or "").strip()
    if not client_no:
        return None, "client_no is missing / 缺少客户号"
    if client_no not in client_ids:
        return None, f"unknown client_no {client_no} / 客户号不存在"
    try:
        as_of = datetime.date.fromisoformat(str(row.get("as_of") or "").strip())
    except ValueError:
        return None, f"as_of must be a date YYYY-MM-DD, got {row.get('as_of')!r} / 日期格式错误"
    out: dict = {"client_id": client_ids[client_no], "as_of": as_of}
    for name in _MONEY_FIELDS:
        try:
            value = Decimal(str(row.get(name, "")).strip()).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            return None, f"{name} must be a number, got {row.get(name)!r} / 金额格式错误"
        if value < 0 or value >= Decimal("1e16"):
            return None, f"{name} out of range: {value} / 金额超出范围"
        out[name] = value
    for name in _INT_FIELDS:
        try:
            ivalue = int(str(row.get(name, "")).strip())
        except ValueError:
            return None, f"{name} must be a whole number, got {row.get(name)!r} / 须为整数"
        if ivalue < 0 or ivalue > 2_000_000_000:
            return None, f"{name} out of range: {ivalue} / 超出范围"
        out[name] = ivalue
    return out, ""


def metrics_import(
    *, actor, rows, strict: bool = False, first_line: int = 1, batch_size: int = 5000
) -> MetricsImportResult:
    """Load metric rows (dicts with client_no, as_of, total_assets, contribution_12m, trades_12m,
    tenure_months). Bad rows are reported with their line number and reason and the rest loads; with
    `strict`, any bad row means nothing loads (METRICS_INVALID). Rows for the same client and day replace
    the stored ones. Bulk upserts in batches: metrics are imported facts and not history-tracked.
    `actor` None means an operator's management command."""
    if actor is not None:
        require_perm(actor, "tiering.add_clientmetric")
    result = MetricsImportResult()
    seen: set[tuple[int, datetime.date]] = set()

    def flush(batch: list[tuple[int, dict]]) -> None:
        nos = {str(r.get("client_no") or "").strip() for _, r in batch}
        client_ids = dict(Client.objects.filter(client_no__in=nos).values_list("client_no", "pk"))
        objs = []
        for line, raw in batch:
            parsed, error = _metric_row_parse(raw, client_ids)
            if parsed is not None and (parsed["client_id"], parsed["as_of"]) in seen:
                parsed, error = None, "duplicate client_no and as_of in this file / 文件内重复"
            if parsed is None:
                result.errors.append((line, error))
                continue
            seen.add((parsed["client_id"], parsed["as_of"]))
            objs.append(ClientMetric(**parsed))
        if objs and not (strict and result.errors):
            ClientMetric.objects.bulk_create(
                objs,
                batch_size=batch_size,
                update_conflicts=True,
                unique_fields=["client", "as_of"],
                update_fields=[*_MONEY_FIELDS, *_INT_FIELDS],
            )
            result.loaded += len(objs)

    with transaction.atomic():
        batch: list[tuple[int, dict]] = []
        for offset, row in enumerate(rows):
            batch.append((first_line + offset, row if isinstance(row, dict) else {}))
            if len(batch) >= batch_size:
                flush(batch)
                batch = []
        if batch:
            flush(batch)
        if strict and result.errors:
            transaction.set_rollback(True)
            result.loaded = 0
    return result
