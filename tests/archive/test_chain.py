"""Tamper evidence: every history row and document is chained; a row altered in SQL is found (SPEC §8).

Rows are marked pending in their own transaction and linked after commit by the sequencer (chain_sequence).
"""

import threading

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction

from accounts.models import Branch, Client
from accounts.services import client_register
from archive import services
from archive.models import ChainLink, ChainPending
from archive.services import CHAIN_GENESIS, chain_link_hash, chain_sequence, chain_verify, document_store

from .conftest import PDF

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _triggers_off(cursor, table: str) -> None:
    # Deferred FK checks from the fixture's inserts must run first, or ALTER TABLE refuses.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER ALL")


def resident_id(first17: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights, strict=True)) % 11]


def _register(clerk, name: str, id_number: str) -> Client:
    client, _ = client_register(
        actor=clerk,
        kind="individual",
        name=name,
        id_type="resident_id",
        id_number=id_number,
        branch=Branch.objects.get(code="T001"),
        phone="13812345678",
    )
    return client


@pytest.fixture
def chained(clerk, client_zhang):
    document = document_store(actor=clerk, client=client_zhang, kind="id_front", content=PDF, filename="f.pdf")
    client_zhang.occupation = "工程师"
    client_zhang._change_reason = "test change"
    client_zhang.save()
    chain_sequence()
    return client_zhang, document


def _assert_chain_links_valid() -> list[ChainLink]:
    links = list(ChainLink.objects.order_by("pk"))
    prev = CHAIN_GENESIS
    for link in links:
        assert link.prev_hash == prev
        assert link.link_hash == chain_link_hash(
            prev_hash=prev, table=link.table, row_pk=link.row_pk, row_hash=link.row_hash
        )
        prev = link.link_hash
    return links


def test_every_history_row_and_document_gets_a_link_in_order(chained):
    client, document = chained

    links = list(ChainLink.objects.order_by("pk"))
    tables = {link.table for link in links}
    assert {"accounts.HistoricalClient", "archive.Document", "accounts.HistoricalStaffProfile"} <= tables
    history_ids = set(client.history.values_list("history_id", flat=True))
    assert {int(link.row_pk) for link in links if link.table == "accounts.HistoricalClient"} == history_ids
    assert ChainLink.objects.filter(table="archive.Document", row_pk=str(document.pk)).exists()
    prev = CHAIN_GENESIS
    for link in links:
        assert link.prev_hash == prev
        assert link.link_hash == chain_link_hash(
            prev_hash=prev, table=link.table, row_pk=link.row_pk, row_hash=link.row_hash
        )
        prev = link.link_hash


def test_an_untouched_chain_verifies(chained, capsys):
    report = chain_verify()

    assert report.ok and report.first_break is None and report.unchained == {}
    assert report.links_checked == ChainLink.objects.count()
    call_command("audit_chain_verify")
    assert "audit chain OK" in capsys.readouterr().out


def test_a_history_row_altered_in_sql_is_the_first_broken_link(chained, capsys):
    client, _document = chained
    victim = client.history.order_by("history_id").first()  # the "registered" row, early in the chain
    link = ChainLink.objects.get(table="accounts.HistoricalClient", row_pk=str(victim.history_id))
    # A later history row of the same table too, to show only the first break is reported.
    later = client.history.order_by("history_id").last()
    with connection.cursor() as cursor:
        _triggers_off(cursor, "accounts_historicalclient")
        cursor.execute(
            "UPDATE accounts_historicalclient SET name = '李四', history_change_reason = 'forged' "
            "WHERE history_id IN (%s, %s)",
            [victim.history_id, later.history_id],
        )
        cursor.execute("ALTER TABLE accounts_historicalclient ENABLE TRIGGER ALL")

    report = chain_verify()

    assert not report.ok
    brk = report.first_break
    assert (brk.link_id, brk.table, brk.row_pk, brk.problem) == (
        link.pk,
        "accounts.HistoricalClient",
        str(victim.history_id),
        "row_altered",
    )
    assert brk.expected == link.row_hash and brk.found != link.row_hash
    assert report.links_checked == ChainLink.objects.filter(pk__lt=link.pk).count()
    with pytest.raises(CommandError):
        call_command("audit_chain_verify")
    out = capsys.readouterr().out
    assert f"table=accounts.HistoricalClient pk={victim.history_id} problem=row_altered" in out
    assert link.row_hash in out


def test_a_document_altered_in_sql_is_found(chained):
    _client, document = chained
    with connection.cursor() as cursor:
        _triggers_off(cursor, "archive_document")
        cursor.execute("UPDATE archive_document SET sha256 = %s WHERE id = %s", ["f" * 64, document.pk])
        cursor.execute("ALTER TABLE archive_document ENABLE TRIGGER ALL")

    brk = chain_verify().first_break

    assert (brk.table, brk.row_pk, brk.problem) == ("archive.Document", str(document.pk), "row_altered")


def test_legal_hold_and_retention_changes_keep_the_chain_valid(chained):
    _client, document = chained
    with connection.cursor() as cursor:
        cursor.execute("UPDATE archive_document SET legal_hold = true WHERE id = %s", [document.pk])

    assert chain_verify().ok


def test_a_link_altered_or_removed_in_sql_is_found(chained):
    links = list(ChainLink.objects.order_by("pk"))
    with connection.cursor() as cursor:
        _triggers_off(cursor, "archive_chainlink")
        cursor.execute("DELETE FROM archive_chainlink WHERE id = %s", [links[2].pk])
        cursor.execute("ALTER TABLE archive_chainlink ENABLE TRIGGER ALL")

    brk = chain_verify().first_break

    assert (brk.link_id, brk.problem) == (links[3].pk, "link_order")
    assert (brk.expected, brk.found) == (links[1].link_hash, links[2].link_hash)


def test_a_history_row_written_around_the_chain_is_reported_unchained(chained):
    client, _ = chained
    # bulk_create on a historical model sends no signal: exactly what the verification must notice.
    row = client.history.first()
    row.pk = None
    type(row).objects.bulk_create([row])

    report = chain_verify()

    assert report.first_break is None
    assert report.unchained == {"accounts.HistoricalClient": 1}


def test_links_cannot_be_changed_by_the_application(chained):
    from django.db import transaction
    from django.db.utils import InternalError

    link = ChainLink.objects.first()
    with pytest.raises(InternalError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE archive_chainlink SET row_hash = 'x' WHERE id = %s", [link.pk])


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_do_not_fork_the_chain(make_staff):
    from accounts.roles import Role

    clerk = make_staff(Role.CLERK)
    valid = [resident_id(f"11010519800101{i:02d}1") for i in range(1, 5)]
    barrier = threading.Barrier(len(valid))
    errors = []

    def work(i, number):
        try:
            barrier.wait()
            _register(clerk, f"并发{i}", number)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i, n)) for i, n in enumerate(valid)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not errors
    chain_sequence()
    assert chain_verify().ok
    assert ChainLink.objects.values("prev_hash").distinct().count() == ChainLink.objects.count()


# --- chaining after commit: pending entries and the sequencer (docs/decisions/0007, "Revised") -------------


def _link_of(table: str, row_pk) -> ChainLink | None:
    return ChainLink.objects.filter(table=table, row_pk=str(row_pk)).first()


def test_a_write_is_pending_until_the_sequencer_links_it(clerk):
    chain_sequence()
    client = _register(clerk, "待上链", resident_id("11010519800101771"))
    row = client.history.get()

    # given a committed write: one pending entry, no link yet, and verify calls it pending (not a fault)
    assert ChainPending.objects.filter(table="accounts.HistoricalClient", row_pk=str(row.history_id)).count() == 1
    assert _link_of("accounts.HistoricalClient", row.history_id) is None
    report = chain_verify()
    assert report.ok and report.first_break is None and report.unchained == {}
    assert report.pending == {"accounts.HistoricalClient": 1}
    assert report.pending_oldest is not None
    assert ChainPending.objects.exists()  # verify itself never sequences

    # when the sequencer runs
    added = chain_sequence()

    # then the row is linked once, its entry is gone, and the chain verifies with nothing pending
    assert added == 1
    assert _link_of("accounts.HistoricalClient", row.history_id) is not None
    assert not ChainPending.objects.exists()
    report = chain_verify()
    assert report.ok and report.pending == {} and report.pending_oldest is None
    assert chain_sequence() == 0


def test_a_rolled_back_transaction_leaves_no_pending_entry_and_no_link(clerk):
    chain_sequence()
    pending_before, links_before = ChainPending.objects.count(), ChainLink.objects.count()

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        client = _register(clerk, "回滚", resident_id("11010519800101772"))
        document_store(actor=clerk, client=client, kind="id_front", content=PDF, filename="f.pdf")
        assert ChainPending.objects.count() == pending_before + 2  # the history row and the document
        raise Abort

    assert ChainPending.objects.count() == pending_before
    assert chain_sequence() == 0
    assert ChainLink.objects.count() == links_before
    assert chain_verify().ok


def test_the_audit_chain_command_reports_pending_rows_and_can_sequence_first(clerk, capsys):
    _register(clerk, "命令", resident_id("11010519800101773"))

    call_command("audit_chain_verify")
    out = capsys.readouterr().out
    assert "PENDING: accounts.HistoricalClient: 1 row(s)" in out and "audit chain OK" in out

    call_command("audit_chain_verify", "--sequence-first")
    out = capsys.readouterr().out
    assert "sequenced first:" in out and "PENDING" not in out and "audit chain OK" in out
    assert not ChainPending.objects.exists()


def test_a_pending_row_is_still_protected_by_the_triggers(clerk):
    # The tamper-evidence window: before its link exists a row is protected only by the triggers.
    chain_sequence()
    client = _register(clerk, "窗口", resident_id("11010519800101774"))
    row = client.history.get()
    with pytest.raises(Exception, match="Cannot update"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_historicalclient SET name = 'x' WHERE history_id = %s", [row.history_id])

    chain_sequence()

    assert _link_of("accounts.HistoricalClient", row.history_id) is not None
    assert chain_verify().ok


def test_a_sequencer_that_dies_mid_way_leaves_a_valid_chain_and_the_next_run_continues(clerk, monkeypatch):
    chain_sequence()
    for i in range(5):  # five history rows pending
        _register(clerk, f"中断{i}", resident_id(f"110105198001017{80 + i}"))
    assert ChainPending.objects.count() == 5
    real_link_hash = services.chain_link_hash
    calls = {"n": 0}

    def dies_on_the_fourth(**kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("sequencer killed")
        return real_link_hash(**kwargs)

    monkeypatch.setattr(services, "chain_link_hash", dies_on_the_fourth)

    # when the run dies in its second batch of two
    with pytest.raises(RuntimeError, match="sequencer killed"):
        chain_sequence(limit=2)

    # then the first batch is linked, the dying batch left nothing, and the chain is valid
    assert ChainLink.objects.filter(table="accounts.HistoricalClient").count() == 2
    assert ChainPending.objects.count() == 3
    _assert_chain_links_valid()
    report = chain_verify()
    assert report.ok and report.pending == {"accounts.HistoricalClient": 3} and report.unchained == {}

    # and the next run continues from the head
    monkeypatch.setattr(services, "chain_link_hash", real_link_hash)
    assert chain_sequence(limit=2) == 3
    assert not ChainPending.objects.exists()
    links = _assert_chain_links_valid()
    assert [link.table for link in links].count("accounts.HistoricalClient") == 5
    assert chain_verify().ok


def test_a_row_recorded_twice_is_linked_once(chained):
    client, _document = chained
    row = client.history.order_by("history_id").last()
    services.chain_record(instance=row)  # already linked by the fixture

    assert chain_sequence() == 0
    assert not ChainPending.objects.exists()
    assert ChainLink.objects.filter(table="accounts.HistoricalClient", row_pk=str(row.history_id)).count() == 1


def test_beat_runs_the_sequencer_every_few_seconds():
    from archive.tasks import chain_sequence_task

    entry = settings.CELERY_BEAT_SCHEDULE["audit-chain-sequence"]
    assert entry["task"] == chain_sequence_task.name
    assert entry["schedule"] <= 5
    assert entry["options"]["expires"] > entry["schedule"]  # stale ticks are dropped, never piled up


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_transactions_are_each_chained_once_in_commit_order(make_staff):
    from accounts.roles import Role

    clerk = make_staff(Role.CLERK)
    chain_sequence()  # the fixture's own rows
    slow_written, release_slow = threading.Event(), threading.Event()
    clients: dict[str, Client] = {}
    errors: list[Exception] = []

    def slow():  # writes first, commits last
        try:
            with transaction.atomic():
                clients["slow"] = _register(clerk, "先写后提交", resident_id("11010519800101791"))
                slow_written.set()
                assert release_slow.wait(30)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            slow_written.set()
            connections.close_all()

    def fast():  # writes second, commits first
        try:
            assert slow_written.wait(30)
            clients["fast"] = _register(clerk, "后写先提交", resident_id("11010519800101792"))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    t_slow, t_fast = threading.Thread(target=slow), threading.Thread(target=fast)
    t_slow.start()
    t_fast.start()
    t_fast.join(60)
    # the sequencer runs while the slow transaction is still open: it links what is committed only
    first_run = chain_sequence()
    release_slow.set()
    t_slow.join(60)
    second_run = chain_sequence()

    assert not errors
    assert (first_run, second_run) == (1, 1)
    fast_row = clients["fast"].history.get()
    slow_row = clients["slow"].history.get()
    fast_link = _link_of("accounts.HistoricalClient", fast_row.history_id)
    slow_link = _link_of("accounts.HistoricalClient", slow_row.history_id)
    assert slow_row.history_id < fast_row.history_id  # written first …
    assert fast_link.pk < slow_link.pk  # … but committed last, so linked last
    assert slow_link.prev_hash == fast_link.link_hash
    assert not ChainPending.objects.exists()
    assert ChainLink.objects.filter(table="accounts.HistoricalClient").count() == 2
    _assert_chain_links_valid()
    assert chain_verify().ok


@pytest.mark.django_db(transaction=True)
def test_concurrent_sequencers_and_writers_never_fork_or_double_link(make_staff):
    from accounts.roles import Role

    clerk = make_staff(Role.CLERK)
    numbers = [resident_id(f"11010519800102{i:02d}1") for i in range(1, 7)]
    writing = threading.Event()
    errors: list[Exception] = []

    def write(i, number):
        try:
            _register(clerk, f"写{i}", number)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    def sequence():
        try:
            while not writing.is_set():
                chain_sequence(limit=2)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    sequencers = [threading.Thread(target=sequence) for _ in range(2)]
    writers = [threading.Thread(target=write, args=(i, n)) for i, n in enumerate(numbers)]
    for t in [*sequencers, *writers]:
        t.start()
    for t in writers:
        t.join(60)
    writing.set()
    for t in sequencers:
        t.join(60)
    chain_sequence()

    assert not errors
    assert not ChainPending.objects.exists()
    links = _assert_chain_links_valid()
    assert len({(link.table, link.row_pk) for link in links}) == len(links)
    assert ChainLink.objects.filter(table="accounts.HistoricalClient").count() == len(numbers)
    assert chain_verify().ok


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_task_links_committed_rows(make_staff):
    from accounts.roles import Role
    from archive.tasks import chain_sequence_task
    from tests.workers import running_worker, wait_for

    clerk = make_staff(Role.CLERK)
    client = _register(clerk, "工作进程", resident_id("11010519800101793"))
    row = client.history.get()
    assert _link_of("accounts.HistoricalClient", row.history_id) is None

    with running_worker():
        chain_sequence_task.delay()  # what beat sends every 5 s
        wait_for(lambda: not ChainPending.objects.exists(), timeout=30)

    assert _link_of("accounts.HistoricalClient", row.history_id) is not None
    report = chain_verify()
    assert report.ok and report.pending == {}
