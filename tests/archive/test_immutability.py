"""The database itself refuses to change or remove documents, access logs and history rows (SPEC §8)."""

import pytest
from django.db import connection, transaction
from django.db.utils import InternalError

from accounts.models import Branch, Client, StaffProfile
from archive.immutability import history_models
from archive.models import Document, DocumentAccess
from archive.services import document_open, document_store

from .conftest import PDF

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _refused(sql: str, params: list) -> str:
    with pytest.raises(InternalError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(refused.value)


@pytest.fixture
def document(clerk, client_zhang):
    return document_store(actor=clerk, client=client_zhang, kind="agreement_signed", content=PDF, filename="a.pdf")


@pytest.mark.parametrize("column, value", [("sha256", "0" * 64), ("storage_name", "docs/other.pdf"), ("kind", "other")])
def test_raw_sql_cannot_update_a_document(document, column, value):
    message = _refused(f"UPDATE archive_document SET {column} = %s WHERE id = %s", [value, document.pk])  # noqa: S608

    assert "archive_document_read_only" in message
    document.refresh_from_db()
    assert document.kind == "agreement_signed"


def test_raw_sql_cannot_delete_a_document(document):
    message = _refused("DELETE FROM archive_document WHERE id = %s", [document.pk])

    assert "archive_no_delete" in message
    assert Document.objects.filter(pk=document.pk).exists()


def test_the_orm_cannot_delete_a_document_either(document):
    with pytest.raises(InternalError), transaction.atomic():
        Document.objects.filter(pk=document.pk).delete()

    assert Document.objects.filter(pk=document.pk).exists()


def test_legal_hold_and_retention_may_change(document):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE archive_document SET legal_hold = true, retention_until = '2060-01-01' WHERE id = %s",
            [document.pk],
        )

    document.refresh_from_db()
    assert document.legal_hold is True
    assert str(document.retention_until) == "2060-01-01"


def test_access_log_rows_cannot_be_changed_or_removed(document, clerk):
    document_open(actor=clerk, document_id=document.pk, action="view", ip="10.0.0.1")[1].close()
    access = DocumentAccess.objects.get()

    assert "archive_no_update" in _refused(
        "UPDATE archive_documentaccess SET ip = '1.1.1.1' WHERE id = %s", [access.pk]
    )
    assert "archive_no_delete" in _refused("DELETE FROM archive_documentaccess WHERE id = %s", [access.pk])


def test_every_history_table_that_exists_is_protected():
    tables = set(connection.introspection.table_names())
    protected = [m._meta.db_table for m in history_models() if m._meta.db_table in tables]

    assert {"accounts_historicalbranch", "accounts_historicalstaffprofile", "accounts_historicalclient"} <= set(
        protected
    )
    with connection.cursor() as cursor:
        for table in protected:
            cursor.execute(
                "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE c.relname = %s AND t.tgname LIKE 'pgtrigger_history_append_only_%%' AND NOT t.tgisinternal",
                [table],
            )
            assert cursor.fetchone()[0] == 1, table


@pytest.mark.parametrize(
    "table", ["accounts_historicalclient", "accounts_historicalbranch", "accounts_historicalstaffprofile"]
)
def test_raw_sql_cannot_update_or_delete_history(table, client_zhang):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT history_id FROM {table} ORDER BY history_id LIMIT 1")  # noqa: S608
        (history_id,) = cursor.fetchone()

    update = _refused(f"UPDATE {table} SET history_change_reason = 'forged' WHERE history_id = %s", [history_id])  # noqa: S608
    delete = _refused(f"DELETE FROM {table} WHERE history_id = %s", [history_id])  # noqa: S608

    assert "history_append_only" in update
    assert "history_append_only" in delete


def test_history_still_records_normal_changes(clerk, client_zhang):
    # given the protected history table, the application still appends rows
    client = Client.objects.get(pk=client_zhang.pk)
    client.email = "zhang@example.com"
    client.save()

    assert client.history.count() == 2
    assert Branch.history.count() >= 1
    assert StaffProfile.history.count() >= 1
