"""Benchmark 7, the callback workflow through Celery: what one passed callback makes the worker do.

A connected callback attempt (callbacks.services.callback_attempt_record) queues exactly one Celery task
after commit, `callback_record_generate_task(attempt_id)`: it renders the callback record PDF and files it in
the client's file (archive Document, attempt.record_document_id, a "record_filed" event). The pre-activation
callback task itself comes from the beat sweeper (one sweep for all applications, not one per callback), and
the activation of the accounts commits with the attempt, in the agent's request: neither is a worker task per
callback. So one measured task = one callback record PDF rendered and filed.

Preparation (not timed), all through the real services: n individuals taken through the opening journey to
"accounts opened" by the bench clerk and reviewer, one sweep to create their callback tasks, then one
connected attempt per task recorded by its assigned callback agent (all confirmations given, so the
accounts are activated). While the attempts are recorded the worker's consumer of the "celery" queue is
cancelled, so the tasks those commits queue wait in Redis; they are then purged and the timed run sends the
same task for every attempt (as callbacks_records_resend does for a record lost after commit), like the
no-op floor: time from the first send until the last record is filed, the database polled for the filed
records.
"""

import time

QUEUE = "celery"
AGENT_USERNAME = "bench-callback_agent"


def _identities(n: int) -> list[str]:
    """n resident ID numbers nobody has, in a region neither the demo generator nor benchmark 3 uses."""
    from bench.run import fresh_identities

    numbers = fresh_identities(n, region="440305")
    return numbers if len(numbers) >= n else numbers + _identities(n - len(numbers))


def _staff(role: str):
    """The bench user of a role (made by data_prepare; made here the same way if it is missing)."""
    import uuid

    from django.contrib.auth import get_user_model

    from accounts.models import Branch
    from accounts.services import staff_create

    user = get_user_model().objects.filter(username=f"bench-{role}").first()
    if user is None:
        user = staff_create(actor=None, username=f"bench-{role}", password=uuid.uuid4().hex, roles=[role],
                            branch=Branch.objects.order_by("pk").first(), full_name=f"压测{role}",
                            employee_no=f"B{role[:5]}").user  # fmt: skip
    return user


def _opened_applications(n: int) -> list[int]:
    """n applications taken to "accounts opened" (awaiting their callback) through the onboarding services."""
    from django.utils import timezone

    from accounts.roles import Role
    from archive.checklist import required_kinds
    from archive.services import document_store
    from bench.run import Flow
    from onboarding import services as onboarding
    from onboarding.models import DisclosureDocument
    from suitability.selectors import questionnaire_current
    from suitability.services import assessment_submit
    from tests.suitability.conftest import answers_for

    clerk, reviewer = _staff(Role.CLERK), _staff(Role.REVIEWER)
    risk = DisclosureDocument.objects.get(kind="risk_disclosure", active=True).pk
    agreement = DisclosureDocument.objects.get(kind="agreement", active=True).pk
    questionnaire = questionnaire_current(audience="individual")
    answers = answers_for(questionnaire, total=60)
    today = timezone.localdate()
    ids = []
    for number in _identities(n):
        client = {"kind": "individual", "name": "回访压测", "id_type": "resident_id", "id_number": number,
                  "id_valid_until": today.replace(year=today.year + 5), "phone": "13912345678",
                  "address": "深圳市南山区科技园1号"}  # fmt: skip
        app = onboarding.application_create(actor=clerk, channel="counter", client=client, bank_code="ICBC",
                                            bank_account="6222020000000000001")  # fmt: skip
        onboarding.application_identity_verify(actor=clerk, application_id=app.pk)
        onboarding.application_disclose(actor=clerk, application_id=app.pk, risk_disclosure_id=risk,
                                        agreement_id=agreement)  # fmt: skip
        assessment_submit(actor=clerk, client=app.client, questionnaire_id=questionnaire.pk, answers=answers)
        onboarding.application_assess(actor=clerk, application_id=app.pk)
        for kind in required_kinds(client_kind="individual", channel="counter", has_agent=False):
            document_store(actor=clerk, client=app.client, kind=kind, filename=f"{kind}.bin", related=app,
                           content=Flow.PNG if kind in ("id_front", "id_back", "photo") else Flow.PDF)  # fmt: skip
        onboarding.application_submit(actor=clerk, application_id=app.pk)
        onboarding.application_review(actor=reviewer, application_id=app.pk, approve=True, note="回访压测")
        opened = onboarding.application_accounts_open(actor=clerk, application_id=app.pk)
        if opened.status != "accounts_opened":
            raise RuntimeError(f"application {app.pk} ended {opened.status}")
        ids.append(app.pk)
    return ids


def _backlog(redis_url: str) -> int:
    import redis

    r = redis.Redis.from_url(redis_url)
    return r.llen(QUEUE) + r.hlen("unacked")


def _queued(redis_url: str) -> int:
    import redis

    return redis.Redis.from_url(redis_url).llen(QUEUE)


def _wait_idle(redis_url: str, timeout: float) -> None:
    """Let the worker finish what the journeys queued (the assessment result PDFs) before the timed run."""
    deadline = time.monotonic() + timeout
    while _backlog(redis_url):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the worker still had {_backlog(redis_url)} tasks after {timeout:.0f} s")
        time.sleep(0.2)


def _consuming(app, workers: list[str], on: bool) -> None:
    """Cancel (or restart) the workers' consumer of the "celery" queue; raise unless every worker confirms."""
    if on:
        replies = app.control.add_consumer(QUEUE, destination=workers, reply=True, timeout=5)
    else:
        replies = app.control.cancel_consumer(QUEUE, destination=workers, reply=True, timeout=5)
    confirmed = {name for reply in replies or [] for name, body in reply.items() if "ok" in body}
    if confirmed != set(workers):
        raise RuntimeError(f"{'add' if on else 'cancel'}_consumer({QUEUE}) not confirmed by all workers: {replies}")


def measure(redis_url: str, n: int, timeout: float | None = None) -> dict:
    """Prepare n passed callbacks (untimed), then time n callback-record tasks through the running worker(s)."""
    from accounts.roles import Role
    from callbacks import services as callbacks
    from callbacks.models import CallbackAttempt, CallbackReason, CallbackTask, TaskStatus
    from callbacks.tasks import callback_record_generate_task
    from config.celery import app as celery_app
    from tests.callbacks.conftest import ALL_YES

    t_prepare = time.perf_counter()
    _staff(Role.CALLBACK_AGENT)  # the sweeper assigns each task to the least-loaded callback agent
    app_ids = _opened_applications(n)
    callbacks.callback_tasks_sweep()  # what beat does every minute: creates the pre-activation callback tasks
    tasks = list(
        CallbackTask.objects.filter(
            application_id__in=app_ids, reason=CallbackReason.PRE_ACTIVATION, status=TaskStatus.PENDING
        ).select_related("assigned_to")
    )
    if len(tasks) != n or any(t.assigned_to is None for t in tasks):
        raise RuntimeError(f"the sweep made {len(tasks)} assigned callback tasks for {n} applications")
    timeout = timeout or max(120.0, n * 10.0)  # ~0.15 s a PDF with HarfBuzz, 5-10 s without (fontTools)
    _wait_idle(redis_url, timeout)
    workers = sorted((celery_app.control.inspect(timeout=1.0).ping() or {}).keys())
    if not workers:
        raise RuntimeError("no Celery worker answers on the broker")
    _consuming(celery_app, workers, on=False)
    time.sleep(1.5)  # a BRPOP already waiting (1 s) may still take one message: the worker then requeues it
    before = _queued(redis_url)  # 0 unless something else sends tasks to this broker meanwhile
    try:
        attempt_ids = [
            callbacks.callback_attempt_record(actor=t.assigned_to, task_id=t.pk, channel="phone",
                                              outcome="connected", confirmations=ALL_YES,
                                              notes="回访压测", recording_ref=f"BENCH-{t.pk}").pk
            for t in tasks
        ]  # fmt: skip
        with celery_app.connection_for_write() as conn:
            queued = conn.default_channel.queue_purge(QUEUE) or 0  # the tasks those commits sent: re-sent below
    finally:
        _consuming(celery_app, workers, on=True)
    prepare_s = time.perf_counter() - t_prepare
    if queued != n + before:
        raise RuntimeError(f"{queued} tasks queued while recording {n} attempts ({before} waiting before)")
    time.sleep(1.5)  # the worker's BRPOP issued before add_consumer (1 s) has ended: it now polls "celery"

    pending = CallbackAttempt.objects.filter(pk__in=attempt_ids, record_document_id__isnull=True)
    t0 = time.perf_counter()
    for attempt_id in attempt_ids:
        callback_record_generate_task.delay(attempt_id)
    send_s = time.perf_counter() - t0
    deadline = t0 + timeout
    left = n
    while left and time.perf_counter() < deadline:
        time.sleep(0.05)
        left = pending.count()
    elapsed = time.perf_counter() - t0
    done = n - left

    from archive.models import Document

    filed = CallbackAttempt.objects.filter(pk__in=attempt_ids).values_list("record_document_id", flat=True)
    documents = Document.objects.filter(pk__in=[d for d in filed if d], kind="callback_record").count()
    return {
        "tasks": n,
        "task": "callback_record_generate_task: one callback record PDF rendered and filed",
        "done": done,
        "failures": n - documents,
        "elapsed_s": elapsed,
        "tasks_per_s": done / elapsed,
        "send_s": send_s,
        "prepare_s": prepare_s,
        "queued_by_callbacks": queued - before,
        "workers": workers,
        "timed_out": bool(left),
    }
