"""Helpers for the client data change tests: a client with opened accounts, through the real services."""

from stdnum.cn import ric

from accounts import ports
from accounts.gateways import CsdcSimulator, YmtRecord
from accounts.models import Branch, CsdcSimAccount
from accounts.services import accounts_open, client_register


def resident_id(seq: int, base: str = "11010519800101") -> str:
    """A valid 18-digit resident ID (region 110105, born 1980-01-01) with sequence `seq`."""
    body = f"{base}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def client_with_accounts(clerk, *, seq: int = 1, ymt: bool = True, unconfirmed: tuple[str, ...] = ()):
    """A client (张三) with fund, SH/SZ securities accounts and a depository binding. `ymt=False`: CSDC has no
    一码通 for them (only the fund account and the bank binding are opened locally)."""
    branch, _ = Branch.objects.get_or_create(code="T001", defaults={"name": "测试营业部"})
    client, _ = client_register(
        actor=clerk, kind="individual", name="张三", id_type="resident_id", id_number=resident_id(seq),
        branch=branch, phone="13800138000", address="北京市朝阳区建国路1号院2号楼",
    )  # fmt: skip
    csdc = CsdcSimulator()
    if ymt:
        record = csdc.securities_accounts_open(
            name=client.name, id_type=client.id_type, id_number=client.id_number, markets=["SH", "SZ"]
        )
        if unconfirmed:
            CsdcSimAccount.objects.filter(ymt_no=record.ymt_no).update(
                **{f"{m.lower()}_link": "unconfirmed" for m in unconfirmed}
            )
            record = csdc.ymt_query(id_type=client.id_type, id_number=client.id_number)
    else:
        record = YmtRecord(ymt_no="", name=client.name, id_type=client.id_type, sub_accounts=[])
    accounts_open(
        actor=clerk, client_id=client.pk, ymt=record, bank_code="ICBC", bank_account="6222020000000000001",
        bank_reference=f"ICBC-{seq}", reason="opened for a change test",
    )  # fmt: skip
    client.refresh_from_db()
    return client


def holders(client) -> set[tuple]:
    """(name, id type, id index) of every account of the client."""
    rows = set()
    for related in ("fund_accounts", "securities_accounts", "depository_bindings"):
        for account in getattr(client, related).all():
            rows.add((account.holder_name, account.holder_id_type, account.holder_id_index))
    return rows


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # accepted by content sniffing
PDF = b"%PDF-1.4\n%test\n"

# What each kind of change needs (accounts.services.change_documents_required)
KEY_DOCUMENTS = (ports.ID_FRONT, ports.ACCOUNT_APPLICATION_SIGNED)
CSDC_DOCUMENTS = (ports.ACCOUNT_APPLICATION_SIGNED,)
INSTITUTION_KEY_DOCUMENTS = (ports.BUSINESS_LICENCE, ports.LEGAL_REP_ID, ports.ACCOUNT_APPLICATION_SIGNED)


def uploads(*kinds: str) -> list[ports.DocumentUpload]:
    """Files a clerk hands in with a change request, one per kind."""
    return [ports.DocumentUpload(kind=k, filename=f"{k}.png" if k != ports.ACCOUNT_APPLICATION_SIGNED else f"{k}.pdf",
                                 content=PNG if k != ports.ACCOUNT_APPLICATION_SIGNED else PDF) for k in kinds]  # fmt: skip


def filed(clerk, client, *kinds: str) -> list[int]:
    """Documents already in the client file (uploaded on the client-file page), by id."""
    from archive.services import document_store

    return [document_store(actor=clerk, client=client, kind=u.kind, content=u.content, filename=u.filename).pk
            for u in uploads(*kinds)]  # fmt: skip


def institution_with_accounts(clerk, *, seq: int = 1, ymt: bool = True):
    """An institution (某某科技有限公司, legal representative 王五) with fund, SH/SZ and depository accounts."""
    from stdnum.cn import uscc

    branch, _ = Branch.objects.get_or_create(code="T001", defaults={"name": "测试营业部"})
    body = f"91110105MA01{seq:05d}"
    code = body + uscc.calc_check_digit(body)
    client, _ = client_register(
        actor=clerk, kind="institution", name="某某科技有限公司", id_type="uscc", id_number=code, branch=branch,
        phone="13800138000", address="北京市朝阳区建国路1号院2号楼", legal_rep_name="王五",
        legal_rep_id_type="resident_id", legal_rep_id_number=resident_id(500 + seq),
    )  # fmt: skip
    csdc = CsdcSimulator()
    if ymt:
        record = csdc.securities_accounts_open(
            name=client.name, id_type=client.id_type, id_number=client.id_number, markets=["SH", "SZ"]
        )
    else:
        record = YmtRecord(ymt_no="", name=client.name, id_type=client.id_type, sub_accounts=[])
    accounts_open(
        actor=clerk, client_id=client.pk, ymt=record, bank_code="ICBC", bank_account="6222020000000000009",
        bank_reference=f"ICBC-I{seq}", reason="opened for a change test",
    )  # fmt: skip
    client.refresh_from_db()
    return client
