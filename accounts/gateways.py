"""Gateways to outside systems: CSDC (中国结算), the depository bank and the citizen identity system
(公安部) — in accounts because opening (onboarding) and key-data changes (accounts) both use them.

Each is an interface with a local simulator (SPEC §9). The simulator keeps its state in the database,
is deterministic, and obeys injected faults (accounts.simulators.GatewayFault): slow answers, transient
errors and permanent refusals. Call gateways outside database transactions; record what they return.
"""

import hashlib
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from .crypto import blind_index
from .simulators import BankSimBinding, CsdcSimAccount, GatewayFault, IdentitySimRecord


class GatewayError(Exception):
    """An outside system did not do what was asked."""

    transient = False

    def __init__(self, system: str, operation: str, message: str = "") -> None:
        self.system = system
        self.operation = operation
        self.message = message or ("temporarily unavailable" if self.transient else "refused")
        super().__init__(f"{system}.{operation}: {self.message}")


class GatewayTransientError(GatewayError):
    """Timed out or unavailable: safe to retry the same request later."""

    transient = True


class GatewayRefused(GatewayError):
    """A permanent refusal with the outside system's reason: retrying will not help."""


def fault_check(system: str, operation: str, key: str = "") -> None:
    """Apply any injected fault for this call (simulators only)."""
    faults = list(
        GatewayFault.objects.filter(system=system, operation__in=[operation, "*"], key__in=[key, ""]).order_by("pk")
    )
    for fault in faults:
        if fault.mode == GatewayFault.Mode.SLOW:
            time.sleep(fault.delay_ms / 1000)
        elif fault.mode == GatewayFault.Mode.PERMANENT:
            raise GatewayRefused(system, operation, fault.message)
        elif fault.mode == GatewayFault.Mode.TRANSIENT:
            with transaction.atomic():
                locked = GatewayFault.objects.select_for_update().filter(pk=fault.pk).first()
                if locked is None or locked.remaining == 0:
                    continue
                if locked.remaining is not None:
                    locked.remaining -= 1
                    locked.save(update_fields=["remaining"])
            raise GatewayTransientError(system, operation, fault.message)


def _digits(seed: str, n: int) -> str:
    return str(int(hashlib.sha256(seed.encode()).hexdigest(), 16))[:n].rjust(n, "0")


# --- CSDC -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubAccount:
    market: str  # "SH" / "SZ"
    account_no: str
    link_status: str  # "confirmed" / "unconfirmed"


@dataclass(frozen=True)
class YmtRecord:
    ymt_no: str
    name: str
    id_type: str
    sub_accounts: list[SubAccount] = field(default_factory=list)

    def sub_account(self, market: str) -> SubAccount | None:
        return next((s for s in self.sub_accounts if s.market == market), None)


class CsdcGateway(Protocol):
    def ymt_query(self, *, id_type: str, id_number: str) -> YmtRecord | None: ...

    def securities_accounts_open(self, *, name: str, id_type: str, id_number: str, markets: list[str]) -> YmtRecord: ...

    def link_confirm(self, *, ymt_no: str, market: str) -> YmtRecord: ...

    def key_info_update(
        self, *, ymt_no: str, name: str, id_type: str, id_number: str, request_ref: str
    ) -> YmtRecord: ...

    def ordinary_info_update(self, *, ymt_no: str, fields: dict, request_ref: str) -> YmtRecord: ...


class CsdcSimulator:
    system = "csdc"

    @staticmethod
    def _record(acc: CsdcSimAccount) -> YmtRecord:
        subs = []
        if acc.sh_account:
            subs.append(SubAccount("SH", acc.sh_account, acc.sh_link))
        if acc.sz_account:
            subs.append(SubAccount("SZ", acc.sz_account, acc.sz_link))
        return YmtRecord(ymt_no=acc.ymt_no, name=acc.name, id_type=acc.id_type, sub_accounts=subs)

    def ymt_query(self, *, id_type: str, id_number: str) -> YmtRecord | None:
        index = blind_index(id_number)
        fault_check(self.system, "ymt_query", index)
        acc = CsdcSimAccount.objects.filter(id_type=id_type, id_index=index).first()
        return self._record(acc) if acc else None

    def securities_accounts_open(self, *, name: str, id_type: str, id_number: str, markets: list[str]) -> YmtRecord:
        """Create or find the unified account and open the missing sub-accounts (idempotent)."""
        index = blind_index(id_number)
        fault_check(self.system, "securities_accounts_open", index)
        with transaction.atomic():
            acc, _ = CsdcSimAccount.objects.select_for_update().get_or_create(
                id_type=id_type, id_index=index, defaults={"ymt_no": "1" + _digits(index, 11), "name": name}
            )
            if "SH" in markets and not acc.sh_account:
                acc.sh_account = "A" + _digits("SH" + index, 9)
            if "SZ" in markets and not acc.sz_account:
                acc.sz_account = "0" + _digits("SZ" + index, 9)
            acc.save()
        return self._record(acc)

    def link_confirm(self, *, ymt_no: str, market: str) -> YmtRecord:
        fault_check(self.system, "link_confirm", ymt_no)
        with transaction.atomic():
            acc = CsdcSimAccount.objects.select_for_update().filter(ymt_no=ymt_no).first()
            if acc is None:
                raise GatewayRefused(self.system, "link_confirm", "一码通账户不存在 / unified account not found")
            setattr(acc, f"{market.lower()}_link", "confirmed")
            acc.save()
        return self._record(acc)

    def key_info_update(self, *, ymt_no: str, name: str, id_type: str, id_number: str, request_ref: str) -> YmtRecord:
        """Change name / ID on the unified account; the same request_ref applied twice changes nothing more."""
        fault_check(self.system, "key_info_update", ymt_no)
        with transaction.atomic():
            acc = CsdcSimAccount.objects.select_for_update().filter(ymt_no=ymt_no).first()
            if acc is None:
                raise GatewayRefused(self.system, "key_info_update", "一码通账户不存在 / unified account not found")
            if request_ref in acc.applied_requests:
                return self._record(acc)
            unconfirmed = [m for m, s in (("SH", acc.sh_link), ("SZ", acc.sz_link)) if s != "confirmed"]
            if unconfirmed:
                raise GatewayRefused(
                    self.system, "key_info_update", f"关联关系未确认 / link unconfirmed: {','.join(unconfirmed)}"
                )
            acc.name, acc.id_type, acc.id_index = name, id_type, blind_index(id_number)
            acc.applied_requests = [*acc.applied_requests, request_ref]
            acc.save()
        return self._record(acc)

    def ordinary_info_update(self, *, ymt_no: str, fields: dict, request_ref: str) -> YmtRecord:
        """Contact data (address, phone …) on the unified account; idempotent by request_ref like the above.
        The simulator keeps only the request reference: its accounts hold no contact data."""
        fault_check(self.system, "ordinary_info_update", ymt_no)
        with transaction.atomic():
            acc = CsdcSimAccount.objects.select_for_update().filter(ymt_no=ymt_no).first()
            if acc is None:
                raise GatewayRefused(
                    self.system, "ordinary_info_update", "一码通账户不存在 / unified account not found"
                )
            if request_ref not in acc.applied_requests:
                acc.applied_requests = [*acc.applied_requests, request_ref]
                acc.save()
        return self._record(acc)


# --- Depository bank --------------------------------------------------------------------------------


class BankGateway(Protocol):
    def depository_bind(
        self, *, fund_account_no: str, holder_name: str, bank_code: str, bank_account: str, request_ref: str
    ) -> str: ...


class BankSimulator:
    system = "bank"

    def depository_bind(
        self, *, fund_account_no: str, holder_name: str, bank_code: str, bank_account: str, request_ref: str
    ) -> str:
        """Bind a bank account to the fund account; returns the bank's reference (idempotent by request_ref)."""
        fault_check(self.system, "depository_bind", fund_account_no)
        binding, _ = BankSimBinding.objects.get_or_create(
            request_ref=request_ref,
            defaults={
                "fund_account_no": fund_account_no,
                "bank_code": bank_code,
                "bank_reference": f"{bank_code}-{_digits(request_ref, 12)}",
            },
        )
        return binding.bank_reference


# --- Citizen identity system (公安部公民身份信息核查) ------------------------------------------------


class IdentityResult:
    MATCH = "match"
    NAME_MISMATCH = "name_mismatch"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class IdentityAnswer:
    result: str  # IdentityResult
    photo_similarity: Decimal | None
    reference: str


class IdentityGateway(Protocol):
    def citizen_verify(self, *, name: str, id_number: str, photo: bytes | None = None) -> IdentityAnswer: ...


class IdentitySimulator:
    system = "identity"

    def citizen_verify(self, *, name: str, id_number: str, photo: bytes | None = None) -> IdentityAnswer:
        index = blind_index(id_number)
        fault_check(self.system, "citizen_verify", index)
        reference = "GA" + hashlib.sha256(f"{index}{name}".encode()).hexdigest()[:16].upper()
        record = IdentitySimRecord.objects.filter(id_index=index).first()
        if record is None:
            return IdentityAnswer(IdentityResult.MATCH, Decimal("0.950") if photo else None, reference)
        if record.not_found:
            return IdentityAnswer(IdentityResult.NOT_FOUND, None, reference)
        if record.registered_name and record.registered_name != name.strip():
            return IdentityAnswer(IdentityResult.NAME_MISMATCH, None, reference)
        return IdentityAnswer(IdentityResult.MATCH, record.photo_similarity if photo else None, reference)


def identity_gateway() -> IdentityGateway:
    return import_string(getattr(settings, "IDENTITY_GATEWAY", "accounts.gateways.IdentitySimulator"))()


def csdc_gateway() -> CsdcGateway:
    return import_string(getattr(settings, "CSDC_GATEWAY", "accounts.gateways.CsdcSimulator"))()


def bank_gateway() -> BankGateway:
    return import_string(getattr(settings, "BANK_GATEWAY", "accounts.gateways.BankSimulator"))()
