"""The tiering API: permission-checked, in the OpenAPI schema."""

import datetime

import pytest
from django.utils import timezone

from accounts.roles import Role
from tiering.models import TierRecompute

from .conftest import recompute

pytestmark = pytest.mark.django_db


@pytest.mark.postgres
def test_client_tier_with_entitlements_and_history(api_client, make_clients, admin, manager):
    clients = make_clients([(6_000_000, 0)] + [(100, i) for i in range(5)])
    recompute(admin)
    api_client.force_authenticate(manager)
    body = api_client.get(f"/api/v1/clients/{clients[0].pk}/tier/").json()
    assert body["tier"]["tier"] == "A"
    assert body["entitlement"]["dedicated_manager"] is True
    assert body["history"][0]["to_tier"] == "A" and body["history"][0]["from_tier"] == ""
    dist = api_client.get("/api/v1/tiering/distribution/").json()
    assert dist["counts"]["A"] >= 1


def test_clerk_cannot_read_tiers(api_client, make_staff, make_clients):
    (client,) = make_clients([(1, 1)])
    api_client.force_authenticate(make_staff(Role.CLERK))
    assert api_client.get(f"/api/v1/clients/{client.pk}/tier/").status_code == 403
    assert api_client.post("/api/v1/tiering/recomputes/").status_code == 403


def test_metrics_bulk_import(api_client, make_clients, make_staff):
    a, b = make_clients([(1, 1), (1, 1)])
    api_client.force_authenticate(make_staff(Role.API_CLIENT))
    day = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    rows = [
        {"client_no": a.client_no, "as_of": day, "total_assets": "10", "contribution_12m": "1", "trades_12m": 1,
         "tenure_months": 3},
        {"client_no": b.client_no, "as_of": day, "total_assets": "ten", "contribution_12m": "1", "trades_12m": 1,
         "tenure_months": 3},
    ]  # fmt: skip
    resp = api_client.post("/api/v1/tiering/metrics/", rows, format="json")
    assert resp.status_code == 200
    assert resp.json() == {
        "loaded": 1,
        "errors": [{"line": 2, "reason": "total_assets must be a number, got 'ten' / 金额格式错误"}],
    }
    resp = api_client.post("/api/v1/tiering/metrics/?strict=1", rows, format="json")
    assert resp.status_code == 400 and resp.json()["loaded"] == 0


def test_recompute_trigger_and_progress(api_client, admin, default_policy, django_capture_on_commit_callbacks):
    from unittest import mock

    api_client.force_authenticate(admin)
    with mock.patch("tiering.tasks.tier_recompute_task.delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            resp = api_client.post("/api/v1/tiering/recomputes/")
    assert resp.status_code == 202
    run_id = resp.json()["id"]
    delay.assert_called_once_with(run_id)
    body = api_client.get(f"/api/v1/tiering/recomputes/{run_id}/").json()
    assert (body["status"], body["progress"]) == ("queued", 0)
    assert TierRecompute.objects.count() == 1


def test_policy_create_propose_approve(api_client, admin, reviewer, default_policy):
    api_client.force_authenticate(admin)
    rules = [
        {"tier": "A", "name": "关键客户", "criteria": [{"metric": "total_assets", "op": ">=", "value": 3000000}]},
        {"tier": "B", "name": "主要客户", "criteria": [{"metric": "contribution_12m", "top_percent": 25}]},
        {"tier": "C", "name": "普通客户", "criteria": []},
    ]
    resp = api_client.post("/api/v1/tiering/policies/", {"rules": rules, "note": "test"}, format="json")
    assert resp.status_code == 201, resp.content
    pid = resp.json()["id"]
    assert resp.json()["status"] == "draft" and len(resp.json()["rules"]) == 3
    assert api_client.post(f"/api/v1/tiering/policies/{pid}/propose/").json()["status"] == "proposed"
    resp = api_client.post(f"/api/v1/tiering/policies/{pid}/approve/")
    assert resp.status_code == 403 and resp.json()["code"] == "maker_checker"
    api_client.force_authenticate(reviewer)
    assert api_client.post(f"/api/v1/tiering/policies/{pid}/approve/").json()["status"] == "active"
    listed = api_client.get("/api/v1/tiering/policies/").json()
    assert [p["status"] for p in listed][:2] == ["active", "retired"]


def test_bad_policy_is_a_400_with_the_reason(api_client, admin, default_policy):
    api_client.force_authenticate(admin)
    resp = api_client.post("/api/v1/tiering/policies/", {"rules": [{"tier": "A"}]}, format="json")
    assert resp.status_code == 400
    assert resp.json()["code"] == "policy_invalid"
