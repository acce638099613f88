"""Concurrent writers on PostgreSQL with real threads: exactly one wins, the other gets a clear conflict, nothing is
lost or half-saved. Two clerks changing one client (change requests) and a tier recompute during a metrics import
(and two recomputes at once). Two approvals of one change request: tests/accounts/test_changes_concurrency.py;
two agents passing one callback: tests/callbacks/test_concurrency.py."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import models as accounts_models
from accounts import services as accounts_services
from accounts.errors import ApplicationError
from accounts.models import Branch, ChangeEvent, ChangeRequest, ChangeStatus
from accounts.roles import Role
from tests.accounts.changes_support import client_with_accounts
from tests.tiering.conftest import resident_id
from tiering import services as tiering_services
from tiering.models import ClientMetric, ClientTier, TierChange, TierRecompute, TierRecomputeStatus

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WINNER_PHONE, LOSER_PHONE = "13911111111", "13922222222"


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _together(*calls, timeout: float = 30) -> list:
    """Run each call in its own thread, released at the same instant by a barrier; results (or the exception
    raised) in the order of the calls."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(5)
            results[i] = call()
        except Exception as exc:  # noqa: BLE001  # reported to the test as the result
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a thread is still waiting (lock never released?)"
    return results


def _applied_history(client) -> int:
    return client.history.filter(history_change_reason__startswith="资料变更申请").count()


# --- two clerks change the same client ---------------------------------------------------------------


@pytest.fixture
def clerks(make_staff):
    return make_staff(Role.CLERK, full_name="王柜台"), make_staff(Role.CLERK, full_name="赵柜台")


@pytest.fixture
def reviewers(make_staff):
    return make_staff(Role.REVIEWER, full_name="李复核"), make_staff(Role.REVIEWER, full_name="孙复核")


def test_two_clerks_submitting_at_once_make_one_request_and_the_stale_retry_is_refused(clerks, reviewers):
    """Both clerks read version 0 and submit at the same instant through the API: one request is made (201),
    the other clerk gets 409 naming it (one unfinished request per client, decided under the client row lock).
    Once the first is approved, the second clerk's retry on the version they read is refused as stale (409)."""
    client = client_with_accounts(clerks[0])
    body = lambda phone: {"client_id": client.pk, "client_version": 0, "changes": {"phone": phone}}  # noqa: E731

    responses = _together(
        lambda: _api(clerks[0]).post("/api/v1/change-requests/", body(WINNER_PHONE), format="json"),
        lambda: _api(clerks[1]).post("/api/v1/change-requests/", body(LOSER_PHONE), format="json"),
    )

    assert sorted(r.status_code for r in responses) == [201, 409]
    won, lost = sorted(responses, key=lambda r: r.status_code)
    request_id = won.json()["id"]
    assert lost.json()["code"] == "open_request_exists" and f"#{request_id}" in lost.json()["message"]
    assert ChangeRequest.objects.count() == 1 and ChangeEvent.objects.count() == 1  # the loser left nothing
    winner_phone = ChangeRequest.objects.get().new_values["phone"]
    loser_clerk = clerks[1] if ChangeRequest.objects.get().created_by == clerks[0] else clerks[0]
    loser_phone = LOSER_PHONE if winner_phone.endswith(WINNER_PHONE) else WINNER_PHONE

    approved = _api(reviewers[0]).post(f"/api/v1/change-requests/{request_id}/review/", {"decision": "approve"},
                                       format="json")  # fmt: skip
    assert approved.status_code == 200 and approved.json()["status"] == "applied"
    retry = _api(loser_clerk).post("/api/v1/change-requests/", body(loser_phone), format="json")

    assert retry.status_code == 409 and retry.json()["code"] == "client_changed"
    assert "当前版本 1" in retry.json()["message"] and "申请依据版本 0" in retry.json()["message"]
    client.refresh_from_db()
    assert (client.phone, client.version) == (winner_phone, 1)
    assert ChangeRequest.objects.count() == 1 and ChangeEvent.objects.filter(action="applied").count() == 1
    assert _applied_history(client) == 1


def test_a_submission_racing_an_approval_is_refused_as_stale(clerks, reviewers, monkeypatch):
    """A reviewer applies clerk A's change while clerk B submits another one on the version they read (0). B's
    request waits on the client row lock, re-reads the version after the approval commits and is refused
    (409 client_changed): no request is ever made on data that changed under it."""
    client = client_with_accounts(clerks[0])
    req = accounts_services.change_request_create(actor=clerks[0], client_id=client.pk, client_version=0,
                                                  changes={"phone": WINNER_PHONE})  # fmt: skip
    entered, release = threading.Event(), threading.Event()
    real_apply = accounts_services._change_apply

    def slow_apply(*args, **kwargs):  # hold the approval inside its transaction, with the client row locked
        entered.set()
        release.wait(10)
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(accounts_services, "_change_apply", slow_apply)
    results: dict = {}

    def run(name, call):
        try:
            results[name] = call()
        except ApplicationError as exc:
            results[name] = exc
        finally:
            connection.close()

    approve = threading.Thread(target=run, args=("approve", lambda: accounts_services.change_request_review(
        actor=reviewers[0], request_id=req.pk, approve=True)))  # fmt: skip
    approve.start()
    assert entered.wait(10)
    submit = threading.Thread(target=run, args=("submit", lambda: accounts_services.change_request_create(
        actor=clerks[1], client_id=client.pk, client_version=0, changes={"occupation": "教师"})))  # fmt: skip
    submit.start()
    submit.join(1.5)
    assert submit.is_alive()  # the submission is waiting on the client row
    release.set()
    approve.join(10)
    submit.join(10)

    assert results["approve"].status == ChangeStatus.APPLIED
    error = results["submit"]
    assert isinstance(error, ApplicationError) and (error.code, error.status) == ("client_changed", 409)
    assert error.params == {"current": 1, "seen": 0}
    client.refresh_from_db()
    assert (client.phone, client.occupation, client.version) == ("+86" + WINNER_PHONE, "", 1)
    assert list(ChangeRequest.objects.values_list("pk", flat=True)) == [req.pk]
    assert _applied_history(client) == 1


def test_two_requests_on_one_version_approved_at_once_one_applies(clerks, reviewers, monkeypatch):
    """Two requests made on version 0 and approved at the same instant by two reviewers: one applies, the other
    is refused as stale (409 client_changed) and stays submitted, unreviewed. The service never lets two be open
    at once; they are made here with that rule switched off, to test the review's own version check."""
    client = client_with_accounts(clerks[0])
    with monkeypatch.context() as patch:
        patch.setattr(accounts_models, "OPEN_CHANGE_STATUSES", [])
        requests = [
            accounts_services.change_request_create(
                actor=clerk, client_id=client.pk, client_version=0, changes={"phone": phone}
            )  # fmt: skip
            for clerk, phone in zip(clerks, (WINNER_PHONE, LOSER_PHONE), strict=True)
        ]

    responses = _together(*[
        lambda reviewer=reviewer, req=req: _api(reviewer).post(
            f"/api/v1/change-requests/{req.pk}/review/", {"decision": "approve"}, format="json")
        for reviewer, req in zip(reviewers, requests, strict=True)
    ])  # fmt: skip

    assert sorted(r.status_code for r in responses) == [200, 409]
    won = next(req for req, r in zip(requests, responses, strict=True) if r.status_code == 200)
    lost, refusal = next((req, r) for req, r in zip(requests, responses, strict=True) if r.status_code == 409)
    assert refusal.json()["code"] == "client_changed" and "当前版本 1" in refusal.json()["message"]
    won.refresh_from_db()
    lost.refresh_from_db()
    assert won.status == ChangeStatus.APPLIED
    assert (lost.status, lost.reviewed_by, lost.reviewed_at) == (ChangeStatus.SUBMITTED, None, None)
    assert list(lost.events.values_list("action", flat=True)) == ["submitted"]  # nothing half-saved
    client.refresh_from_db()
    assert (client.phone, client.version) == (won.new_values["phone"], 1)
    assert ChangeEvent.objects.filter(action="applied").count() == 1 and _applied_history(client) == 1


# --- a tier recompute during a metrics import, and two recomputes at once ------------------------------

N_CLIENTS = 40
BEFORE = {"total_assets": "100.00", "contribution_12m": "0.00"}  # everyone tier C
AFTER = {"total_assets": "6000000.00", "contribution_12m": "0.00"}  # everyone tier A (assets >= 5,000,000)


@pytest.fixture
def tier_clients(make_staff):
    """N clients with yesterday's metrics, which put every one of them in tier C."""
    clerk = make_staff(Role.CLERK)
    branch, _ = Branch.objects.get_or_create(code="T001", defaults={"name": "测试营业部"})
    clients = [
        accounts_services.client_register(
            actor=clerk,
            kind="individual",
            name=f"客户{i}",
            id_type="resident_id",
            id_number=resident_id(),
            branch=branch,
        )[0]
        for i in range(N_CLIENTS)
    ]
    result = tiering_services.metrics_import(actor=None, rows=_rows(clients, BEFORE, days_ago=1))
    assert result.errors == [] and result.loaded == N_CLIENTS
    return clients


def _rows(clients, values: dict, *, days_ago: int = 0) -> list[dict]:
    as_of = (timezone.localdate() - datetime.timedelta(days=days_ago)).isoformat()
    return [{"client_no": c.client_no, "as_of": as_of, "trades_12m": "1", "tenure_months": "12", **values}
            for c in clients]  # fmt: skip


def _recompute(actor) -> TierRecompute:
    run = tiering_services.tier_recompute_request(actor=actor)
    return tiering_services.tier_recompute_run(run_id=run.pk)


def _tiers(clients) -> dict[str, int]:
    """How many of the clients are in each tier (None: no tier)."""
    found = dict(ClientTier.objects.filter(client__in=clients).values_list("client_id", "tier"))
    counts: dict = {}
    for c in clients:
        counts[found.get(c.pk)] = counts.get(found.get(c.pk), 0) + 1
    return counts


def test_a_recompute_sees_none_of_an_import_still_in_flight_and_the_next_one_sees_all(tier_clients, make_staff):
    """The import has written half of its rows (in batches of 10) and is still running when a recompute takes its
    snapshot: the recompute sees none of the batch (one transaction), every client gets a tier from the one
    snapshot. The import then completes; nothing of it is lost: the next recompute sees all of it."""
    admin = make_staff(Role.ADMIN)
    half, resume = threading.Event(), threading.Event()
    outcome: dict = {}

    def rows():
        for i, row in enumerate(_rows(tier_clients, AFTER)):
            if i == N_CLIENTS // 2:  # 20 rows are written (two batches), uncommitted
                half.set()
                resume.wait(30)
            yield row

    def run_import():
        try:
            outcome["import"] = tiering_services.metrics_import(actor=None, rows=rows(), batch_size=10)
        finally:
            connection.close()

    importer = threading.Thread(target=run_import)
    importer.start()
    try:
        assert half.wait(10)
        assert ClientMetric.objects.count() == N_CLIENTS  # the written half is not visible to others
        first = _recompute(admin)
    finally:
        resume.set()
        importer.join(30)

    assert (first.status, first.clients_total, first.counts.get("C")) == (
        TierRecomputeStatus.DONE,
        N_CLIENTS,
        N_CLIENTS,
    )
    assert _tiers(tier_clients) == {"C": N_CLIENTS}
    assert outcome["import"].loaded == N_CLIENTS and outcome["import"].errors == []
    assert ClientMetric.objects.count() == 2 * N_CLIENTS

    second = _recompute(admin)

    assert (second.status, second.counts.get("A"), second.changed) == (TierRecomputeStatus.DONE, N_CLIENTS, N_CLIENTS)
    assert _tiers(tier_clients) == {"A": N_CLIENTS}
    assert TierChange.objects.filter(run=second, from_tier="C", to_tier="A").count() == N_CLIENTS


def test_an_import_committed_after_the_snapshot_is_not_lost(tier_clients, make_staff, monkeypatch):
    """The import commits after the recompute ranked the clients and before it writes the tiers: the run writes
    the tiers of its snapshot (all of one side, consistent with its own counts); the import is stored and the
    next recompute applies it."""
    admin = make_staff(Role.ADMIN)
    real_progress = tiering_services._run_progress
    imported: dict = {}

    def progress_then_import(run_id, **fields):
        if fields.get("step") == "writing" and "import" not in imported:

            def run_import():
                try:
                    imported["import"] = tiering_services.metrics_import(actor=None, rows=_rows(tier_clients, AFTER))
                finally:
                    connection.close()

            thread = threading.Thread(target=run_import)
            thread.start()
            thread.join(30)
        real_progress(run_id, **fields)

    monkeypatch.setattr(tiering_services, "_run_progress", progress_then_import)
    first = _recompute(admin)
    monkeypatch.undo()

    assert imported["import"].loaded == N_CLIENTS
    assert first.status == TierRecomputeStatus.DONE and first.counts.get("C") == N_CLIENTS
    assert _tiers(tier_clients) == {"C": N_CLIENTS}

    second = _recompute(admin)

    assert second.status == TierRecomputeStatus.DONE and _tiers(tier_clients) == {"A": N_CLIENTS}


def test_an_override_approved_during_a_recompute_is_not_undone_by_it(tier_clients, make_staff, monkeypatch):
    """A reviewer approves a manual tier for one client after a recompute took its snapshot and before it writes:
    the run keeps the override (no flip back and no history row of its own for that client); every other client
    gets the snapshot's tier."""
    admin, manager, reviewer = make_staff(Role.ADMIN), make_staff(Role.ACCOUNT_MANAGER), make_staff(Role.REVIEWER)
    first = _recompute(admin)
    target = tier_clients[0]
    override = tiering_services.tier_override_request(actor=manager, client_id=target.pk, tier="A", reason="战略客户",
                                                      expires_on=timezone.localdate() + datetime.timedelta(days=30))  # fmt: skip
    real_progress = tiering_services._run_progress
    decided: dict = {}

    def progress_then_decide(run_id, **fields):
        if fields.get("step") == "writing" and not decided:

            def decide():
                try:
                    decided["override"] = tiering_services.tier_override_decide(
                        actor=reviewer, override_id=override.pk, approve=True
                    )
                finally:
                    connection.close()

            thread = threading.Thread(target=decide)
            thread.start()
            thread.join(30)
        real_progress(run_id, **fields)

    monkeypatch.setattr(tiering_services, "_run_progress", progress_then_decide)
    second = _recompute(admin)
    monkeypatch.undo()

    assert decided["override"].status == "approved"
    current = ClientTier.objects.get(client=target)
    assert (current.tier, current.computed_tier, current.overridden) == ("A", "C", True)
    assert current.reason == "人工调整：战略客户"
    assert list(TierChange.objects.filter(client=target).values_list("from_tier", "to_tier", "run")) == [
        ("C", "A", None),  # the override's own row
        ("", "C", first.pk),
    ]
    assert (second.status, second.changed, second.overridden) == (TierRecomputeStatus.DONE, 0, 1)
    assert (second.counts.get("A"), second.counts.get("C")) == (1, N_CLIENTS - 1)
    assert _tiers(tier_clients) == {"A": 1, "C": N_CLIENTS - 1}


def test_two_recompute_requests_at_once_queue_one_run_and_the_other_gets_409(make_staff, monkeypatch):
    """Two administrators press "recompute" at the same instant: one run is queued (202, one task sent), the
    other gets 409 naming it; the nightly run is not queued behind it either. A run queued over an hour ago
    (its task lost) blocks nothing, and once a run is done a new request is accepted."""
    from tiering.tasks import tier_recompute_nightly

    admins = make_staff(Role.ADMIN), make_staff(Role.ADMIN)
    sent: list = []
    monkeypatch.setattr("tiering.tasks.tier_recompute_task.delay", sent.append)

    responses = _together(*[lambda a=a: _api(a).post("/api/v1/tiering/recomputes/") for a in admins])

    assert sorted(r.status_code for r in responses) == [202, 409]
    won, lost = sorted(responses, key=lambda r: r.status_code)
    run_id = won.json()["id"]
    assert lost.json()["code"] == "recompute_active" and f"#{run_id}" in lost.json()["message"]
    assert list(TierRecompute.objects.values_list("pk", "status")) == [(run_id, TierRecomputeStatus.QUEUED)]
    assert sent == [run_id]
    tier_recompute_nightly()
    assert TierRecompute.objects.count() == 1 and sent == [run_id]

    TierRecompute.objects.filter(pk=run_id).update(created_at=timezone.now() - datetime.timedelta(hours=2))
    fresh = _api(admins[1]).post("/api/v1/tiering/recomputes/")
    assert fresh.status_code == 202 and sent == [run_id, fresh.json()["id"]]
    tiering_services.tier_recompute_run(run_id=fresh.json()["id"])
    again = _api(admins[0]).post("/api/v1/tiering/recomputes/")
    assert again.status_code == 202 and TierRecompute.objects.count() == 3


def test_a_run_delivered_again_or_a_second_run_while_one_runs(tier_clients, make_staff, monkeypatch):
    """While a run holds the recompute lock and writes: a second delivery of the same task (acks_late
    redelivery) leaves the run alone; another queued run reaching a worker (e.g. one queued over an hour ago,
    delivered late) fails at once with "already running" and a finish time. The first run ends done, without
    an error, each change counted once."""
    admin = make_staff(Role.ADMIN)
    monkeypatch.setattr("tiering.tasks.tier_recompute_task.delay", lambda run_id: None)
    tiering_services.metrics_import(actor=None, rows=_rows(tier_clients, AFTER))
    run = tiering_services.tier_recompute_request(actor=admin)
    late = TierRecompute.objects.create(as_of=timezone.localdate(), requested_by=admin)
    writing, release = threading.Event(), threading.Event()
    real_progress = tiering_services._run_progress

    def hold_while_writing(run_id, **fields):
        real_progress(run_id, **fields)
        if run_id == run.pk and fields.get("step") == "writing":
            writing.set()
            release.wait(10)

    monkeypatch.setattr(tiering_services, "_run_progress", hold_while_writing)
    results: dict = {}

    def deliver():
        try:
            results["first"] = tiering_services.tier_recompute_run(run_id=run.pk)
        except Exception as exc:  # noqa: BLE001  # reported to the test as the result
            results["first"] = exc
        finally:
            connection.close()

    first = threading.Thread(target=deliver)
    first.start()
    try:
        assert writing.wait(10)
        again = tiering_services.tier_recompute_run(run_id=run.pk)  # in this thread, while the first holds the lock
        with pytest.raises(ApplicationError) as refused:
            tiering_services.tier_recompute_run(run_id=late.pk)
    finally:
        release.set()
        first.join(30)

    assert again.status == TierRecomputeStatus.RUNNING and not isinstance(results["first"], Exception)
    run.refresh_from_db()
    assert (run.status, run.error, run.changed) == (TierRecomputeStatus.DONE, "", N_CLIENTS)
    assert run.finished_at is not None and TierChange.objects.filter(run=run).count() == N_CLIENTS
    assert _tiers(tier_clients) == {"A": N_CLIENTS}
    assert (refused.value.code, refused.value.status) == ("recompute_running", 409)
    late.refresh_from_db()
    assert (late.status, late.error) == (TierRecomputeStatus.FAILED, "A tier recompute is already running.")
    assert late.finished_at is not None and not TierChange.objects.filter(run=late).exists()
