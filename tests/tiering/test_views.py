"""Staff screens: dashboards are permission-checked and readable in Chinese; the worker runs a recompute."""

import datetime

import pytest
from django.utils import timezone

from accounts.roles import Role
from tiering import services
from tiering.models import ClientTier, TierRecompute

from .conftest import recompute

pytestmark = pytest.mark.django_db


@pytest.mark.postgres
def test_dashboard_charts_and_crosstab(client, make_clients, admin, manager):
    make_clients([(6_000_000, 0)] + [(100, i) for i in range(9)])
    recompute(admin)
    client.force_login(manager)
    resp = client.get("/tiering/?rows=tier&cols=experience_band")
    html = resp.content.decode()
    assert resp.status_code == 200
    for text in ("客户级别分布", "年龄段", "学历", "职业", "投资经验", "风险承受能力", "<svg", "交叉分析"):
        assert text in html
    assert client.get("/tiering/?tier=A").status_code == 200
    today = timezone.localdate()
    resp = client.get(f"/tiering/migration/?from={today - datetime.timedelta(days=1)}&to={today}")
    assert resp.status_code == 200 and "级别迁移矩阵" in resp.content.decode()


def test_recompute_button_while_a_run_is_active_says_so_and_queues_nothing(
    client, admin, default_policy, monkeypatch, django_capture_on_commit_callbacks
):
    sent: list = []
    monkeypatch.setattr("tiering.tasks.tier_recompute_task.delay", sent.append)
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post("/tiering/recompute/", follow=True)
    run = TierRecompute.objects.get()
    assert first.status_code == 200 and f"已提交分级重算 #{run.pk}" in first.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        again = client.post("/tiering/recompute/", follow=True)

    assert again.status_code == 200 and again.redirect_chain[-1][0] == "/tiering/"
    assert f"分级重算 #{run.pk} 正在排队或运行" in again.content.decode()
    assert TierRecompute.objects.count() == 1 and sent == [run.pk]


def test_clerk_gets_403(client, make_staff, default_policy):
    client.force_login(make_staff(Role.CLERK))
    assert client.get("/tiering/").status_code == 403
    assert client.get("/tiering/policies/").status_code == 403


@pytest.mark.postgres
def test_client_page_shows_override_and_what_if_page(client, make_clients, admin, manager, reviewer):
    clients = make_clients([(100, i) for i in range(5)])
    recompute(admin)
    client.force_login(manager)
    url = f"/tiering/clients/{clients[0].pk}/"
    expires = (timezone.localdate() + datetime.timedelta(days=10)).isoformat()
    client.post(url, {"tier": "B", "reason": "重点维护", "expires_on": expires})
    client.force_login(reviewer)
    override_id = clients[0].tier_overrides.get().pk
    client.post(url, {"override_id": override_id, "decide": "approve"})
    html = client.get(url).content.decode()
    assert "人工调整生效中" in html and "重点维护" in html and "专属客户经理" in html
    assert ClientTier.objects.get(client=clients[0]).tier == "B"
    client.force_login(admin)
    policy = services.policy_draft_create(actor=admin, rules=services.policy_rules(services.TierPolicy.objects.first()))
    html = client.get(f"/tiering/policies/{policy.pk}/?whatif=1").content.decode()
    assert "试算结果" in html and "未写入任何客户级别" in html


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_runs_the_recompute_task(make_clients, admin):
    from tests.workers import running_worker, wait_for

    make_clients([(100, i) for i in range(5)])
    with running_worker():
        run = services.tier_recompute_request(actor=admin)
        done = wait_for(lambda: TierRecompute.objects.filter(pk=run.pk, status="done").first(), timeout=60)
    assert done.clients_total == 5 and done.changed == 5
    assert ClientTier.objects.count() == 5
