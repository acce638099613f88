"""Every write of the callback stage (回访, SPEC §3 art. 11, §6). One function per business action; each
checks who may do it, locks the task, checks its state, and records an event."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.access import require_perm
from accounts.audit import audited_save
from accounts.errors import ApplicationError
from accounts.roles import Role
from archive.models import DocumentKind
from archive.services import document_generate
from onboarding import services as onboarding_services
from onboarding.models import Application, ApplicationStatus

from .errors import CallbackError
from .models import (
    OPEN_TASK_STATUSES,
    AttemptOutcome,
    CallbackAttempt,
    CallbackEvent,
    CallbackReason,
    CallbackTask,
    TaskStatus,
)
from .workdays import workdays_add

logger = logging.getLogger(__name__)
User = get_user_model()
T = TaskStatus

# The confirmations of art. 11 with their script wording, in order. "agent_confirmed" only with an agent.
CONFIRMATIONS: list[tuple[str, str, str]] = [
    ("identity_confirmed", "客户身份确认", "请问您是{name}本人吗？请报出您证件号码的后四位。"),
    ("agent_confirmed", "代理人身份及授权确认", "请确认代理人{agent_name}的身份，以及您对其办理开户的授权（经公证）。"),
    ("disclosures_understood", "已阅读并理解风险揭示", "您是否已阅读《风险揭示书》和开户协议，并理解其中的风险？"),
    ("true_wish", "开户系本人真实意愿", "开立证券账户是否是您本人的真实意愿？"),
    ("password_reminder_given", "已提示自行设置并妥善保管密码", "请您自行设置交易和资金密码并妥善保管，不要告诉他人。"),
    ("channel_confirmed", "开户方式确认", "请确认您是通过「{channel}」方式办理的开户。"),
]
DENIAL_MEANING = {
    "identity_confirmed": "客户身份存疑",
    "agent_confirmed": "代理人身份或授权存疑",
    "disclosures_understood": "客户未理解风险揭示",
    "true_wish": "开户非客户本人真实意愿",
    "password_reminder_given": "未能完成密码提示",
    "channel_confirmed": "开户方式与登记不符",
}


@dataclass(frozen=True)
class CallbackPolicy:
    first_due_workdays: int
    max_attempts: int
    min_gap: timedelta
    expiry_workdays: int
    reminder_ahead: timedelta


def callback_policy() -> CallbackPolicy:
    """The SPEC §6 defaults, each overridable in settings."""
    return CallbackPolicy(
        first_due_workdays=getattr(settings, "CALLBACK_FIRST_DUE_WORKDAYS", 1),
        max_attempts=getattr(settings, "CALLBACK_MAX_ATTEMPTS", 3),
        min_gap=timedelta(hours=getattr(settings, "CALLBACK_MIN_GAP_HOURS", 2)),
        expiry_workdays=getattr(settings, "CALLBACK_EXPIRY_WORKDAYS", 10),
        reminder_ahead=timedelta(minutes=getattr(settings, "CALLBACK_REMINDER_MINUTES", 60)),
    )


# --- helpers ---------------------------------------------------------------------------------------


def _event(task: CallbackTask, *, actor, action: str, from_status: str = "", reason: str = "", **payload) -> None:
    CallbackEvent.objects.create(
        task=task,
        action=action,
        from_status=from_status,
        to_status=task.status,
        actor=actor if (actor is not None and actor.is_authenticated) else None,
        reason=reason,
        payload=payload,
    )


def _locked(task_id: int) -> CallbackTask:
    task = CallbackTask.objects.select_for_update().filter(pk=task_id).first()
    if task is None:
        raise ApplicationError(CallbackError.TASK_NOT_FOUND, task_id=task_id)
    return task


def _move(task: CallbackTask, to: str, *, actor, action: str, reason: str = "", **payload) -> None:
    before = task.status
    task.status = to
    audited_save(task, actor=actor, reason=reason or action)
    _event(task, actor=actor, action=action, from_status=before, reason=reason, **payload)


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment)


def callback_system_user():
    """The account the scheduler acts as (sweeps, escalation, expiry): it cannot log in, and holds the
    callback supervisor role so the history of every automatic change names who made it."""
    username = getattr(settings, "CALLBACK_SYSTEM_USERNAME", "system-callbacks")
    user = User.objects.filter(username=username).first()
    if user is None:
        with transaction.atomic():
            user, created = User.objects.get_or_create(username=username, defaults={"is_active": True})
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
                user.groups.add(Group.objects.get(name=Role.CALLBACK_SUPERVISOR))
    return user


def callback_agent_pick(*, exclude_id: int | None = None):
    """Least-loaded active callback agent (fewest open tasks, then longest-serving); None if there is none."""
    agents = (
        User.objects.filter(is_active=True, groups__name=Role.CALLBACK_AGENT)
        .exclude(username=getattr(settings, "CALLBACK_SYSTEM_USERNAME", "system-callbacks"))
        .annotate(open_tasks=Count("callback_tasks", filter=Q(callback_tasks__status__in=OPEN_TASK_STATUSES)))
        .order_by("open_tasks", "pk")
    )
    if exclude_id is not None:
        agents = agents.exclude(pk=exclude_id)
    return agents.first()


# --- creation --------------------------------------------------------------------------------------


def callback_task_create(
    *, actor, client_id: int, reason: str, application_id: int | None = None, start: datetime | None = None
) -> CallbackTask:
    """Create a callback task, due on the working-day calendar and assigned to the least-loaded agent.
    For a pre-activation callback the unique constraint makes this idempotent: a second create for the
    same application raises IntegrityError, which the sweeper treats as "already there"."""
    policy = callback_policy()
    start = _local(start or timezone.now())
    agent = callback_agent_pick()
    task = CallbackTask(
        application_id=application_id,
        client_id=client_id,
        reason=reason,
        assigned_to=agent,
        due_at=workdays_add(start, policy.first_due_workdays),
        expires_at=workdays_add(start, policy.expiry_workdays),
    )
    with transaction.atomic():
        audited_save(task, actor=actor, reason=f"callback task created ({reason})")
        _event(task, actor=actor, action="created", reason=reason, due_at=task.due_at.isoformat(),
               assigned_to=getattr(agent, "username", None))  # fmt: skip
    return task


def callback_tasks_sweep(*, now: datetime | None = None) -> dict:
    """Make sure every application whose accounts are opened has its pre-activation callback task, close
    tasks whose application left that state elsewhere, and re-send callback records not yet filed.
    Safe to run any number of times, concurrently too."""
    now = now or timezone.now()
    system = callback_system_user()
    created = 0
    waiting = Application.objects.filter(status=ApplicationStatus.ACCOUNTS_OPENED).exclude(
        callback_tasks__reason=CallbackReason.PRE_ACTIVATION, callback_tasks__status__in=OPEN_TASK_STATUSES
    )
    for app in waiting.order_by("pk").only("pk", "client_id", "opened_at"):
        try:
            callback_task_create(actor=system, client_id=app.client_id, reason=CallbackReason.PRE_ACTIVATION,
                                 application_id=app.pk, start=app.opened_at or now)  # fmt: skip
            created += 1
        except IntegrityError:  # a concurrent sweep created it first
            continue
    closed = 0
    stale = CallbackTask.objects.filter(reason=CallbackReason.PRE_ACTIVATION, status__in=OPEN_TASK_STATUSES).exclude(
        application__status=ApplicationStatus.ACCOUNTS_OPENED
    )
    for task_id in stale.values_list("pk", flat=True):
        with transaction.atomic():
            task = _locked(task_id)
            app_status = Application.objects.values_list("status", flat=True).get(pk=task.application_id)
            if task.is_open and app_status != ApplicationStatus.ACCOUNTS_OPENED:
                task.closed_at = now
                task.outcome_reason = f"开户申请已不在待回访状态（{app_status}）"
                _move(task, T.CLOSED, actor=system, action="closed", reason=task.outcome_reason)
                closed += 1
    resent = callback_records_resend(older_than=now - timedelta(minutes=5))
    key_changes = key_change_callbacks_create(actor=system, now=now)
    return {"created": created, "closed": closed, "records_resent": resent, "key_changes": key_changes}


def key_change_callbacks_create(*, actor, now: datetime) -> int:
    """A callback task for every applied key-data change that has none (setting KEY_CHANGE_CALLBACK);
    the change request records the task's id under its lock, so a task is created once per change."""
    from accounts import services as account_services

    if not getattr(settings, "KEY_CHANGE_CALLBACK", True):
        return 0
    created = 0
    for request_id in account_services.change_requests_without_callback():

        def make(req) -> int:
            return callback_task_create(actor=actor, client_id=req.client_id, reason=CallbackReason.KEY_DATA_CHANGE,
                                        start=req.applied_at or now).pk  # fmt: skip

        if account_services.change_request_callback_attach(request_id=request_id, make=make):
            created += 1
    return created


# --- working a task --------------------------------------------------------------------------------


def _confirmations_check(task: CallbackTask, outcome: str, confirmations: dict) -> dict[str, bool | None]:
    has_agent = bool(task.application_id and task.application.has_agent)
    needed = [key for key, _label, _q in CONFIRMATIONS if key != "agent_confirmed" or has_agent]
    values = {key: confirmations.get(key) for key, _label, _q in CONFIRMATIONS}
    if outcome != AttemptOutcome.CONNECTED:
        if any(v is not None for v in values.values()):
            raise ApplicationError(CallbackError.CONFIRMATIONS_NOT_ALLOWED, fields={"outcome": [outcome]})
        return values
    missing = [key for key in needed if values[key] is None]
    if missing:
        labels = "、".join(label for key, label, _q in CONFIRMATIONS if key in missing)
        raise ApplicationError(
            CallbackError.CONFIRMATIONS_INCOMPLETE, fields={k: ["required"] for k in missing}, missing=labels
        )
    if not has_agent:
        values["agent_confirmed"] = None
    return values


def callback_attempt_record(
    *,
    actor,
    task_id: int,
    channel: str,
    outcome: str,
    confirmations: dict | None = None,
    notes: str = "",
    recording_ref: str = "",
    started_at: datetime | None = None,
    now: datetime | None = None,
) -> CallbackAttempt:
    """Record one call. All confirmations given → passed, and the client's accounts are activated in the same
    transaction (exactly once: the task row is locked and its state checked, so a concurrent second "pass"
    finds it passed and gets a conflict). Any denied → failed, the application is rejected. Not reached →
    the next attempt is scheduled, or the task escalates once the attempts are used up."""
    require_perm(actor, "callbacks.add_callbackattempt")
    policy = callback_policy()
    now = now or timezone.now()
    with transaction.atomic():
        task = _locked(task_id)
        if not task.is_open:
            raise ApplicationError(CallbackError.TASK_DONE, task_id=task.pk, status=task.get_status_display(),
                                   status_en=task.status)  # fmt: skip
        if task.assigned_to_id != actor.pk and not actor.has_perm("callbacks.reassign_callbacktask"):
            raise ApplicationError(CallbackError.NOT_ASSIGNED)
        if task.attempts_count >= policy.max_attempts:
            raise ApplicationError(CallbackError.ATTEMPTS_EXHAUSTED, count=task.attempts_count,
                                   max=policy.max_attempts)  # fmt: skip
        if task.next_attempt_at and now < task.next_attempt_at:
            raise ApplicationError(CallbackError.TOO_SOON, hours=int(policy.min_gap.total_seconds() // 3600),
                                   next_at=f"{_local(task.next_attempt_at):%Y-%m-%d %H:%M}")  # fmt: skip
        values = _confirmations_check(task, outcome, confirmations or {})
        denied = [key for key, value in values.items() if value is False]
        if denied and not notes.strip():
            raise ApplicationError(CallbackError.DENIAL_REASON_REQUIRED, fields={"notes": ["required"]})
        attempt = CallbackAttempt(
            task=task, number=task.attempts_count + 1, agent=actor, started_at=started_at or now, channel=channel,
            outcome=outcome, notes=notes.strip(), recording_ref=recording_ref.strip(), **values,
        )  # fmt: skip
        audited_save(attempt, actor=actor, reason=f"callback attempt {attempt.number}: {outcome}")
        task.attempts_count = attempt.number
        before = task.status
        if outcome == AttemptOutcome.CONNECTED and not denied:
            task.closed_at = now
            task.next_attempt_at = None
            task.outcome_reason = "五项确认均已确认"
            _move(task, T.PASSED, actor=actor, action="passed", attempt=attempt.number)
            if task.reason == CallbackReason.PRE_ACTIVATION:
                onboarding_services.application_activate(
                    actor=actor, application_id=task.application_id, reason=f"回访通过（回访任务 #{task.pk}）"
                )
        elif outcome == AttemptOutcome.CONNECTED:
            reason = "；".join(DENIAL_MEANING[k] for k in denied) + f"。{notes.strip()}"
            task.closed_at = now
            task.next_attempt_at = None
            task.outcome_reason = reason
            _move(task, T.FAILED, actor=actor, action="failed", reason=reason, attempt=attempt.number, denied=denied)
            if task.reason == CallbackReason.PRE_ACTIVATION:
                onboarding_services.application_callback_failed(
                    actor=actor, application_id=task.application_id, reason=reason
                )
        elif attempt.number >= policy.max_attempts:
            task.next_attempt_at = None
            task.escalated_at = now
            _move(task, T.ESCALATED, actor=actor, action="escalated", reason="回访次数已用尽，未能联系到客户",
                  attempt=attempt.number, outcome=outcome)  # fmt: skip
        else:
            task.next_attempt_at = now + policy.min_gap
            task.due_at = max(workdays_add(_local(now), policy.first_due_workdays), task.next_attempt_at)
            if task.status == T.PENDING:
                task.status = T.IN_PROGRESS
            audited_save(task, actor=actor, reason=f"attempt {attempt.number}: {outcome}")
            _event(task, actor=actor, action="attempted", from_status=before, attempt=attempt.number,
                   outcome=outcome, next_attempt_at=task.next_attempt_at.isoformat())  # fmt: skip
        if outcome == AttemptOutcome.CONNECTED:
            from .tasks import callback_record_generate_task

            transaction.on_commit(lambda: callback_record_generate_task.delay(attempt.pk))
    return attempt


@transaction.atomic
def callback_task_reassign(*, actor, task_id: int, agent_id: int, reason: str = "") -> CallbackTask:
    """A supervisor hands an open task to another active callback agent; the due time restarts."""
    require_perm(actor, "callbacks.reassign_callbacktask")
    task = _locked(task_id)
    if not task.is_open:
        raise ApplicationError(CallbackError.TASK_DONE, task_id=task.pk, status=task.get_status_display(),
                               status_en=task.status)  # fmt: skip
    agent = User.objects.filter(pk=agent_id, is_active=True, groups__name=Role.CALLBACK_AGENT).first()
    if agent is None:
        raise ApplicationError(CallbackError.AGENT_UNKNOWN, fields={"agent_id": [str(agent_id)]}, username=agent_id)
    previous = task.assigned_to.username if task.assigned_to else None
    task.assigned_to = agent
    task.due_at = max(workdays_add(_local(timezone.now()), callback_policy().first_due_workdays), task.due_at)
    audited_save(task, actor=actor, reason=reason or "reassigned")
    _event(task, actor=actor, action="reassigned", from_status=task.status, reason=reason, from_agent=previous,
           to_agent=agent.username)  # fmt: skip
    return task


# --- time-based: reminders, escalation, expiry -----------------------------------------------------


def callback_deadlines_enforce(*, now: datetime | None = None) -> dict:
    """Run by Celery beat: remind before the due time, escalate overdue tasks, expire tasks with no pass
    within the expiry period (the application is then closed and its accounts never activated).
    Every change re-checks the locked task, so running it twice, or in two workers, changes nothing more."""
    now = now or timezone.now()
    policy = callback_policy()
    system = callback_system_user()
    counts = {"reminded": 0, "escalated": 0, "expired": 0}

    for task_id in CallbackTask.objects.filter(status__in=OPEN_TASK_STATUSES, expires_at__lte=now).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            task = _locked(task_id)
            if not (task.is_open and task.expires_at <= now):
                continue
            reason = f"{policy.expiry_workdays} 个工作日内回访未通过，开户申请关闭"
            task.closed_at = now
            task.outcome_reason = reason
            _move(task, T.EXPIRED, actor=system, action="expired", reason=reason)
            if task.reason == CallbackReason.PRE_ACTIVATION:
                app_status = Application.objects.values_list("status", flat=True).get(pk=task.application_id)
                if app_status == ApplicationStatus.ACCOUNTS_OPENED:
                    onboarding_services.application_callback_failed(
                        actor=system, application_id=task.application_id, reason=reason
                    )
            counts["expired"] += 1

    overdue = CallbackTask.objects.filter(status__in=[T.PENDING, T.IN_PROGRESS], due_at__lt=now)
    for task_id in overdue.values_list("pk", flat=True):
        with transaction.atomic():
            task = _locked(task_id)
            if task.status not in (T.PENDING, T.IN_PROGRESS) or task.due_at >= now:
                continue
            task.escalated_at = now
            _move(task, T.ESCALATED, actor=system, action="escalated", reason="回访逾期未完成",
                  due_at=task.due_at.isoformat())  # fmt: skip
            counts["escalated"] += 1

    soon = CallbackTask.objects.filter(
        status__in=[T.PENDING, T.IN_PROGRESS], due_at__gte=now, due_at__lte=now + policy.reminder_ahead
    )
    for task in soon.select_related("assigned_to"):
        with transaction.atomic():
            task = _locked(task.pk)
            key = task.due_at.isoformat()
            if task.events.filter(action="due_reminder", payload__due_at=key).exists():
                continue
            _event(task, actor=system, action="due_reminder", from_status=task.status, due_at=key,
                   assigned_to=getattr(task.assigned_to, "username", None))  # fmt: skip
            logger.info("callback task %s due at %s (agent %s)", task.pk, key, task.assigned_to_id)
            counts["reminded"] += 1
    return counts


# --- the callback record in the client file --------------------------------------------------------


def callback_record_data(attempt: CallbackAttempt) -> dict:
    """What the callback record PDF shows: the script, the answers, the agent."""
    from accounts.masking import mask_id_number, mask_phone

    task = attempt.task
    client = task.client
    app = task.application
    agent_profile = getattr(attempt.agent, "staff", None)
    names = {"name": client.name, "agent_name": getattr(app, "agent_name", ""),
             "channel": app.get_channel_display() if app else "—"}  # fmt: skip
    answer_text = {True: "是", False: "否", None: "不适用"}
    script = [
        {"label": label, "question": question.format(**names), "answer": answer_text[getattr(attempt, key)]}
        for key, label, question in CONFIRMATIONS
        if key != "agent_confirmed" or (app and app.has_agent)
    ]
    return {
        "title": "开户回访记录",
        "task_id": task.pk,
        "reason": task.get_reason_display(),
        "status": task.get_status_display(),
        "application_id": task.application_id,
        "client": {
            "client_no": client.client_no,
            "name": client.name,
            "id_type": client.get_id_type_display(),
            "id_number": mask_id_number(client.id_number),
            "phone": mask_phone(client.phone),
        },  # fmt: skip
        "attempt": {
            "number": attempt.number,
            "started_at": f"{_local(attempt.started_at):%Y-%m-%d %H:%M}",
            "channel": attempt.get_channel_display(),
            "outcome": attempt.get_outcome_display(),
            "notes": attempt.notes,
            "recording_ref": attempt.recording_ref,
        },
        "agent": {
            "name": getattr(agent_profile, "full_name", attempt.agent.username),
            "employee_no": getattr(agent_profile, "employee_no", ""),
        },  # fmt: skip
        "script": script,
    }


def callback_record_generate(*, attempt_id: int) -> int | None:
    """File the callback record PDF of a connected attempt in the client's file, once. The attempt row is
    locked while the PDF is made, so a redelivered or duplicate task waits and then finds it done."""
    with transaction.atomic():
        attempt = (
            CallbackAttempt.objects.select_for_update(of=("self",), no_key=True)
            .select_related("task__client", "task__application", "agent")
            .get(pk=attempt_id)
        )
        if attempt.record_document_id is not None or attempt.outcome != AttemptOutcome.CONNECTED:
            return attempt.record_document_id
        document = document_generate(
            actor=attempt.agent,
            client=attempt.task.client,
            kind=DocumentKind.CALLBACK_RECORD,
            template_name="callbacks/pdf/callback_record.html",
            data=callback_record_data(attempt),
            related=attempt.task,
        )
        attempt.record_document_id = document.pk
        audited_save(attempt, actor=attempt.agent, reason="callback record filed")
        _event(attempt.task, actor=attempt.agent, action="record_filed", from_status=attempt.task.status,
               attempt=attempt.number, document_id=document.pk)  # fmt: skip
        return document.pk


def callback_records_resend(*, older_than: datetime) -> int:
    """Re-send record generation for connected attempts still without a filed PDF (lost after commit)."""
    from .tasks import callback_record_generate_task

    missing = CallbackAttempt.objects.filter(
        outcome=AttemptOutcome.CONNECTED, record_document_id__isnull=True, recorded_at__lt=older_than
    ).values_list("pk", flat=True)
    count = 0
    for attempt_id in missing:
        callback_record_generate_task.delay(attempt_id)
        count += 1
    return count
