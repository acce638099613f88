"""Personal data is masked for everyone by default; revealing it is permission-checked and logged (SPEC §8)."""

import logging

import pytest
from django.db import IntegrityError, InternalError, connection, transaction

from accounts.errors import ApplicationError
from accounts.models import Branch, PiiReveal
from accounts.roles import Role
from accounts.selectors import client_display
from accounts.services import client_pii_reveal, client_register

pytestmark = pytest.mark.django_db
ID = "11010519491231002X"


@pytest.fixture
def zhang(make_staff):
    client, _ = client_register(
        actor=make_staff(Role.CLERK),
        kind="individual",
        name="张三",
        id_type="resident_id",
        id_number=ID,
        branch=Branch.objects.get(code="T001"),
        phone="13812345678",
        address="北京市西城区金融大街1号",
    )
    return client


@pytest.mark.parametrize("role", [Role.COMPLIANCE, Role.CLERK, Role.REVIEWER, Role.ACCOUNT_MANAGER])
def test_every_role_sees_personal_data_masked_by_default(make_staff, zhang, role):
    display = client_display(zhang, make_staff(role))

    assert display["id_number"] == "1101**********002X"
    assert display["phone"] == "138****5678"
    assert display["address"] == "北京市西城区****"
    assert ID not in str(display) and "13812345678" not in str(display)


@pytest.mark.parametrize(
    ("role", "can_reveal"),
    [
        (Role.CLERK, True),
        (Role.REVIEWER, True),
        (Role.COMPLIANCE, True),
        (Role.ACCOUNT_MANAGER, False),
        (Role.CALLBACK_AGENT, False),
        (Role.WITNESS, False),
        (Role.API_CLIENT, False),
    ],
)
def test_only_counter_review_and_compliance_roles_may_reveal(make_staff, zhang, role, can_reveal):
    assert client_display(zhang, make_staff(role))["can_reveal"] is can_reveal


@pytest.mark.parametrize("role", [Role.CLERK, Role.COMPLIANCE])
def test_a_reveal_returns_the_clear_value_and_logs_who_what_when_where(make_staff, zhang, role):
    user = make_staff(role)

    value = client_pii_reveal(actor=user, client_id=zhang.pk, field="id_number", ip="10.0.0.7", reason="核对证件")

    assert value == ID
    reveal = PiiReveal.objects.get()
    assert (reveal.actor, reveal.client, reveal.field, reveal.ip, reveal.reason, reveal.granted) == (
        user,
        zhang,
        "id_number",
        "10.0.0.7",
        "核对证件",
        True,
    )
    assert reveal.at is not None


def test_phone_and_address_reveal_in_clear(make_staff, zhang):
    clerk = make_staff(Role.CLERK)

    assert client_pii_reveal(actor=clerk, client_id=zhang.pk, field="phone") == "+8613812345678"
    assert client_pii_reveal(actor=clerk, client_id=zhang.pk, field="address") == "北京市西城区金融大街1号"
    assert PiiReveal.objects.filter(granted=True).count() == 2


@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.CALLBACK_AGENT])
def test_a_refused_reveal_is_logged_in_the_table_and_the_security_log(make_staff, zhang, role, caplog):
    user = make_staff(role)

    with caplog.at_level(logging.WARNING, logger="security"), pytest.raises(ApplicationError) as excinfo:
        client_pii_reveal(actor=user, client_id=zhang.pk, field="id_number", ip="10.0.0.8")

    assert excinfo.value.code == "permission_denied"
    assert excinfo.value.status == 403
    reveal = PiiReveal.objects.get()
    assert (reveal.actor, reveal.field, reveal.granted, reveal.ip) == (user, "id_number", False, "10.0.0.8")
    assert any("pii reveal refused" in r.getMessage() and f"user={user.pk}" in r.getMessage() for r in caplog.records)


def test_an_unknown_field_is_refused_without_revealing_anything(make_staff, zhang):
    with pytest.raises(ApplicationError) as excinfo:
        client_pii_reveal(actor=make_staff(Role.COMPLIANCE), client_id=zhang.pk, field="id_number_index")

    assert excinfo.value.code == "pii_field_unknown"
    assert excinfo.value.fields == {"field": ["id_number_index"]}
    assert PiiReveal.objects.count() == 0


def test_an_unknown_client_is_404_only_for_those_allowed_to_reveal(make_staff):
    with pytest.raises(ApplicationError) as allowed:
        client_pii_reveal(actor=make_staff(Role.CLERK), client_id=999999, field="phone")
    with pytest.raises(ApplicationError) as refused:
        client_pii_reveal(actor=make_staff(Role.ACCOUNT_MANAGER), client_id=999999, field="phone")

    assert allowed.value.code == "client_not_found"
    assert refused.value.code == "permission_denied"  # existence is not disclosed to a refused role


@pytest.mark.postgres
def test_the_reveal_log_cannot_be_changed_or_deleted_in_the_database(make_staff, zhang):
    client_pii_reveal(actor=make_staff(Role.CLERK), client_id=zhang.pk, field="phone")
    reveal = PiiReveal.objects.get()

    for sql in ("UPDATE accounts_piireveal SET granted = false", "DELETE FROM accounts_piireveal"):
        with pytest.raises((InternalError, IntegrityError)), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)

    reveal.refresh_from_db()
    assert reveal.granted is True


# API ------------------------------------------------------------------------------------------------


def test_api_reveal_returns_field_and_value(api_client, make_staff, zhang):
    api_client.force_authenticate(make_staff(Role.REVIEWER))

    response = api_client.post(f"/api/v1/clients/{zhang.pk}/reveal/", {"field": "id_number"}, format="json")

    assert response.status_code == 200
    assert response.json() == {"field": "id_number", "value": ID}
    assert PiiReveal.objects.get().granted is True


@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.CALLBACK_AGENT, Role.API_CLIENT])
def test_api_reveal_is_403_in_the_standard_error_shape_and_logged(api_client, make_staff, zhang, role):
    user = make_staff(role)
    api_client.force_authenticate(user)

    response = api_client.post(f"/api/v1/clients/{zhang.pk}/reveal/", {"field": "phone"}, format="json")

    assert response.status_code == 403
    body = response.json()
    assert set(body) == {"code", "message", "fields", "rule"}
    assert body["code"] == "permission_denied"
    assert "accounts.reveal_personal_data" in body["message"]
    assert "13812345678" not in response.content.decode()
    assert PiiReveal.objects.get().granted is False


def test_api_reveal_of_an_unknown_field_is_400(api_client, make_staff, zhang):
    api_client.force_authenticate(make_staff(Role.CLERK))

    response = api_client.post(f"/api/v1/clients/{zhang.pk}/reveal/", {"field": "email"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["fields"]) == ["field"]
    assert PiiReveal.objects.count() == 0
