"""Recompute on PostgreSQL: percentile edges, thresholds, idempotence, history only for movers, overrides."""

import datetime

import pytest
from django.utils import timezone

from accounts.errors import ApplicationError
from tiering import services
from tiering.models import ClientTier, TierChange, TierRecompute

from .conftest import metrics_set, recompute, tiers_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_default_policy_is_shipped_active(default_policy):
    rules = services.policy_rules(default_policy)
    assert [r["tier"] for r in rules] == ["A", "B", "C"]
    assert {"metric": "contribution_12m", "top_percent": 5.0} in rules[0]["criteria"]
    assert {"metric": "total_assets", "op": ">=", "value": 5000000.0} in rules[0]["criteria"]
    assert rules[2]["criteria"] == []


def test_ties_at_the_5_percent_boundary_all_go_in(make_clients, admin):
    # given 40 clients: one at 1000, three tied at 500 (places 2–4), 36 with distinct smaller values
    values = [(100, 1000)] + [(100, 500)] * 3 + [(100, 100 - i) for i in range(36)]
    clients = make_clients(values)
    # when the default policy runs (top 5% of 40 = 2 places)
    run = recompute(admin)
    # then a client is in the top 5% when fewer than 2 clients are strictly ahead: the whole tie is in
    tiers = tiers_of(clients)
    assert tiers[:4] == ["A"] * 4
    # top 20% = 8 places: values 100..97 have 4..7 clients ahead
    assert tiers[4:8] == ["B"] * 4
    assert tiers[8:] == ["C"] * 32
    assert run.status == "done" and run.progress == 100
    assert run.counts["A"] == 4 and run.counts["B"] == 4 and run.counts["C"] == 32
    assert ClientTier.objects.get(client=clients[1]).reason == "A：近12个月贡献前5%"


def test_fewer_than_20_clients_the_top_client_is_a(make_clients, admin):
    clients = make_clients([(100, 10 * (i + 1)) for i in range(10)])
    recompute(admin)
    tiers = tiers_of(clients)
    # 5% of 10 = 0.5 place: only the client with nobody ahead; 20% = 2 places: the next one
    assert tiers[9] == "A" and tiers[8] == "B"
    assert tiers[:8] == ["C"] * 8


def test_all_metrics_zero_everyone_is_c(make_clients, admin):
    clients = make_clients([(0, 0)] * 12)
    recompute(admin)
    assert tiers_of(clients) == ["C"] * 12
    assert set(ClientTier.objects.values_list("reason", flat=True)) == {"C：其余客户"}


def test_threshold_or_percentile(make_clients, admin):
    # given a rich client who trades nothing, and one with assets just at ¥1m
    values = [(6_000_000, 0), (1_000_000, 0), (999_999.99, 0)] + [(100, 10 + i) for i in range(30)]
    clients = make_clients(values)
    recompute(admin)
    tiers = tiers_of(clients)
    assert tiers[:3] == ["A", "B", "C"]
    assert ClientTier.objects.get(client=clients[0]).reason == "A：总资产>=5000000"
    assert ClientTier.objects.get(client=clients[1]).reason == "B：总资产>=1000000"
    # the top contributor is A by percentile (33 clients: 1.65 places)
    assert tiers[-1] == "A" and tiers[-2] == "A"  # 0 and 1 ahead < 1.65


def test_second_run_changes_nothing_and_history_only_for_movers(make_clients, admin):
    clients = make_clients([(100, 10 + i) for i in range(20)])
    first = recompute(admin)
    assert first.changed == 20  # the first assignment is a change from nothing
    assert TierChange.objects.count() == 20
    since = dict(ClientTier.objects.values_list("client_id", "computed_at"))

    second = recompute(admin)
    assert second.changed == 0 and second.counts["rows_written"] == 0
    assert TierChange.objects.count() == 20
    assert dict(ClientTier.objects.values_list("client_id", "computed_at")) == since

    # when one client's new metrics make them rich, only that client gets a history row
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    metrics_set([clients[0]], [(7_000_000, 0)], as_of=tomorrow)
    third = recompute(admin, as_of=tomorrow)
    assert third.changed == 1
    change = TierChange.objects.get(run_id=third.pk)
    assert (change.client_id, change.from_tier, change.to_tier) == (clients[0].pk, "C", "A")


def test_override_needs_a_second_person_and_expires(make_clients, admin, manager, reviewer):
    clients = make_clients([(100, 10 + i) for i in range(20)])
    recompute(admin)
    target = clients[0]
    assert tiers_of([target]) == ["C"]
    expires = timezone.localdate() + datetime.timedelta(days=30)

    override = services.tier_override_request(
        actor=manager, client_id=target.pk, tier="A", reason="战略客户", expires_on=expires
    )
    with pytest.raises(ApplicationError) as exc:
        services.tier_override_decide(actor=manager, override_id=override.pk, approve=True)
    assert exc.value.code == "permission_denied"
    override2 = services.tier_override_request(
        actor=admin, client_id=target.pk, tier="A", reason="战略客户", expires_on=expires
    )
    with pytest.raises(ApplicationError) as exc:
        services.tier_override_decide(actor=admin, override_id=override2.pk, approve=True)
    assert exc.value.code == "maker_checker"
    assert tiers_of([target]) == ["C"]  # nothing changed

    services.tier_override_decide(actor=reviewer, override_id=override.pk, approve=True)
    current = ClientTier.objects.get(client=target)
    assert (current.tier, current.computed_tier, current.overridden) == ("A", "C", True)

    # recompute respects it while unexpired, and changes nothing
    again = recompute(admin)
    assert again.changed == 0 and again.overridden == 1
    assert ClientTier.objects.get(client=target).reason == "人工调整：战略客户"

    # after expiry the computed tier comes back, with a history row
    later = recompute(admin, as_of=expires + datetime.timedelta(days=1))
    assert later.changed == 1
    assert tiers_of([target]) == ["C"]


def test_override_input_errors(make_clients, manager):
    (client,) = make_clients([(1, 1)])
    with pytest.raises(ApplicationError) as exc:
        services.tier_override_request(
            actor=manager, client_id=client.pk, tier="A", reason=" ", expires_on=timezone.localdate()
        )
    assert exc.value.code == "override_invalid"
    assert exc.value.fields == {"reason": ["必填"]}


def test_what_if_writes_nothing(make_clients, admin, reviewer, manager):
    clients = make_clients([(100, 10 + i) for i in range(20)])
    recompute(admin)
    before = list(ClientTier.objects.order_by("client_id").values_list("client_id", "tier", "reason"))
    changes = TierChange.objects.count()
    draft = services.policy_draft_create(
        actor=admin,
        rules=[
            {"tier": "A", "criteria": [{"metric": "contribution_12m", "top_percent": 50}]},
            {"tier": "B", "criteria": [{"metric": "trades_12m", "op": ">=", "value": 1}]},
            {"tier": "C", "criteria": []},
        ],
    )
    result = services.policy_what_if(actor=manager, policy_id=draft.pk)
    assert result["distribution"] == {"A": 10, "B": 10, "C": 0}
    # before: A=1 (top), B=3 (20% of 20 = 4 places), C=16; now A=10, B=10
    assert result["up"] == 19 and result["down"] == 0
    assert {m["client_no"] for m in result["movers"]} <= {c.client_no for c in clients}
    assert list(ClientTier.objects.order_by("client_id").values_list("client_id", "tier", "reason")) == before
    assert TierChange.objects.count() == changes


def test_policy_activation_is_reviewed(default_policy, admin, make_staff, reviewer):
    rules = services.policy_rules(default_policy)
    rules[0]["criteria"] = [{"metric": "contribution_12m", "top_percent": 3}]
    draft = services.policy_draft_create(actor=admin, rules=rules, based_on_id=default_policy.pk, note="A 收紧")
    assert draft.version == default_policy.version + 1 and draft.status == "draft"
    with pytest.raises(ApplicationError) as exc:
        services.policy_approve(actor=reviewer, policy_id=draft.pk)
    assert exc.value.code == "policy_not_proposed"
    services.policy_propose(actor=admin, policy_id=draft.pk)
    with pytest.raises(ApplicationError) as exc:
        services.policy_approve(actor=admin, policy_id=draft.pk)
    assert exc.value.code == "maker_checker"
    second_admin = make_staff("admin")
    services.policy_approve(actor=second_admin, policy_id=draft.pk)
    draft.refresh_from_db()
    default_policy.refresh_from_db()
    assert (draft.status, draft.activated_by) == ("active", second_admin)
    assert default_policy.status == "retired"
    assert draft.history.count() == 3  # created, proposed, activated


@pytest.mark.parametrize(
    ("rules", "reason"),
    [
        ([{"tier": "A", "criteria": []}], "tiers must be A, B, C"),
        (
            [
                {"tier": "A", "criteria": [{"metric": "nope", "top_percent": 5}]},
                {"tier": "B", "criteria": [{"metric": "total_assets", "op": ">=", "value": 1}]},
                {"tier": "C", "criteria": []},
            ],
            "unknown metric",
        ),
        (
            [
                {"tier": "A", "criteria": [{"metric": "total_assets", "top_percent": 0}]},
                {"tier": "B", "criteria": [{"metric": "total_assets", "op": ">=", "value": 1}]},
                {"tier": "C", "criteria": []},
            ],
            "top_percent must be in (0, 100]",
        ),
        (
            [
                {"tier": "A", "criteria": [{"metric": "total_assets", "op": "~", "value": 1}]},
                {"tier": "B", "criteria": [{"metric": "total_assets", "op": ">=", "value": 1}]},
                {"tier": "C", "criteria": []},
            ],
            "op must be one of",
        ),
    ],
)
def test_invalid_rules_are_refused(admin, default_policy, rules, reason):
    with pytest.raises(ApplicationError) as exc:
        services.policy_draft_create(actor=admin, rules=rules)
    assert exc.value.code == "policy_invalid"
    assert reason in exc.value.message_in("en")


def test_recompute_needs_permission(manager, default_policy):
    with pytest.raises(ApplicationError) as exc:
        services.tier_recompute_request(actor=manager)
    assert exc.value.code == "permission_denied"
    assert TierRecompute.objects.count() == 0
