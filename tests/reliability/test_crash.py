"""Crash tests: a real Celery worker on Redis and PostgreSQL is killed with -9 at each step of the key-data
change (CSDC sync) and the callback workflows, Redis is restarted mid-workflow, the database connections are
dropped mid-task. Every workflow still finishes, exactly once, or waits in a state a person can see.

Kill points are made deterministic by holding what the worker needs next from another session (a row lock,
an uncommitted conflicting row) or by a slow answer injected into the CSDC simulator; the seeded
`random.Random` (seed printed; `CRASH_SEED` replays a run) picks the point of every trial. Several workflows
are in flight per worker life; after the kill a new worker takes the unacknowledged messages back (Redis
visibility timeout) and the sweepers run as beat would send them.
"""

import os
import random
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts import services as account_services
from accounts.crypto import blind_index
from accounts.models import (
    AccountStatus,
    ChangeRequest,
    ChangeStatus,
    Client,
    CsdcSimAccount,
    DepositoryBinding,
    FundAccount,
    SecuritiesAccount,
)
from accounts.simulators import GatewayFault
from accounts.tasks import change_requests_sweep_task
from archive.models import Document, DocumentKind
from archive.tasks import change_slips_generate_task
from callbacks import services as callback_services
from callbacks.models import CallbackAttempt, CallbackReason, CallbackTask
from callbacks.tasks import callback_tasks_sweep_task
from onboarding.models import Application, ApplicationStatus
from tests.accounts.changes_support import KEY_DOCUMENTS, client_with_accounts, holders, resident_id, uploads
from tests.workers import WorkerProcess, purge_queue, wait_for

SEED = int(os.environ.get("CRASH_SEED") or random.SystemRandom().randrange(1_000_000))
ROUNDS = int(os.environ.get("CRASH_ROUNDS", "4"))  # worker lives killed
PER_ROUND = int(os.environ.get("CRASH_PER_ROUND", "5"))  # workflows of each kind in flight per kill
VISIBILITY_TIMEOUT = 1
WORKER_ENV = {
    "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
    "CHANGE_SYNC_BACKOFF_SECONDS": "0.2",
    "CHANGE_SYNC_MAX_RETRIES": "2",
    "CHANGE_SYNC_RESEND_AFTER_SECONDS": "1",  # the sweeper resends what has not moved for a second
}
SLOW_MS = 120_000  # a CSDC answer that never comes while the worker lives
NEW_NAME = "张三丰"
ALL_YES = {
    "identity_confirmed": True,
    "disclosures_understood": True,
    "true_wish": True,
    "password_reminder_given": True,
    "channel_confirmed": True,
}

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def report(capsys):
    """Print to the terminal even when output is captured, so a run can be quoted."""

    def _print(text: str) -> None:
        with capsys.disabled():
            print(f"\n{text}")

    return _print


# --- another session holding what the worker needs next ----------------------------------------------


class _Rollback(Exception):
    pass


class Hold:
    """A second database session that takes a lock (or writes an uncommitted row) and keeps its transaction
    open until released, then rolls back. `blocking()` says whether some other session waits for it."""

    def __init__(self, take: Callable[[], None]) -> None:
        self.take = take
        self.pid: int | None = None
        self._ready, self._release = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.error: BaseException | None = None

    def _run(self) -> None:
        try:
            with transaction.atomic():
                self.take()
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    self.pid = cursor.fetchone()[0]
                self._ready.set()
                self._release.wait(180)
                raise _Rollback
        except _Rollback:
            pass
        except BaseException as exc:  # noqa: BLE001 - reported by start()
            self.error = exc
            self._ready.set()
        finally:
            connection.close()

    def start(self) -> "Hold":
        self._thread.start()
        assert self._ready.wait(20), "the holding session did not start"
        assert self.error is None, self.error
        return self

    def blocking(self) -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", [self.pid])
            return cursor.fetchone()[0] > 0

    def release(self) -> None:
        self._release.set()
        self._thread.join(20)


def row_lock(model, pk) -> Hold:
    return Hold(lambda: model.objects.select_for_update().get(pk=pk)).start()


# --- the worker ------------------------------------------------------------------------------------


def consuming(worker: WorkerProcess, on: bool) -> None:
    """Pause or resume the worker's consumption of new tasks (work in progress carries on)."""
    from config.celery import app

    control = app.control.add_consumer if on else app.control.cancel_consumer
    replies = control("celery", destination=[worker.name], reply=True, timeout=5) or []
    assert replies, f"worker {worker.name} did not answer"


def next_worker(killed_at: float) -> WorkerProcess:
    # Redis hands an unacknowledged message out again only after the visibility timeout, and a worker looks
    # for such messages when it starts; let the timeout pass first.
    time.sleep(max(0.0, killed_at + VISIBILITY_TIMEOUT + 0.2 - time.monotonic()))
    return start_worker()


def start_worker() -> WorkerProcess:
    # a slot for every workflow held at its point, and for the sweepers
    return WorkerProcess(extra_env=WORKER_ENV, concurrency=2 * PER_ROUND + 2).start()


def beat_until(
    done: Callable[[], bool], send: Callable[[], None], trials: list, timeout: float = 90, every: float = 2.0
):
    """Send the sweeper tasks as beat does (here every `every` seconds) until `done()`."""
    deadline = time.monotonic() + timeout
    last = 0.0
    while time.monotonic() < deadline:
        if done():
            return
        if time.monotonic() - last >= every:
            send()
            last = time.monotonic()
        time.sleep(0.3)
    states = [
        (t.workflow, t.point, t.pk, (_change_state if t.workflow == "change" else _callback_state)(t)) for t in trials
    ]
    assert done(), f"workflows did not finish within {timeout} s: {states}"


PHASES: Counter = Counter()


@contextmanager
def phase(name: str):
    """Where the time goes (printed with the summary)."""
    t = time.monotonic()
    try:
        yield
    finally:
        PHASES[name] += time.monotonic() - t


@dataclass
class Trial:
    workflow: str
    point: str
    round: int
    pk: int = 0  # change request / application
    extra: dict = field(default_factory=dict)
    reached: Callable[[], bool] | None = None
    holds: list[Hold] = field(default_factory=list)
    state_at_kill: str = ""
    committed_after_kill: bool = False
    outcome: str = ""


def summary(title: str, trials: list[Trial], started: float | None = None) -> str:
    took = f", {time.monotonic() - started:.0f} s" if started is not None else ""
    lines = [f"{title}: {len(trials)} trials{took}"]
    points = Counter(t.point for t in trials)
    lines.append("  kill points: " + ", ".join(f"{p} {n}" for p, n in sorted(points.items())))
    states = Counter(t.state_at_kill for t in trials)
    lines.append("  state at the kill: " + "; ".join(f"{s} {n}" for s, n in sorted(states.items())))
    late = Counter(t.point for t in trials if t.committed_after_kill)
    if late:
        lines.append(
            "  committed after the kill (COMMIT already sent): "
            + ", ".join(f"{p} {n}" for p, n in sorted(late.items()))
        )
    outcomes = Counter(t.outcome for t in trials)
    lines.append("  outcome: " + ", ".join(f"{o} {n}" for o, n in sorted(outcomes.items())))
    return "\n".join(lines)


# --- key-data change with CSDC sync -----------------------------------------------------------------

# Where the worker is when it dies. A point whose lock can only be taken after the service call that sends
# the task (`extra["start"]`) is started once the others stand at theirs, the worker paused meanwhile.
CHANGE_POINTS = {
    "csdc_query": "status syncing, waiting for CSDC's 一码通 query",
    "csdc_update": "一码通 found, waiting for CSDC to take the change",
    "csdc_commit": "inside CSDC's transaction applying the change",
    "local_apply": "CSDC has the change; the local transaction waits for the client row",
    "holders_apply": "client row saved, account holder fields half written, not committed",
    "slip_callback": "applied and committed; filing the slip and creating the callback task",
}


def change_points(rng: random.Random) -> list[str]:
    """Every step once per round while there are more steps than trials, then at random."""
    names = sorted(CHANGE_POINTS)
    points = rng.sample(names, min(PER_ROUND, len(names)))
    points += [rng.choice(names) for _ in range(PER_ROUND - len(points))]
    rng.shuffle(points)
    return points


def _change_event(request_id: int, action: str) -> bool:
    return ChangeRequest.objects.get(pk=request_id).events.filter(action=action).exists()


def _change_prepare(trial: Trial, clerk, reviewer, seq: int) -> None:
    client = client_with_accounts(clerk, seq=seq)
    ymt_no = CsdcSimAccount.objects.get(id_index=client.id_number_index).ymt_no
    new_id = resident_id(seq + 400)
    trial.extra.update(client_id=client.pk, ymt_no=ymt_no, new_id=new_id)
    req = account_services.change_request_create(
        actor=clerk, client_id=client.pk, client_version=client.version,
        changes={"name": NEW_NAME, "id_number": new_id}, uploads=uploads(*KEY_DOCUMENTS),
    )  # fmt: skip
    trial.pk = req.pk
    point = trial.point

    def approve() -> None:  # the sync task is sent after commit
        account_services.change_request_review(actor=reviewer, request_id=req.pk, approve=True)

    if point == "csdc_query":
        GatewayFault.objects.create(system="csdc", operation="ymt_query", key=client.id_number_index,
                                    mode="slow", delay_ms=SLOW_MS)  # fmt: skip
        approve()
        trial.reached = lambda: _change_event(req.pk, "sync_started")
    elif point == "csdc_update":
        GatewayFault.objects.create(system="csdc", operation="key_info_update", key=ymt_no, mode="slow",
                                    delay_ms=SLOW_MS)  # fmt: skip
        approve()
        trial.reached = lambda: _change_event(req.pk, "csdc_ymt_query")
    elif point == "csdc_commit":
        trial.holds.append(row_lock(CsdcSimAccount, CsdcSimAccount.objects.get(ymt_no=ymt_no).pk))
        approve()
    elif point == "local_apply":
        approve()  # the review locks the client row itself: take it after
        trial.holds.append(row_lock(Client, client.pk))
    elif point == "holders_apply":
        account = SecuritiesAccount.objects.filter(client=client).order_by("-pk").first()
        trial.holds.append(row_lock(SecuritiesAccount, account.pk))
        trial.extra["start"] = approve
    elif point == "slip_callback":
        approve()
        assert account_services.change_request_sync(request_id=req.pk) == ChangeStatus.APPLIED
        trial.holds.append(row_lock(ChangeRequest, req.pk))
        trial.extra["start"] = lambda: (change_slips_generate_task.delay(), callback_tasks_sweep_task.delay())
    if trial.holds and trial.reached is None:
        hold = trial.holds[0]
        trial.reached = hold.blocking


def _change_state(trial: Trial) -> str:
    req = ChangeRequest.objects.get(pk=trial.pk)
    csdc = req.csdc_ref in CsdcSimAccount.objects.get(ymt_no=trial.extra["ymt_no"]).applied_requests
    if req.status == ChangeStatus.SYNCING:
        return "syncing, CSDC changed" if csdc else "syncing, CSDC not changed"
    if req.status == ChangeStatus.APPLIED:
        return "applied" + (
            ", slip+callback done" if req.slip_document_id and req.callback_task_id else ", slip/callback pending"
        )
    return str(req.status)


def _change_done(trial: Trial) -> bool:
    req = ChangeRequest.objects.get(pk=trial.pk)
    if req.status in (ChangeStatus.MANUAL, ChangeStatus.FAILED):
        return True
    return req.status == ChangeStatus.APPLIED and bool(req.slip_document_id and req.callback_task_id)


def _change_check(trial: Trial) -> None:
    """Finished exactly once: CSDC took the change once, the client and every account carry the new values,
    one history row for applying it, one slip, one callback task."""
    req = ChangeRequest.objects.get(pk=trial.pk)
    sim = CsdcSimAccount.objects.get(ymt_no=trial.extra["ymt_no"])
    new_index = blind_index(trial.extra["new_id"])
    assert sim.applied_requests.count(req.csdc_ref) == 1, (trial, sim.applied_requests)
    assert req.status == ChangeStatus.APPLIED, (trial.point, req.status, req.status_reason)
    assert (sim.name, sim.id_index) == (NEW_NAME, new_index)
    client = Client.objects.get(pk=trial.extra["client_id"])
    assert (client.name, client.id_number_index, client.version) == (NEW_NAME, new_index, 1), trial
    assert client.history.filter(history_change_reason=f"资料变更申请 #{req.pk} 生效").count() == 1, trial
    assert holders(client) == {(NEW_NAME, "resident_id", new_index)}, trial
    assert req.events.filter(action="applied").count() == 1, trial
    assert req.events.filter(action="slip_filed").count() == 1, trial
    assert Document.objects.filter(kind=DocumentKind.CHANGE_SLIP, client=client).count() == 1, trial
    assert req.events.filter(action="callback_created").count() == 1, trial
    assert CallbackTask.objects.filter(client=client, reason=CallbackReason.KEY_DATA_CHANGE).count() == 1, trial
    trial.outcome = "applied once"


def _wait_reached(trials: list[Trial], timeout: float = 30) -> None:
    """Wait until every trial's worker stands at its point (or give up: the kill still lands somewhere)."""
    with phase("reach"):
        deadline = time.monotonic() + timeout
        pending = [t for t in trials if t.reached is not None]
        while pending and time.monotonic() < deadline:
            pending = [t for t in pending if not t.reached()]
            time.sleep(0.1)
    for trial in pending:
        trial.point += " (not reached)"


def _release(trials: list[Trial]) -> None:
    for trial in trials:
        for hold in trial.holds:
            hold.release()
        trial.holds.clear()


# --- callbacks: sweeper creates the task, a passed callback activates, the worker files the record ---

CALLBACK_POINTS = {
    "sweep_create": "the sweeper inserting this application's task (later ones in that sweep: sweep_pending)",
    "sweep_commit": "the sweeper's transaction written, committing",
    "record_start": "the record task started, before the PDF is rendered",
    "record_commit": "PDF rendered and stored, document row written, committing",
}


def callback_points(rng: random.Random) -> list[str]:
    """One sweeper point per round (one sweep walks the applications in order), both record points, then
    at random. Needs PER_ROUND >= 3."""
    sweep = rng.choice(["sweep_create", "sweep_commit"])
    points = [sweep, "record_start", "record_commit"]
    more = ["record_start", "record_commit"] + (["sweep_create"] if sweep == "sweep_create" else [])
    points += [rng.choice(more) for _ in range(PER_ROUND - len(points))]
    rng.shuffle(points)
    return points


def _callback_open(clerk, reviewer) -> Application:
    from tests.onboarding.test_services import _counter_app, _whole_journey

    return _whole_journey(clerk, reviewer, _counter_app(clerk))


def _callback_pass(agent, task: CallbackTask) -> CallbackAttempt:
    """The agent's call: every confirmation given; the accounts are activated in the same transaction."""
    return callback_services.callback_attempt_record(actor=agent, task_id=task.pk, channel="phone",
                                                     outcome="connected", confirmations=ALL_YES)  # fmt: skip


def _callback_task(app_id: int) -> CallbackTask | None:
    return CallbackTask.objects.filter(application_id=app_id, reason=CallbackReason.PRE_ACTIVATION).first()


def _callback_prepare(trial: Trial, app: Application, agent, system) -> None:
    trial.pk = app.pk
    trial.extra["client_id"] = app.client_id
    point = trial.point
    if point == "sweep_create":
        # an uncommitted task for the same application: the sweeper's insert waits on the unique index.
        # (bulk_create: a row that only exists to be rolled back gets no history row.)
        now = timezone.now()
        trial.holds.append(Hold(lambda: CallbackTask.objects.bulk_create([CallbackTask(
            application_id=app.pk, client_id=app.client_id, reason=CallbackReason.PRE_ACTIVATION,
            due_at=now, expires_at=now)])).start())  # fmt: skip
    elif point == "sweep_commit":
        # the sweeper's insert checks its reference to the application at commit
        trial.holds.append(row_lock(Application, app.pk))
        trial.extra["start"] = lambda: callback_tasks_sweep_task.delay()
    else:
        task = callback_services.callback_task_create(actor=system, client_id=app.client_id,
                                                      reason=CallbackReason.PRE_ACTIVATION, application_id=app.pk,
                                                      start=app.opened_at)  # fmt: skip
        if point == "record_start":
            attempt = _callback_pass(agent, task)
            trial.holds.append(row_lock(CallbackAttempt, attempt.pk))
        else:  # record_commit: the document's reference to the client is checked at commit

            def start(task=task) -> None:
                _callback_pass(agent, task)
                trial.holds.append(row_lock(Client, app.client_id))

            trial.extra["start"] = start
    if trial.holds:
        trial.reached = trial.holds[0].blocking


def _callback_state(trial: Trial) -> str:
    task = _callback_task(trial.pk)
    if task is None:
        return "no callback task"
    attempt = task.attempts.first()
    if attempt is None:
        return "task created, not called"
    return "passed, record filed" if attempt.record_document_id else "passed, record not filed"


def _account_statuses(client_id: int) -> list[str]:
    return [
        *FundAccount.objects.filter(client_id=client_id).values_list("status", flat=True),
        *SecuritiesAccount.objects.filter(client_id=client_id).values_list("status", flat=True),
        *DepositoryBinding.objects.filter(client_id=client_id).values_list("status", flat=True),
    ]


def _callback_drive(trials: list[Trial], agent) -> bool:
    """What the people do meanwhile: the agent calls every client whose task has appeared. True when done."""
    done = True
    for trial in trials:
        task = _callback_task(trial.pk)
        if task is None:
            done = False
            continue
        attempt = task.attempts.first()
        if attempt is None:
            _callback_pass(agent, task)
            done = False
        elif attempt.record_document_id is None:
            done = False
    return done


def _callback_check(trial: Trial) -> None:
    app = Application.objects.get(pk=trial.pk)
    client_id = trial.extra["client_id"]
    assert app.status == ApplicationStatus.ACTIVE, (trial, app.status)
    assert app.events.filter(action="activated").count() == 1, trial
    assert set(_account_statuses(client_id)) == {AccountStatus.ACTIVE}, trial
    for model in (FundAccount, SecuritiesAccount, DepositoryBinding):
        for account in model.objects.filter(client_id=client_id):
            activations = account.history.filter(status=AccountStatus.ACTIVE).count()
            assert activations == 1, (trial, model.__name__, activations)
    tasks = CallbackTask.objects.filter(application_id=app.pk)
    assert tasks.count() == 1, (trial, list(tasks))
    task = tasks.get()
    assert task.events.filter(action="created").count() == 1, trial
    assert task.attempts.count() == 1, trial
    assert task.events.filter(action="record_filed").count() == 1, trial
    assert Document.objects.filter(kind=DocumentKind.CALLBACK_RECORD, client_id=client_id).count() == 1, trial
    trial.outcome = "activated once, record filed once"


# --- kill -9: both workflows in flight in every worker life ----------------------------------------


def _beat() -> None:
    """What beat sends: the CSDC resend sweeper, the slip filing, the callback sweeper."""
    change_requests_sweep_task.delay()
    change_slips_generate_task.delay()
    callback_tasks_sweep_task.delay()


def test_kill_9_at_every_step_of_the_change_and_callback_workflows(clerk, reviewer, agent, report):
    started = time.monotonic()
    rng = random.Random(SEED)
    PHASES.clear()
    purge_queue()
    system = callback_services.callback_system_user()
    trials: list[Trial] = []
    round_trials: list[Trial] = []
    with phase("worker starts"):
        worker = start_worker()
    try:
        for n in range(ROUNDS):
            # given approved key-data changes and opened applications, each workflow held at its kill point
            consuming(worker, False)
            changes = [Trial("change", p, n) for p in change_points(rng)]
            callbacks = [Trial("callback", p, n) for p in callback_points(rng)]
            with phase("prepare"):
                apps = [_callback_open(clerk, reviewer) for _ in callbacks]
                purge_queue()  # the opening's own document tasks: not under test here
                for i, trial in enumerate(changes):
                    _change_prepare(trial, clerk, reviewer, seq=100 + n * PER_ROUND + i)
                for trial, app in zip(callbacks, apps, strict=True):
                    _callback_prepare(trial, app, agent, system)
                sweeps = [t for t in callbacks if t.point == "sweep_create"]
                if sweeps:  # one sweep walks the applications in order and waits at the first one held
                    callback_tasks_sweep_task.delay()
                    for trial in sorted(sweeps, key=lambda t: t.pk)[1:]:
                        trial.point, trial.reached = "sweep_pending", None
            round_trials = changes + callbacks
            consuming(worker, True)
            _wait_reached([t for t in round_trials if "start" not in t.extra])
            late = [t for t in round_trials if "start" in t.extra]
            if late:
                consuming(worker, False)
                for trial in late:
                    trial.extra["start"]()
                    if trial.reached is None and trial.holds:
                        trial.reached = trial.holds[-1].blocking
                consuming(worker, True)
                _wait_reached(late)
            time.sleep(rng.uniform(0, 0.3))

            # when the worker is killed with -9
            worker.kill()
            killed_at = time.monotonic()
            for trial in changes:
                trial.state_at_kill = _change_state(trial)
            for trial in callbacks:
                trial.state_at_kill = _callback_state(trial)
            _release(round_trials)
            GatewayFault.objects.all().delete()
            time.sleep(0.5)  # a COMMIT the worker had sent completes once its lock is free, worker or not
            for trial in round_trials:
                after = (_change_state if trial.workflow == "change" else _callback_state)(trial)
                trial.committed_after_kill = after != trial.state_at_kill

            # then a new worker, beat's sweepers and the agent's calls finish every workflow, exactly once
            with phase("worker starts"):
                worker = next_worker(killed_at)
            with phase("recover"):
                beat_until(lambda c=changes, b=callbacks: all(_change_done(t) for t in c) and _callback_drive(b, agent),
                           _beat, round_trials)  # fmt: skip
            for trial in changes:
                _change_check(trial)
            for trial in callbacks:
                _callback_check(trial)
            trials.extend(round_trials)
    finally:
        worker.kill()
        _release(round_trials)
    elapsed = time.monotonic() - started
    report(
        f"kill -9 trials: {ROUNDS} kills, seed {SEED} (CRASH_SEED), {elapsed:.0f} s — "
        + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in PHASES.items())
        + "\n" + summary("key-data change with CSDC sync", [t for t in trials if t.workflow == "change"])
        + "\n" + summary("callback", [t for t in trials if t.workflow == "callback"])
    )  # fmt: skip
    assert len(trials) == 2 * ROUNDS * PER_ROUND


# --- Redis restarted mid-workflow --------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A Redis of this test's own that keeps nothing on disk: restarted, it comes back empty."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "RedisServer":
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self._answers, timeout=10, interval=0.05)
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)


@contextmanager
def broker_at(url: str, settings):
    """Point this process's Celery producer (and the workers it starts) at another Redis."""
    from config.celery import app

    def reset() -> None:  # kombu keeps one pool per URL: forget the app's, the registry hands out the other's
        app._pool = None
        app.amqp._producer_pool = None

    old = app.conf.broker_url
    settings.CELERY_BROKER_URL = url
    app.conf.broker_url = url
    reset()
    try:
        yield
    finally:
        app.conf.broker_url = old
        reset()


def _batch(clerk, reviewer, agent, *, seq: int, changes: int, callbacks: int, point: str):
    """Key-data changes entered (not yet approved) and applications with their callback task (not yet called);
    `send()` approves and passes them all, sending their tasks."""
    system = callback_services.callback_system_user()
    change_trials, callback_trials, tasks = [], [], []
    for i in range(changes):
        client = client_with_accounts(clerk, seq=seq + i)
        new_id = resident_id(seq + 400 + i)
        req = account_services.change_request_create(
            actor=clerk, client_id=client.pk, client_version=0, changes={"name": NEW_NAME, "id_number": new_id},
            uploads=uploads(*KEY_DOCUMENTS),
        )  # fmt: skip
        ymt_no = CsdcSimAccount.objects.get(id_index=client.id_number_index).ymt_no
        change_trials.append(Trial("change", point, 0, pk=req.pk,
                                   extra={"client_id": client.pk, "ymt_no": ymt_no, "new_id": new_id}))  # fmt: skip
    for _ in range(callbacks):
        app = _callback_open(clerk, reviewer)
        task = callback_services.callback_task_create(
            actor=system, client_id=app.client_id, reason=CallbackReason.PRE_ACTIVATION, application_id=app.pk
        )
        tasks.append(task)
        callback_trials.append(Trial("callback", point, 0, pk=app.pk, extra={"client_id": app.client_id}))
    purge_queue()  # the opening's own document tasks: not under test here

    def send() -> None:
        for trial in change_trials:
            account_services.change_request_review(actor=reviewer, request_id=trial.pk, approve=True)
        for task in tasks:
            _callback_pass(agent, task)

    return change_trials, callback_trials, send


def _finish_and_check(change_trials: list[Trial], callback_trials: list[Trial], agent, manual=()) -> None:
    """Beat sends the sweepers; the callback sweeper resends records older than five minutes, so here the
    clock is moved on. Then every workflow has finished exactly once, or waits for a person (`manual`)."""
    for trial in [*change_trials, *manual]:
        trial.state_at_kill = _change_state(trial)
    for trial in callback_trials:
        trial.state_at_kill = _callback_state(trial)

    def beat() -> None:
        _beat()
        callback_services.callback_records_resend(older_than=timezone.now())

    beat_until(
        lambda: all(_change_done(t) for t in [*change_trials, *manual]) and _callback_drive(callback_trials, agent),
        beat,
        [*change_trials, *manual, *callback_trials],
    )
    for trial in change_trials:
        _change_check(trial)
    for trial in manual:
        _change_check_manual(trial)
    for trial in callback_trials:
        _callback_check(trial)


def _change_check_manual(trial: Trial) -> None:
    """A workflow that cannot go on waits in the manual-handling queue with its reason, nothing half done."""
    from accounts.selectors import change_requests_manual

    req = ChangeRequest.objects.get(pk=trial.pk)
    assert req.status == ChangeStatus.MANUAL and "需人工处理" in req.status_reason, (req.status, req.status_reason)
    assert req in change_requests_manual()
    assert req.csdc_ref not in CsdcSimAccount.objects.get(ymt_no=trial.extra["ymt_no"]).applied_requests
    client = Client.objects.get(pk=trial.extra["client_id"])
    assert (client.name, client.version) == ("张三", 0)
    trial.outcome = "manual queue, with reason"


def test_workflows_complete_after_redis_restarts_mid_workflow(clerk, reviewer, agent, settings, report):
    started = time.monotonic()
    redis = RedisServer().start()
    try:
        with broker_at(redis.url, settings):
            changes, callbacks, send = _batch(clerk, reviewer, agent, seq=300, changes=5, callbacks=3,
                                              point="redis_restart")  # fmt: skip
            worker = WorkerProcess(extra_env=WORKER_ENV, concurrency=2).start()
            try:
                # given key-data changes in flight (CSDC answers slowly) and callback records queued behind them,
                # and one change whose CSDC query keeps failing (CSDC down for that client)
                GatewayFault.objects.create(system="csdc", operation="ymt_query", mode="slow", delay_ms=1500)
                down = changes[-1]
                GatewayFault.objects.create(system="csdc", operation="ymt_query", mode="transient",
                                            key=Client.objects.get(pk=down.extra["client_id"]).id_number_index,
                                            message="中国结算系统维护")  # fmt: skip
                send()
                changes.remove(down)
                ids = [t.pk for t in changes]
                wait_for(lambda: ChangeRequest.objects.filter(pk__in=ids, status=ChangeStatus.SYNCING).exists())

                # when Redis dies and comes back empty: queued and unacknowledged messages are gone
                redis.kill()
                time.sleep(1)
                redis.start()
                GatewayFault.objects.filter(mode="slow").delete()

                # then the sweepers resend from the database and every workflow finishes, once; the one that
                # cannot go on waits in the manual-handling queue with its reason
                _finish_and_check(changes, callbacks, agent, manual=[down])
            finally:
                worker.kill()
    finally:
        redis.kill()
    report(summary("Redis restarted mid-workflow", [*changes, down, *callbacks], started))


# --- database connections dropped mid-task --------------------------------------------------------


def _terminate_other_sessions() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_workflows_complete_after_the_database_connections_are_dropped(clerk, reviewer, agent, report):
    started = time.monotonic()
    purge_queue()
    changes, callbacks, send = _batch(clerk, reviewer, agent, seq=350, changes=4, callbacks=2, point="db_drop")
    worker = WorkerProcess(extra_env=WORKER_ENV, concurrency=3).start()
    dropped = 0
    try:
        # given key-data changes in the middle of their CSDC exchange and callback records being filed
        GatewayFault.objects.create(system="csdc", operation="ymt_query", mode="slow", delay_ms=1000)
        GatewayFault.objects.create(system="csdc", operation="key_info_update", mode="slow", delay_ms=1000)
        send()

        # when every database session of the worker is terminated, twice, while tasks run
        ids = [t.pk for t in changes]
        wait_for(lambda: ChangeRequest.objects.filter(pk__in=ids, status=ChangeStatus.SYNCING).exists())
        dropped += _terminate_other_sessions()
        time.sleep(1.2)
        dropped += _terminate_other_sessions()
        GatewayFault.objects.all().delete()

        # then redelivery or the sweepers finish every workflow, once
        _finish_and_check(changes, callbacks, agent)
    finally:
        worker.kill()
    report(summary(f"database sessions dropped ({dropped} terminated)", changes + callbacks, started))
