"""Tier recompute benchmark (issue 9, goal 2): the service vs one hand-written SQL statement vs a per-row
ORM loop, measured in the same run on the same data. Not run by the tests.

    DJANGO_SETTINGS_MODULE=config.settings.test TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/kaihu_bench \
        .venv/bin/python bench/tiering_recompute.py --clients 100000 [--orm-sample 10000] [--movers 0.2]

It migrates that database, tops the demo clients up to N (tiering_demo_data), then, before each measured
run, puts the same `movers` share of clients into a wrong tier so that every method re-tiers the same rows.
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Client  # noqa: E402
from tiering import services  # noqa: E402
from tiering.demo import demo_data_generate  # noqa: E402
from tiering.models import ClientMetric, ClientTier, PolicyStatus, TierChange, TierPolicy  # noqa: E402

HAND_WRITTEN = """
WITH latest AS (
    SELECT DISTINCT ON (client_id) client_id, total_assets, contribution_12m
    FROM tiering_clientmetric WHERE as_of <= %(as_of)s ORDER BY client_id, as_of DESC
), r AS (
    SELECT c.id AS client_id, COALESCE(l.total_assets, 0) AS a, COALESCE(l.contribution_12m, 0) AS k,
           rank() OVER (ORDER BY COALESCE(l.contribution_12m, 0) DESC) AS rk, count(*) OVER () AS n
    FROM accounts_client c LEFT JOIN latest l ON l.client_id = c.id WHERE c.status <> 'closed'
), t AS (
    SELECT client_id,
           CASE WHEN (k > 0 AND (rk - 1) * 100.0 < 5 * n) OR a >= 5000000 THEN 'A'
                WHEN (k > 0 AND (rk - 1) * 100.0 < 20 * n) OR a >= 1000000 THEN 'B' ELSE 'C' END AS tier
    FROM r
), upd AS (
    UPDATE tiering_clienttier ct SET tier = t.tier, computed_tier = t.tier
    FROM t WHERE ct.client_id = t.client_id AND ct.tier <> t.tier
    RETURNING ct.client_id, t.tier
)
INSERT INTO tiering_tierchange (client_id, from_tier, to_tier, policy_version, reason, changed_at)
SELECT client_id, '?', tier, 1, 'bench', now() FROM upd
"""


def scramble(share: float) -> int:
    """Move the same `share` of clients (by id) to a wrong tier, as if their metrics had changed."""
    modulo = max(int(round(1 / share)), 1)
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE tiering_clienttier SET tier = CASE tier WHEN 'C' THEN 'B' ELSE 'C' END, "
            "computed_tier = CASE computed_tier WHEN 'C' THEN 'B' ELSE 'C' END WHERE client_id %% %s = 0",
            [modulo],
        )
        return cur.rowcount


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def orm_loop(limit: int) -> None:
    """The naive way: one client at a time through the ORM (same rules, cut-offs precomputed once)."""
    values = sorted(
        (
            m
            for m in ClientMetric.objects.order_by("client_id", "-as_of")
            .distinct("client_id")
            .values_list("contribution_12m", flat=True)
        ),
        reverse=True,
    )
    n = Client.objects.exclude(status="closed").count()

    def rank_ahead(v) -> int:  # clients strictly ahead (binary search on the sorted list)
        lo, hi = 0, len(values)
        while lo < hi:
            mid = (lo + hi) // 2
            if values[mid] > v:
                lo = mid + 1
            else:
                hi = mid
        return lo

    now = timezone.now()
    for client in Client.objects.exclude(status="closed").order_by("id")[:limit]:
        m = client.metrics.order_by("-as_of").first()
        a, k = (m.total_assets, m.contribution_12m) if m else (0, 0)
        ahead = rank_ahead(k)
        if (k > 0 and ahead * 100 < 5 * n) or a >= 5_000_000:
            tier = "A"
        elif (k > 0 and ahead * 100 < 20 * n) or a >= 1_000_000:
            tier = "B"
        else:
            tier = "C"
        current = ClientTier.objects.filter(client=client).first()
        if current and current.tier != tier:
            TierChange.objects.create(
                client=client, from_tier=current.tier, to_tier=tier, policy_version=1, reason="orm", changed_at=now
            )
            current.tier = tier
            current.save(update_fields=["tier"])


def measure(*, orm_sample: int = 10_000, movers: float = 0.2) -> dict:
    """Service vs hand-written statement vs ORM loop on the clients already in the database."""
    n = Client.objects.count()
    if not TierPolicy.objects.filter(status=PolicyStatus.ACTIVE, version=1).exists():
        sys.exit("the bench expects the default policy v1 active")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")

    def service_run() -> None:
        run = services.tier_recompute_request(actor=None, trigger="bench")
        services.tier_recompute_run(run_id=run.pk)

    service_run()  # every client has a tier from here on; warm the cache
    with connection.cursor() as cur:
        cur.execute("ANALYZE")  # the measured runs, the hand-written statement and the ORM loop see a full table
    moved = scramble(movers)
    t_service = timed(service_run)
    scramble(movers)
    with connection.cursor() as cur:
        t_hand = timed(lambda: cur.execute(HAND_WRITTEN, {"as_of": timezone.localdate()}))
        hand_rows = cur.rowcount
    service_run()  # back to the true tiers
    scramble(movers)
    sample = min(orm_sample, n)
    with transaction.atomic():
        t_orm_sample = timed(lambda: orm_loop(sample))
    t_orm = t_orm_sample * n / sample
    service_run()
    return {
        "clients": n,
        "movers": moved,
        "hand_written_moved": hand_rows,
        "service_s": t_service,
        "hand_written_s": t_hand,
        "orm_sample": sample,
        "orm_sample_s": t_orm_sample,
        "orm_scaled_s": t_orm,
        "service_over_hand": t_service / t_hand,
        "orm_over_service": t_orm / t_service,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--orm-sample", type=int, default=10_000)
    parser.add_argument("--movers", type=float, default=0.2)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    have = Client.objects.count()
    if have < args.clients:
        print(f"generating {args.clients - have} demo clients …", flush=True)
        result = demo_data_generate(clients=args.clients - have, with_assessments=False)
        print(f"  demo data: {result}")
    r = measure(orm_sample=args.orm_sample, movers=args.movers)
    n, sample = r["clients"], r["orm_sample"]
    print(f"clients: {n:,}   movers per run: {r['movers']:,} ({args.movers:.0%}); "
          f"hand-written statement moved {r['hand_written_moved']:,}")  # fmt: skip
    print(f"service recompute (3 statements + progress):  {r['service_s']:8.2f} s")
    print(f"one hand-written SQL statement:                {r['hand_written_s']:8.2f} s")
    print(
        f"per-row ORM loop: {sample:,} clients in {r['orm_sample_s']:.2f} s → scaled to {n:,}: {r['orm_scaled_s']:8.1f} s"
    )
    ratio, speedup = r["service_over_hand"], r["orm_over_service"]
    print(f"service / hand-written = {ratio:.2f}  (goal ≤ 1.5: {'pass' if ratio <= 1.5 else 'SHORT'})")
    print(f"ORM loop / service     = {speedup:.1f}×  (goal ≥ 10: {'pass' if speedup >= 10 else 'SHORT'})")
    print(f"peak RSS of this process: {r['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
