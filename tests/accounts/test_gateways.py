"""The CSDC and bank simulators behave like the real systems: stateful, idempotent, faults injectable."""

import pytest

from accounts.crypto import blind_index
from accounts.gateways import BankSimulator, CsdcSimulator, GatewayRefused, GatewayTransientError
from accounts.simulators import CsdcSimAccount, GatewayFault

pytestmark = pytest.mark.django_db
ID = "11010519491231002X"


def test_opening_creates_one_unified_account_and_is_idempotent():
    csdc = CsdcSimulator()
    assert csdc.ymt_query(id_type="resident_id", id_number=ID) is None

    first = csdc.securities_accounts_open(name="张三", id_type="resident_id", id_number=ID, markets=["SH", "SZ"])
    again = csdc.securities_accounts_open(name="张三", id_type="resident_id", id_number=ID, markets=["SH", "SZ"])

    assert first == again
    assert {s.market for s in first.sub_accounts} == {"SH", "SZ"}
    assert all(s.link_status == "confirmed" for s in first.sub_accounts)
    assert csdc.ymt_query(id_type="resident_id", id_number=ID) == first
    assert CsdcSimAccount.objects.count() == 1


def test_transient_fault_fails_the_given_number_of_times_then_succeeds():
    csdc = CsdcSimulator()
    GatewayFault.objects.create(system="csdc", operation="ymt_query", mode="transient", remaining=2)

    for _ in range(2):
        with pytest.raises(GatewayTransientError):
            csdc.ymt_query(id_type="resident_id", id_number=ID)
    assert csdc.ymt_query(id_type="resident_id", id_number=ID) is None


def test_permanent_fault_for_one_client_only():
    csdc = CsdcSimulator()
    GatewayFault.objects.create(
        system="csdc",
        operation="securities_accounts_open",
        key=blind_index(ID),
        mode="permanent",
        message="已在他处开户",
    )

    with pytest.raises(GatewayRefused, match="已在他处开户"):
        csdc.securities_accounts_open(name="张三", id_type="resident_id", id_number=ID, markets=["SH"])
    other = csdc.securities_accounts_open(
        name="李四", id_type="resident_id", id_number="360426199101010071", markets=["SH"]
    )
    assert other.sub_account("SH") is not None


def test_key_update_is_refused_while_a_link_is_unconfirmed_and_applied_once_after_confirmation():
    csdc = CsdcSimulator()
    record = csdc.securities_accounts_open(name="张三", id_type="resident_id", id_number=ID, markets=["SH", "SZ"])
    CsdcSimAccount.objects.filter(ymt_no=record.ymt_no).update(sz_link="unconfirmed")

    with pytest.raises(GatewayRefused, match="SZ"):
        csdc.key_info_update(ymt_no=record.ymt_no, name="张珊", id_type="resident_id", id_number=ID, request_ref="r1")

    csdc.link_confirm(ymt_no=record.ymt_no, market="SZ")
    updated = csdc.key_info_update(
        ymt_no=record.ymt_no, name="张珊", id_type="resident_id", id_number=ID, request_ref="r1"
    )
    replay = csdc.key_info_update(
        ymt_no=record.ymt_no, name="张珊", id_type="resident_id", id_number=ID, request_ref="r1"
    )

    assert updated.name == replay.name == "张珊"
    assert CsdcSimAccount.objects.get().applied_requests == ["r1"]


def test_bank_binding_is_idempotent_by_request_reference():
    bank = BankSimulator()
    ref1 = bank.depository_bind(
        fund_account_no="01010000000001",
        holder_name="张三",
        bank_code="ICBC",
        bank_account="6222020000000000001",
        request_ref="app-1",
    )
    ref2 = bank.depository_bind(
        fund_account_no="01010000000001",
        holder_name="张三",
        bank_code="ICBC",
        bank_account="6222020000000000001",
        request_ref="app-1",
    )
    assert ref1 == ref2
    assert ref1.startswith("ICBC-")
