"""PII key rotation (`manage.py pii_rotate`): every encrypted column, history tables included, ends up under the
new key; the data and the audit chain read the same; re-runs, dry runs and unreadable values."""

import io
import logging

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.utils import InternalError

from accounts import services as svc
from accounts.models import ChangeRequest, Client, DepositoryBinding
from accounts.pii_rotation import encrypted_columns
from accounts.roles import Role
from archive.services import chain_sequence, chain_verify
from tests.accounts.changes_support import client_with_accounts, resident_id

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()
UNKNOWN = Fernet.generate_key().decode()
ID_NUMBER = resident_id(1)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def old_data(settings, make_staff):
    """Given a client with accounts, an applied phone change (so history rows) and a pending change request,
    all written under the old key only."""
    settings.PII_ENCRYPTION_KEYS = [OLD]
    clerk = make_staff(Role.CLERK, full_name="王柜台")
    reviewer = make_staff(Role.REVIEWER, full_name="李复核")
    client = client_with_accounts(clerk)
    applied = svc.change_request_create(
        actor=clerk, client_id=client.pk, client_version=client.version, changes={"phone": "139 1234 5678"}
    )
    svc.change_request_review(actor=reviewer, request_id=applied.pk, approve=True)
    client.refresh_from_db()
    pending = svc.change_request_create(
        actor=clerk,
        client_id=client.pk,
        client_version=client.version,
        changes={"address": "上海市浦东新区世纪大道8号"},
    )
    chain_sequence()  # link the history rows now, hashing the values as read under the old key
    return {
        "client": (client.pk, client.id_number, client.phone, client.address),
        "history": sorted((h.history_id, h.id_number, h.phone, h.address) for h in client.history.all()),
        "requests": {
            r.pk: (r.old_values, r.new_values) for r in ChangeRequest.objects.filter(pk__in=[applied.pk, pending.pk])
        },
        "bank_account": DepositoryBinding.objects.get(client=client).bank_account,
    }


def _raw_values() -> dict[tuple[str, str, str], str]:
    """Every non-empty encrypted column value as stored, keyed by (table, pk, column)."""
    values = {}
    with connection.cursor() as cursor:
        for model, fields in encrypted_columns():
            table, pk = model._meta.db_table, model._meta.pk.column
            columns = [f.column for f in fields]
            cursor.execute(f"SELECT {pk}, {', '.join(columns)} FROM {table}")  # noqa: S608
            for row_pk, *row in cursor.fetchall():
                values.update({(table, str(row_pk), c): v for c, v in zip(columns, row, strict=True) if v})
    return values


def _rotate(*args: str) -> str:
    out = io.StringIO()
    call_command("pii_rotate", *args, stdout=out)
    return out.getvalue()


def test_rotation_moves_every_value_to_the_new_key_and_the_data_reads_the_same(settings, old_data):
    before = _raw_values()
    tables = {table for table, _, _ in before}
    assert {
        "accounts_client",
        "accounts_historicalclient",
        "accounts_changerequest",
        "accounts_historicalchangerequest",
        "accounts_depositorybinding",
        "accounts_historicaldepositorybinding",
    } <= tables

    # when the new key is put first and the command runs
    settings.PII_ENCRYPTION_KEYS = [NEW, OLD]
    output = _rotate()

    # then every stored value changed, is encrypted, shows no plaintext and decrypts under the new key alone
    after = _raw_values()
    assert after.keys() == before.keys()
    for where, value in after.items():
        assert value != before[where], where
        assert value.startswith("enc1:") and ID_NUMBER not in value, where
        Fernet(NEW.encode()).decrypt(value.removeprefix("enc1:"))
    assert f"rotated {len(before)}" in output and "unreadable 0" in output
    assert "accounts_historicalclient (id_number, legal_rep_id_number, phone, address)" in output
    assert "triggers bypassed: pgtrigger_history_append_only_" in output

    # and with the old key gone, the client, its history and the change requests read as before
    settings.PII_ENCRYPTION_KEYS = [NEW]
    client = Client.objects.get(pk=old_data["client"][0])
    assert (client.pk, client.id_number, client.phone, client.address) == old_data["client"]
    assert sorted((h.history_id, h.id_number, h.phone, h.address) for h in client.history.all()) == old_data["history"]
    requests = ChangeRequest.objects.filter(pk__in=old_data["requests"])
    assert {r.pk: (r.old_values, r.new_values) for r in requests} == old_data["requests"]
    assert DepositoryBinding.objects.get(client=client).bank_account == old_data["bank_account"]

    # and the audit chain, which hashes decrypted values, still verifies
    report = chain_verify()
    assert report.first_break is None and not report.unchained, report
    assert report.links_checked >= len(old_data["history"])


def test_the_append_only_triggers_are_back_after_rotation(settings, old_data):
    settings.PII_ENCRYPTION_KEYS = [NEW, OLD]
    _rotate()

    with pytest.raises(InternalError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_historicalclient SET history_change_reason = 'forged'")
    assert "history_append_only" in str(refused.value)


def test_a_second_run_rotates_nothing(settings, old_data):
    settings.PII_ENCRYPTION_KEYS = [NEW, OLD]
    _rotate("--batch-size", "2")
    once = _raw_values()

    output = _rotate("--batch-size", "2")

    assert _raw_values() == once
    assert f"total: {len(once)} value(s)" in output and ", rotated 0, unreadable 0" in output


def test_small_batches_rotate_everything(settings, old_data):
    settings.PII_ENCRYPTION_KEYS = [NEW, OLD]
    _rotate("--batch-size", "1")

    for where, value in _raw_values().items():
        assert Fernet(NEW.encode()).decrypt(value.removeprefix("enc1:")), where


def test_a_dry_run_counts_and_changes_nothing(settings, old_data):
    before = _raw_values()
    settings.PII_ENCRYPTION_KEYS = [NEW, OLD]

    output = _rotate("--dry-run")

    assert _raw_values() == before
    assert f"would rotate {len(before)}," in output and "dry run: nothing changed" in output


def test_a_value_under_an_unknown_key_is_reported_and_fails_the_command(settings, old_data):
    client_pk = old_data["client"][0]
    foreign = "enc1:" + Fernet(UNKNOWN.encode()).encrypt("某地".encode()).decode()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_client SET address = %s WHERE id = %s", [foreign, client_pk])
    settings.PII_ENCRYPTION_KEYS = [NEW, OLD]
    out = io.StringIO()

    with pytest.raises(CommandError, match="1 value"):
        call_command("pii_rotate", stdout=out)

    output = out.getvalue()
    assert f"UNREADABLE: table=accounts_client pk={client_pk} column=address problem=unknown_key" in output
    assert "unreadable 1" in output
    after = _raw_values()
    assert after[("accounts_client", str(client_pk), "address")] == foreign  # left as it was
    assert Fernet(NEW.encode()).decrypt(after[("accounts_client", str(client_pk), "id_number")].removeprefix("enc1:"))


def test_the_run_is_logged_without_personal_data_or_keys(settings, old_data, caplog):
    settings.PII_ENCRYPTION_KEYS = [NEW, OLD]

    with caplog.at_level(logging.INFO, logger="security"):
        output = _rotate()

    lines = [r.getMessage() for r in caplog.records if r.name == "security"]
    assert len(lines) == 1 and "pii rotation by os_user=" in lines[0] and "unreadable=0" in lines[0]
    for text in (lines[0], output):
        assert ID_NUMBER not in text and "13912345678" not in text
        assert NEW not in text and OLD not in text
