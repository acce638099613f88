"""The CSDC workflow of client data changes in a REAL Celery worker on Redis and PostgreSQL."""

import threading
import time

import pytest
from django.db import connection, transaction

from accounts import services as svc
from accounts.crypto import blind_index
from accounts.models import ChangeRequest, ChangeStatus, Client, CsdcSimAccount
from accounts.simulators import GatewayFault
from tests.accounts.changes_support import (
    CSDC_DOCUMENTS,
    INSTITUTION_KEY_DOCUMENTS,
    KEY_DOCUMENTS,
    client_with_accounts,
    holders,
    institution_with_accounts,
    resident_id,
    uploads,
)
from tests.workers import WorkerProcess, purge_queue, wait_for

VISIBILITY_TIMEOUT = 3
FAST_RETRIES = {"CHANGE_SYNC_BACKOFF_SECONDS": "0.2", "CHANGE_SYNC_MAX_RETRIES": "2"}
DONE = {"applied", "applied_local", "blocked_link", "failed", "manual"}
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def worker():
    purge_queue()
    process = WorkerProcess(extra_env=FAST_RETRIES).start()
    yield process
    process.stop()


def _status(req) -> str:
    return ChangeRequest.objects.values_list("status", flat=True).get(pk=req.pk)


def _finished(req, timeout: float = 60) -> ChangeRequest:
    wait_for(lambda: _status(req) in DONE, timeout=timeout)
    return ChangeRequest.objects.get(pk=req.pk)


def _approve_key_change(clerk, reviewer, client, **changes):
    req = svc.change_request_create(
        actor=clerk, client_id=client.pk, client_version=client.version,
        changes=changes or {"name": "张三丰", "id_number": resident_id(900)}, uploads=uploads(*KEY_DOCUMENTS),
    )  # fmt: skip
    svc.change_request_review(actor=reviewer, request_id=req.pk, approve=True)
    return req


def test_an_ordinary_change_synced_to_csdc(worker, clerk, reviewer):
    client = client_with_accounts(clerk)
    req = svc.change_request_create(actor=clerk, client_id=client.pk, client_version=0,
                                    changes={"address": "上海市浦东新区世纪大道100号"}, sync_targets=["csdc", "fund"],
                                    uploads=uploads(*CSDC_DOCUMENTS))  # fmt: skip
    svc.change_request_review(actor=reviewer, request_id=req.pk, approve=True)
    req = _finished(req)
    assert req.status == ChangeStatus.APPLIED, req.status_reason
    assert Client.objects.get(pk=client.pk).address == "上海市浦东新区世纪大道100号"
    assert CsdcSimAccount.objects.get(ymt_no=req.ymt_no).applied_requests == [req.csdc_ref]


def test_a_key_change_synced_to_csdc(worker, clerk, reviewer):
    client = client_with_accounts(clerk)
    new = resident_id(900)
    req = _finished(_approve_key_change(clerk, reviewer, client))
    assert req.status == ChangeStatus.APPLIED, req.status_reason
    client = Client.objects.get(pk=client.pk)
    assert (client.name, client.id_number_index, client.version) == ("张三丰", blind_index(new), 1)
    assert client.data_changed_at is not None  # suitability asks for a reassessment
    assert holders(client) == {("张三丰", "resident_id", blind_index(new))}
    sim = CsdcSimAccount.objects.get(ymt_no=req.ymt_no)
    assert (sim.name, sim.id_index) == ("张三丰", blind_index(new))


def test_an_institution_key_change_synced_to_csdc_reaches_the_client_and_every_account(worker, clerk, reviewer):
    from stdnum.cn import uscc

    company = institution_with_accounts(clerk)
    new_code = "91310115MA1H00003" + uscc.calc_check_digit("91310115MA1H00003")
    new_rep = resident_id(779)
    req = svc.change_request_create(
        actor=clerk, client_id=company.pk, client_version=0,
        changes={"name": "某某数字科技有限公司", "id_number": new_code, "legal_rep_name": "赵六",
                 "legal_rep_id_number": new_rep},
        uploads=uploads(*INSTITUTION_KEY_DOCUMENTS),
    )  # fmt: skip
    svc.change_request_review(actor=reviewer, request_id=req.pk, approve=True)
    req = _finished(req)
    assert req.status == ChangeStatus.APPLIED, req.status_reason
    client = Client.objects.get(pk=company.pk)
    assert (client.name, client.id_type, client.id_number_index, client.version) == (
        "某某数字科技有限公司", "uscc", blind_index(new_code), 1,
    )  # fmt: skip
    assert (client.legal_rep_name, client.legal_rep_id_number) == ("赵六", new_rep)
    assert holders(client) == {("某某数字科技有限公司", "uscc", blind_index(new_code))}
    assert client.fund_accounts.count() == 1 and client.securities_accounts.count() == 2
    assert client.depository_bindings.count() == 1
    sim = CsdcSimAccount.objects.get(ymt_no=req.ymt_no)
    assert (sim.name, sim.id_index, sim.applied_requests) == (
        "某某数字科技有限公司",
        blind_index(new_code),
        [req.csdc_ref],
    )


def test_no_ymt_record_applies_locally_and_is_not_sent(worker, clerk, reviewer):
    client = client_with_accounts(clerk, ymt=False)
    req = _finished(_approve_key_change(clerk, reviewer, client))
    assert req.status == ChangeStatus.APPLIED_LOCAL and "未发送中国结算" in req.status_reason
    assert req.events.filter(action="csdc_ymt_query", payload__found=False).count() == 1
    assert not req.events.filter(action="csdc_key_info_update").exists()


def test_an_unconfirmed_link_blocks_then_confirm_and_resume(worker, clerk, reviewer):
    client = client_with_accounts(clerk, unconfirmed=("SH",))
    req = _finished(_approve_key_change(clerk, reviewer, client))
    assert req.status == ChangeStatus.BLOCKED_LINK and "请先确认关联关系" in req.status_reason
    assert Client.objects.get(pk=client.pk).name == "张三"

    svc.change_request_link_confirm(actor=clerk, request_id=req.pk)
    wait_for(lambda: _status(req) == ChangeStatus.APPLIED, timeout=60)
    assert Client.objects.get(pk=client.pk).name == "张三丰"
    assert req.events.filter(action="csdc_link_confirm", payload__markets=["SH"]).count() == 1


def test_a_transient_csdc_error_then_success(worker, clerk, reviewer):
    client = client_with_accounts(clerk)
    GatewayFault.objects.create(system="csdc", operation="key_info_update", mode="transient", remaining=2,
                                message="timeout")  # fmt: skip
    req = _finished(_approve_key_change(clerk, reviewer, client))
    assert req.status == ChangeStatus.APPLIED
    assert req.events.filter(action="csdc_key_info_update_unavailable").count() == 2
    assert CsdcSimAccount.objects.get(ymt_no=req.ymt_no).applied_requests == [req.csdc_ref]


def test_a_permanent_refusal_fails_with_csdcs_reason(worker, clerk, reviewer):
    client = client_with_accounts(clerk)
    GatewayFault.objects.create(system="csdc", operation="key_info_update", mode="permanent",
                                message="证件号码已被其他一码通使用")  # fmt: skip
    req = _finished(_approve_key_change(clerk, reviewer, client))
    assert req.status == ChangeStatus.FAILED and req.status_reason == "中国结算拒绝：证件号码已被其他一码通使用"
    assert Client.objects.get(pk=client.pk).version == 0


def test_exhausted_retries_go_to_the_manual_queue_and_can_be_resumed(worker, clerk, reviewer):
    from accounts.selectors import change_requests_manual

    client = client_with_accounts(clerk)
    fault = GatewayFault.objects.create(system="csdc", operation="ymt_query", mode="transient", message="unavailable")
    req = _finished(_approve_key_change(clerk, reviewer, client))
    assert req.status == ChangeStatus.MANUAL and "需人工处理" in req.status_reason
    assert req.events.filter(action="csdc_ymt_query_unavailable").count() == 3  # first try + 2 retries
    assert list(change_requests_manual()) == [req]

    fault.delete()
    svc.change_request_resume(actor=reviewer, request_id=req.pk, reason="中国结算已恢复")
    wait_for(lambda: _status(req) == ChangeStatus.APPLIED, timeout=60)


def _lock_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def test_a_worker_killed_mid_sync_completes_after_restart_without_applying_twice(clerk, reviewer):
    client = client_with_accounts(clerk)
    new = resident_id(900)
    purge_queue()
    req = _approve_key_change(clerk, reviewer, client)  # the sync task is queued after commit

    # the client row held by someone else: the worker sends the change to CSDC, then waits to apply it locally
    holding, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                Client.objects.select_for_update().get(pk=client.pk)
                holding.set()
                release.wait(90)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    env = {"CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT), **FAST_RETRIES}
    first = WorkerProcess(extra_env=env).start()
    try:
        wait_for(lambda: req.events.filter(action="csdc_key_info_update").exists() and _lock_waiters() >= 1,
                 timeout=60)  # fmt: skip
        first.kill()  # kill -9 in the middle of the local application
    finally:
        first.kill()
        release.set()
        holder.join(10)

    # CSDC has the change, the client does not yet (the local transaction died with the worker)
    assert CsdcSimAccount.objects.get(ymt_no=ChangeRequest.objects.get(pk=req.pk).ymt_no).id_index == blind_index(new)
    assert Client.objects.get(pk=client.pk).name == "张三" and _status(req) == ChangeStatus.SYNCING

    time.sleep(VISIBILITY_TIMEOUT + 1)
    second = WorkerProcess(extra_env=env).start()
    try:
        wait_for(lambda: _status(req) == ChangeStatus.APPLIED, timeout=90)
    finally:
        second.stop()
    req = ChangeRequest.objects.get(pk=req.pk)
    assert CsdcSimAccount.objects.get(ymt_no=req.ymt_no).applied_requests == [req.csdc_ref]  # sent, applied once
    client = Client.objects.get(pk=client.pk)
    assert (client.name, client.version) == ("张三丰", 1)
    assert client.history.filter(history_change_reason=f"资料变更申请 #{req.pk} 生效").count() == 1
    assert req.events.filter(action="applied").count() == 1
    assert holders(client) == {("张三丰", "resident_id", blind_index(new))}


def test_the_sweeper_resends_an_approved_request_whose_task_was_lost(clerk, reviewer):
    from django.utils import timezone

    client = client_with_accounts(clerk)
    req = _approve_key_change(clerk, reviewer, client)
    purge_queue()  # the message sent on commit is lost
    assert svc.change_requests_sweep(older_than=timezone.now() + timezone.timedelta(seconds=1)) == 1
    process = WorkerProcess(extra_env=FAST_RETRIES).start()
    try:
        wait_for(lambda: _status(req) == ChangeStatus.APPLIED, timeout=60)
    finally:
        process.stop()
