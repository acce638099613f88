"""Registering clients: validation, one client per identity, personal data encrypted at rest."""

import datetime

import pytest
from django.db import connection

from accounts.crypto import blind_index
from accounts.errors import ApplicationError
from accounts.masking import mask_address, mask_id_number, mask_phone
from accounts.models import Branch, Client
from accounts.roles import Role
from accounts.services import client_register

pytestmark = pytest.mark.django_db
ID = "11010519491231002X"


@pytest.fixture
def clerk(make_staff):
    return make_staff(Role.CLERK)


def _register(actor, **overrides):
    data = {
        "kind": "individual",
        "name": "张三",
        "id_type": "resident_id",
        "id_number": ID,
        "branch": Branch.objects.get(code="T001"),
        "phone": "13812345678",
        "address": "北京市西城区金融大街1号",
    }
    data.update(overrides)
    return client_register(actor=actor, **data)


def test_a_client_takes_birth_date_and_gender_from_the_resident_id(clerk):
    client, created = _register(clerk)

    assert created
    assert client.birth_date == datetime.date(1949, 12, 31)
    assert client.gender == "F"
    assert client.phone == "+8613812345678"
    assert client.history.get().history_user == clerk


def test_a_second_registration_of_the_same_person_finds_the_existing_client(clerk):
    first, _ = _register(clerk)

    second, created = _register(clerk, name="张三", id_number="110105 19491231 002x")

    assert not created
    assert second.pk == first.pk
    assert Client.objects.count() == 1


def test_an_expired_id_is_refused_and_nothing_is_saved(clerk):
    with pytest.raises(ApplicationError) as excinfo:
        _register(clerk, id_valid_until=datetime.date(2020, 1, 1))

    assert excinfo.value.code == "id_expired"
    assert Client.objects.count() == 0


def test_an_invalid_phone_is_refused(clerk):
    with pytest.raises(ApplicationError) as excinfo:
        _register(clerk, phone="12345")
    assert excinfo.value.code == "phone_invalid"
    assert Client.objects.count() == 0


def test_roles_without_permission_cannot_register(make_staff):
    with pytest.raises(ApplicationError) as excinfo:
        _register(make_staff(Role.ACCOUNT_MANAGER))
    assert excinfo.value.code == "permission_denied"


@pytest.mark.postgres
def test_raw_sql_shows_no_plaintext_personal_data_in_the_table_or_its_history(clerk):
    _register(clerk)

    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone, address, id_number_index FROM accounts_client")
        row = cursor.fetchone()
        cursor.execute("SELECT id_number, phone, address FROM accounts_historicalclient")
        history_row = cursor.fetchone()

    for value in (*row[:3], *history_row):
        assert value.startswith("enc1:")
        assert ID not in value and "13812345678" not in value and "金融大街" not in value
    assert row[3] == blind_index(ID)
    assert Client.objects.get(id_number_index=blind_index(ID)).id_number == ID


def test_masking_hides_the_middle():
    assert mask_id_number("11010519491231002X") == "1101**********002X"
    assert mask_phone("+8613812345678") == "138****5678"
    assert mask_address("北京市西城区金融大街1号") == "北京市西城区****"
