"""Opening the accounts: all pending activation, all carrying the client's name and ID (art. 9)."""

import pytest

from accounts.errors import ApplicationError
from accounts.gateways import CsdcSimulator
from accounts.models import AccountStatus, Branch, FundAccount, SecuritiesAccount
from accounts.roles import Role
from accounts.services import accounts_consistency_check, accounts_open, client_register

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(make_staff):
    return make_staff(Role.CLERK)


@pytest.fixture
def client(clerk):
    client, _ = client_register(
        actor=clerk, kind="individual", name="张三", id_type="resident_id", id_number="11010519491231002X",
        branch=Branch.objects.get(code="T001"),
    )  # fmt: skip
    return client


def _open(actor, client):
    ymt = CsdcSimulator().securities_accounts_open(
        name=client.name, id_type=client.id_type, id_number=client.id_number, markets=["SH", "SZ"]
    )
    return accounts_open(
        actor=actor, client_id=client.pk, ymt=ymt, bank_code="ICBC", bank_account="6222020000000000001",
        bank_reference="ICBC-1", reason="application 1 approved",
    )  # fmt: skip


def test_all_accounts_start_pending_activation_with_the_clients_identity(clerk, client):
    fund = _open(clerk, client)

    accounts = [fund, *fund.securities_accounts.all(), fund.depository]
    assert len(accounts) == 4
    for account in accounts:
        assert account.status == AccountStatus.PENDING_ACTIVATION
        assert (account.holder_name, account.holder_id_type, account.holder_id_index) == (
            "张三",
            "resident_id",
            client.id_number_index,
        )
    assert fund.history.get().history_user == clerk


def test_opening_twice_is_refused(clerk, client):
    _open(clerk, client)
    with pytest.raises(ApplicationError) as excinfo:
        _open(clerk, client)
    assert excinfo.value.code == "accounts_already_open"
    assert FundAccount.objects.count() == 1


def test_an_account_under_another_name_breaks_the_consistency_rule(clerk, client):
    _open(clerk, client)
    SecuritiesAccount.objects.filter(market="SZ").update(holder_name="张三丰")

    with pytest.raises(ApplicationError) as excinfo:
        accounts_consistency_check(client)

    assert excinfo.value.code == "accounts_inconsistent"
    assert excinfo.value.rule_in("zh") == "证券公司开立客户账户规范 第九条"


def test_roles_without_permission_cannot_open_accounts(make_staff, client):
    with pytest.raises(ApplicationError) as excinfo:
        _open(make_staff(Role.ACCOUNT_MANAGER), client)
    assert excinfo.value.code == "permission_denied"
    assert FundAccount.objects.count() == 0
