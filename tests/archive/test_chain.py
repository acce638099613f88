"""Tamper evidence: every history row and document is chained; a row altered in SQL is found (SPEC §8)."""

import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections

from accounts.models import Branch, Client
from accounts.services import client_register
from archive.models import ChainLink
from archive.services import CHAIN_GENESIS, chain_link_hash, chain_verify, document_store

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
    return client_zhang, document


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
    assert chain_verify().ok
    assert ChainLink.objects.values("prev_hash").distinct().count() == ChainLink.objects.count()
