"""The callback workflow through its services: creation, the five confirmations, attempts, deadlines."""

import datetime

import pytest
from django.utils import timezone

from accounts.errors import ApplicationError
from accounts.models import AccountStatus, FundAccount, SecuritiesAccount
from accounts.roles import Role
from archive.models import Document
from callbacks import services as svc
from callbacks.models import CallbackAttempt, CallbackTask, TaskStatus
from callbacks.workdays import workdays_add
from onboarding.models import ApplicationStatus
from tests.callbacks.conftest import ALL_YES

pytestmark = pytest.mark.django_db
T = TaskStatus


def _task_for(app) -> CallbackTask:
    svc.callback_tasks_sweep()
    return CallbackTask.objects.get(application=app)


def _accounts_status(client) -> set[str]:
    return set(FundAccount.objects.filter(client=client).values_list("status", flat=True)) | set(
        SecuritiesAccount.objects.filter(client=client).values_list("status", flat=True)
    )


def test_the_sweeper_creates_one_task_per_opened_application_due_in_one_working_day(opened_app, agent):
    app = opened_app()

    first = svc.callback_tasks_sweep()
    second = svc.callback_tasks_sweep()

    assert first["created"] == 1 and second["created"] == 0
    task = CallbackTask.objects.get(application=app)
    assert task.status == T.PENDING and task.reason == "pre_activation" and task.client == app.client
    assert task.assigned_to == agent
    local_open = timezone.localtime(app.opened_at)
    assert task.due_at == workdays_add(local_open, 1)
    assert task.expires_at == workdays_add(local_open, 10)
    assert task.events.get().action == "created"
    assert task.history.first().history_user.username == "system-callbacks"


def test_tasks_go_to_the_least_loaded_agent(opened_app, make_staff):
    busy = make_staff(Role.CALLBACK_AGENT, username="busy")
    idle = make_staff(Role.CALLBACK_AGENT, username="idle")
    opened_app()
    svc.callback_tasks_sweep()
    assert CallbackTask.objects.get().assigned_to == busy  # equal load: the longest-serving agent

    opened_app()
    svc.callback_tasks_sweep()

    assert set(CallbackTask.objects.values_list("assigned_to__username", flat=True)) == {"busy", "idle"}
    assert idle.is_active


def test_all_five_confirmed_passes_and_activates_the_accounts_exactly_once(opened_app, agent):
    app = opened_app()
    task = _task_for(app)

    attempt = svc.callback_attempt_record(actor=agent, task_id=task.pk, channel="phone", outcome="connected",
                                          confirmations=ALL_YES, recording_ref="REC-1")  # fmt: skip

    task.refresh_from_db()
    app.refresh_from_db()
    assert attempt.number == 1 and task.status == T.PASSED and task.closed_at is not None
    assert app.status == ApplicationStatus.ACTIVE
    assert _accounts_status(app.client) == {AccountStatus.ACTIVE}
    assert app.events.filter(action="activated").count() == 1
    with pytest.raises(ApplicationError) as excinfo:
        svc.callback_attempt_record(actor=agent, task_id=task.pk, channel="phone", outcome="connected",
                                    confirmations=ALL_YES)  # fmt: skip
    assert excinfo.value.code == "task_done" and excinfo.value.status == 409
    assert app.events.filter(action="activated").count() == 1
    assert CallbackAttempt.objects.count() == 1


def test_a_denied_confirmation_fails_the_callback_and_rejects_the_application(opened_app, agent):
    app = opened_app()
    task = _task_for(app)

    svc.callback_attempt_record(actor=agent, task_id=task.pk, channel="video", outcome="connected",
                                confirmations={**ALL_YES, "true_wish": False}, notes="客户称系他人要求开户")  # fmt: skip

    task.refresh_from_db()
    app.refresh_from_db()
    assert task.status == T.FAILED
    assert "开户非客户本人真实意愿" in task.outcome_reason
    assert app.status == ApplicationStatus.REJECTED
    assert "开户非客户本人真实意愿" in app.closed_reason
    assert _accounts_status(app.client) == {AccountStatus.PENDING_ACTIVATION}


def test_a_denial_needs_notes_and_nothing_is_saved_without_them(opened_app, agent):
    task = _task_for(opened_app())
    with pytest.raises(ApplicationError) as excinfo:
        svc.callback_attempt_record(actor=agent, task_id=task.pk, channel="phone", outcome="connected",
                                    confirmations={**ALL_YES, "identity_confirmed": False})  # fmt: skip
    assert excinfo.value.code == "denial_reason_required"
    assert CallbackAttempt.objects.count() == 0
    task.refresh_from_db()
    assert task.status == T.PENDING and task.attempts_count == 0


def test_connected_without_every_confirmation_is_refused(opened_app, agent):
    task = _task_for(opened_app())
    partial = {k: v for k, v in ALL_YES.items() if k != "password_reminder_given"}
    with pytest.raises(ApplicationError) as excinfo:
        svc.callback_attempt_record(actor=agent, task_id=task.pk, channel="phone", outcome="connected",
                                    confirmations=partial)  # fmt: skip
    assert excinfo.value.code == "confirmations_incomplete"
    assert excinfo.value.fields == {"password_reminder_given": ["required"]}
    assert "已提示自行设置并妥善保管密码" in excinfo.value.message
    assert CallbackAttempt.objects.count() == 0


def test_with_an_agent_the_agents_identity_and_authority_must_be_confirmed(opened_app, agent):
    app = opened_app(with_agent=True)
    task = _task_for(app)
    with pytest.raises(ApplicationError) as excinfo:
        svc.callback_attempt_record(actor=agent, task_id=task.pk, channel="phone", outcome="connected",
                                    confirmations=ALL_YES)  # fmt: skip
    assert excinfo.value.fields == {"agent_confirmed": ["required"]}

    svc.callback_attempt_record(actor=agent, task_id=task.pk, channel="phone", outcome="connected",
                                confirmations={**ALL_YES, "agent_confirmed": True})  # fmt: skip
    app.refresh_from_db()
    assert app.status == ApplicationStatus.ACTIVE


def test_not_reached_schedules_the_next_attempt_two_hours_later_then_escalates(opened_app, agent):
    task = _task_for(opened_app())
    t0 = timezone.now()

    svc.callback_attempt_record(actor=agent, task_id=task.pk, channel="phone", outcome="no_answer", now=t0)
    task.refresh_from_db()
    assert task.status == T.IN_PROGRESS and task.attempts_count == 1
    assert task.next_attempt_at == t0 + datetime.timedelta(hours=2)

    with pytest.raises(ApplicationError) as excinfo:  # within the gap
        svc.callback_attempt_record(actor=agent, task_id=task.pk, channel="phone", outcome="busy",
                                    now=t0 + datetime.timedelta(hours=1, minutes=59))  # fmt: skip
    assert excinfo.value.code == "too_soon"

    svc.callback_attempt_record(actor=agent, task_id=task.pk, channel="phone", outcome="busy",
                                now=t0 + datetime.timedelta(hours=2))  # fmt: skip
    svc.callback_attempt_record(actor=agent, task_id=task.pk, channel="phone", outcome="wrong_person",
                                now=t0 + datetime.timedelta(hours=4))  # fmt: skip
    task.refresh_from_db()
    assert task.status == T.ESCALATED and task.attempts_count == 3 and task.escalated_at is not None

    with pytest.raises(ApplicationError) as excinfo:
        svc.callback_attempt_record(actor=agent, task_id=task.pk, channel="phone", outcome="no_answer",
                                    now=t0 + datetime.timedelta(hours=6))  # fmt: skip
    assert excinfo.value.code == "attempts_exhausted"


def test_confirmations_are_refused_on_a_call_that_was_not_connected(opened_app, agent):
    task = _task_for(opened_app())
    with pytest.raises(ApplicationError) as excinfo:
        svc.callback_attempt_record(actor=agent, task_id=task.pk, channel="phone", outcome="no_answer",
                                    confirmations=ALL_YES)  # fmt: skip
    assert excinfo.value.code == "confirmations_not_allowed"


def test_overdue_tasks_escalate_and_unpassed_ones_expire_closing_the_application(opened_app, agent):
    app = opened_app()
    task = _task_for(app)

    svc.callback_deadlines_enforce(now=task.due_at - datetime.timedelta(minutes=30))
    assert task.events.filter(action="due_reminder").count() == 1
    svc.callback_deadlines_enforce(now=task.due_at - datetime.timedelta(minutes=20))
    assert task.events.filter(action="due_reminder").count() == 1  # reminded once

    counts = svc.callback_deadlines_enforce(now=task.due_at + datetime.timedelta(minutes=1))
    task.refresh_from_db()
    assert counts["escalated"] == 1 and task.status == T.ESCALATED

    assert svc.callback_deadlines_enforce(now=task.expires_at - datetime.timedelta(seconds=1))["expired"] == 0
    counts = svc.callback_deadlines_enforce(now=task.expires_at)
    again = svc.callback_deadlines_enforce(now=task.expires_at + datetime.timedelta(hours=1))
    task.refresh_from_db()
    app.refresh_from_db()
    assert counts["expired"] == 1 and again["expired"] == 0
    assert task.status == T.EXPIRED
    assert app.status == ApplicationStatus.REJECTED and "10 个工作日内回访未通过" in app.closed_reason
    assert _accounts_status(app.client) == {AccountStatus.PENDING_ACTIVATION}
    assert svc.callback_tasks_sweep()["created"] == 0  # a rejected application gets no new task


def test_only_the_assigned_agent_or_a_supervisor_may_record(opened_app, agent, make_staff, supervisor):
    task = _task_for(opened_app())
    other = make_staff(Role.CALLBACK_AGENT, username="other")
    with pytest.raises(ApplicationError) as excinfo:
        svc.callback_attempt_record(actor=other, task_id=task.pk, channel="phone", outcome="no_answer")
    assert excinfo.value.code == "not_assigned"
    clerk = make_staff(Role.CLERK)
    with pytest.raises(ApplicationError) as excinfo:
        svc.callback_attempt_record(actor=clerk, task_id=task.pk, channel="phone", outcome="no_answer")
    assert excinfo.value.code == "permission_denied"

    svc.callback_attempt_record(actor=supervisor, task_id=task.pk, channel="phone", outcome="no_answer")
    assert CallbackAttempt.objects.get().agent == supervisor


def test_a_supervisor_reassigns_an_open_task(opened_app, agent, make_staff, supervisor):
    task = _task_for(opened_app())
    other = make_staff(Role.CALLBACK_AGENT, username="other")

    svc.callback_task_reassign(actor=supervisor, task_id=task.pk, agent_id=other.pk, reason="休假")

    task.refresh_from_db()
    assert task.assigned_to == other
    assert task.events.filter(action="reassigned").get().payload == {"from_agent": "agent1", "to_agent": "other"}
    with pytest.raises(ApplicationError) as excinfo:
        svc.callback_task_reassign(actor=agent, task_id=task.pk, agent_id=agent.pk)
    assert excinfo.value.code == "permission_denied"
    with pytest.raises(ApplicationError) as excinfo:
        svc.callback_task_reassign(actor=supervisor, task_id=task.pk, agent_id=supervisor.pk)
    assert excinfo.value.code == "agent_unknown"


def test_the_callback_record_is_filed_once(opened_app, agent):
    app = opened_app(with_agent=True)
    task = _task_for(app)
    attempt = svc.callback_attempt_record(actor=agent, task_id=task.pk, channel="phone", outcome="connected",
                                          confirmations={**ALL_YES, "agent_confirmed": True})  # fmt: skip

    first = svc.callback_record_generate(attempt_id=attempt.pk)
    second = svc.callback_record_generate(attempt_id=attempt.pk)

    assert first == second
    document = Document.objects.get(kind="callback_record")
    assert document.pk == first and document.client == app.client
    data = document.render_data
    assert [row["label"] for row in data["script"]] == [
        "客户身份确认", "代理人身份及授权确认", "已阅读并理解风险揭示", "开户系本人真实意愿",
        "已提示自行设置并妥善保管密码", "开户方式确认",
    ]  # fmt: skip
    assert data["agent"]["name"] == "陈回访"
    assert "*" in data["client"]["id_number"]
