"""Metrics import: CSV command with bad rows, --strict, the bulk API."""

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tiering.models import ClientMetric

pytestmark = pytest.mark.django_db

HEADER = "client_no,as_of,total_assets,contribution_12m,trades_12m,tenure_months\n"


def test_csv_bad_rows_are_reported_and_the_rest_loads(make_clients, tmp_path, capsys):
    a, b = make_clients([(1, 1), (2, 2)])
    ClientMetric.objects.all().delete()
    path = tmp_path / "m.csv"
    path.write_text(
        HEADER
        + f"{a.client_no},2026-01-05,1000.50,10,3,12\n"
        + "NOPE,2026-01-05,1,1,1,1\n"
        + f"{b.client_no},2026-13-01,1,1,1,1\n"
        + f"{b.client_no},2026-01-05,-5,1,1,1\n"
        + f"{b.client_no},2026-01-05,5,x,1,1\n"
        + f"{b.client_no},2026-01-05,7,1,1,2\n"
        + f"{a.client_no},2026-01-05,1,1,1,1\n",
        encoding="utf-8",
    )
    call_command("tiering_metrics_import", str(path))
    err = capsys.readouterr().err
    assert "line 3: unknown client_no NOPE" in err
    assert "line 4: as_of must be a date" in err
    assert "line 5: total_assets out of range" in err
    assert "line 6: contribution_12m must be a number" in err
    assert "line 8: duplicate client_no and as_of" in err
    assert ClientMetric.objects.count() == 2
    assert str(ClientMetric.objects.get(client=a).total_assets) == "1000.50"


def test_csv_strict_loads_nothing(make_clients, tmp_path, capsys):
    (a,) = make_clients([(1, 1)])
    ClientMetric.objects.all().delete()
    path = tmp_path / "m.csv"
    path.write_text(HEADER + f"{a.client_no},2026-01-05,1,1,1,1\nNOPE,2026-01-05,1,1,1,1\n", encoding="utf-8")
    with pytest.raises(CommandError, match="1 bad rows; nothing loaded"):
        call_command("tiering_metrics_import", str(path), "--strict")
    assert "line 3: unknown client_no NOPE" in capsys.readouterr().err
    assert ClientMetric.objects.count() == 0


def test_reimport_of_the_same_day_replaces(make_clients, tmp_path):
    (a,) = make_clients([(1, 1)])
    path = tmp_path / "m.csv"
    path.write_text(HEADER + f"{a.client_no},2026-01-05,1,1,1,1\n", encoding="utf-8")
    call_command("tiering_metrics_import", str(path))
    path.write_text(HEADER + f"{a.client_no},2026-01-05,9,9,9,9\n", encoding="utf-8")
    call_command("tiering_metrics_import", str(path))
    row = ClientMetric.objects.get(client=a, as_of="2026-01-05")
    assert (row.trades_12m, str(row.total_assets)) == (9, "9.00")


def test_demo_data_generator(default_policy):
    from accounts.crypto import blind_index
    from accounts.identity import resident_id_check
    from accounts.models import Client
    from tiering.demo import demo_data_generate

    result = demo_data_generate(clients=30, batch_size=12)
    assert result["clients"] == 30
    clients = list(Client.objects.filter(client_no__startswith="D"))
    assert len(clients) == 30
    for c in clients[:10]:
        resident_id_check(c.id_number, today=timezone.localdate())  # valid check digits
        assert c.id_number_index == blind_index(c.id_number)
    raw = Client.objects.filter(pk=clients[0].pk).values_list("id_number", flat=True)
    # stored encrypted
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT id_number FROM accounts_client WHERE id = %s", [clients[0].pk])
        assert cur.fetchone()[0].startswith("enc1:")
    assert raw
    assert ClientMetric.objects.filter(client__in=clients).count() == 30
    assert Client.history.filter(client_no__startswith="D").count() == 30
    # the history rows carry the same values as the clients (decrypted), one "+" row each
    by_pk = {c.pk: c for c in clients}
    for h in Client.history.filter(client_no__startswith="D"):
        c = by_pk[h.id]
        assert (h.history_type, h.history_user_id, h.history_change_reason) == ("+", None, "demo data")
        assert (h.id_number, h.phone, h.address, h.name, h.branch_id) == (
            c.id_number,
            c.phone,
            c.address,
            c.name,
            c.branch_id,
        )
    from suitability.models import Assessment

    assert Assessment.objects.filter(client__in=clients).count() == 30
    assert Assessment.history.filter(client__in=clients, history_type="+").count() == 30
