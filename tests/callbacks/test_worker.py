"""The callback workflow with a real Celery worker on Redis and PostgreSQL."""

import threading
import time

import pytest
from django.db import connection, transaction

from accounts.models import AccountStatus, DepositoryBinding, FundAccount, SecuritiesAccount
from archive.models import Document
from callbacks import services as svc
from callbacks.models import CallbackAttempt, CallbackTask, TaskStatus
from callbacks.tasks import callback_tasks_sweep_task
from onboarding.models import ApplicationStatus
from tests.callbacks.conftest import ALL_YES
from tests.workers import WorkerProcess, purge_queue, running_worker, wait_for

VISIBILITY_TIMEOUT = 3
pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


def _statuses(client) -> list[str]:
    return [
        *FundAccount.objects.filter(client=client).values_list("status", flat=True),
        *SecuritiesAccount.objects.filter(client=client).values_list("status", flat=True),
        *DepositoryBinding.objects.filter(client=client).values_list("status", flat=True),
    ]


def test_the_sweeper_task_creates_the_callback_task_in_the_worker(opened_app, agent):
    app = opened_app()
    with running_worker():
        callback_tasks_sweep_task.delay()
        task = wait_for(lambda: CallbackTask.objects.filter(application=app).first())
        callback_tasks_sweep_task.delay()  # idempotent
        wait_for(lambda: task.events.exists())
    assert task.assigned_to == agent and task.status == TaskStatus.PENDING
    assert CallbackTask.objects.filter(application=app).count() == 1


def test_a_passed_callback_activates_once_and_the_worker_files_the_record(opened_app, agent):
    app = opened_app()
    svc.callback_tasks_sweep()
    task = CallbackTask.objects.get(application=app)
    with running_worker():
        attempt = svc.callback_attempt_record(actor=agent, task_id=task.pk, channel="phone", outcome="connected",
                                              confirmations=ALL_YES)  # fmt: skip
        wait_for(lambda: CallbackAttempt.objects.get(pk=attempt.pk).record_document_id, timeout=60)
    app.refresh_from_db()
    assert app.status == ApplicationStatus.ACTIVE
    assert set(_statuses(app.client)) == {AccountStatus.ACTIVE}
    assert app.events.filter(action="activated").count() == 1
    assert Document.objects.filter(kind="callback_record", client=app.client).count() == 1


def test_a_denied_confirmation_rejects_and_the_record_says_why(opened_app, agent):
    app = opened_app()
    svc.callback_tasks_sweep()
    task = CallbackTask.objects.get(application=app)
    with running_worker():
        attempt = svc.callback_attempt_record(actor=agent, task_id=task.pk, channel="phone", outcome="connected",
                                              confirmations={**ALL_YES, "identity_confirmed": False},
                                              notes="对方无法说出证件号码后四位")  # fmt: skip
        wait_for(lambda: CallbackAttempt.objects.get(pk=attempt.pk).record_document_id, timeout=60)
    app.refresh_from_db()
    assert app.status == ApplicationStatus.REJECTED and "客户身份存疑" in app.closed_reason
    assert set(_statuses(app.client)) == {AccountStatus.PENDING_ACTIVATION}
    document = Document.objects.get(kind="callback_record", client=app.client)
    assert document.render_data["script"][0]["answer"] == "否"


def _lock_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def test_a_worker_killed_in_the_middle_leaves_nothing_half_done_and_the_work_completes_after_restart(opened_app, agent):
    app = opened_app()
    svc.callback_tasks_sweep()
    task = CallbackTask.objects.get(application=app)
    purge_queue()
    # given a passed callback: activation and the pass commit together; the record task is queued after commit
    attempt = svc.callback_attempt_record(actor=agent, task_id=task.pk, channel="phone", outcome="connected",
                                          confirmations=ALL_YES)  # fmt: skip
    assert set(_statuses(app.client)) == {AccountStatus.ACTIVE}

    # and the attempt row held by someone else, so the worker stops in the middle of its transaction
    holding, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                CallbackAttempt.objects.select_for_update().get(pk=attempt.pk)
                holding.set()
                release.wait(60)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    first = WorkerProcess(extra_env={"CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)}).start()
    try:
        wait_for(lambda: _lock_waiters() >= 1, timeout=30)  # the worker is inside the task, waiting

        # when the worker is killed with -9 mid-task
        first.kill()
    finally:
        first.kill()
        release.set()
        holder.join(10)

    # then nothing of the record was written, and the client is fully active (never half)
    assert CallbackAttempt.objects.get(pk=attempt.pk).record_document_id is None
    assert not Document.objects.filter(kind="callback_record").exists()
    assert set(_statuses(app.client)) == {AccountStatus.ACTIVE}

    # and a restarted worker gets the unacknowledged task back and completes it, once. Redis hands an
    # unacked message out again only after the visibility timeout; a worker scans for such messages when
    # it starts (then only every ~100 s), so let the timeout pass first.
    time.sleep(VISIBILITY_TIMEOUT + 1)
    second = WorkerProcess(extra_env={"CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)}).start()
    try:
        wait_for(lambda: CallbackAttempt.objects.get(pk=attempt.pk).record_document_id, timeout=90)
    finally:
        second.stop()
    assert Document.objects.filter(kind="callback_record", client=app.client).count() == 1
    app.refresh_from_db()
    assert app.events.filter(action="activated").count() == 1
    assert CallbackTask.objects.get(pk=task.pk).events.filter(action="record_filed").count() == 1
