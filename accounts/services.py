"""Every write of the accounts stage (staff, branches, API clients at this point)."""

import socket

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from rest_framework.authtoken.models import Token

from .access import require_perm
from .audit import audited_save
from .errors import AccountsError, ApplicationError
from .models import (
    Branch,
    Client,
    ClientKind,
    DepositoryBinding,
    FundAccount,
    SecuritiesAccount,
    StaffProfile,
    WorkerHeartbeat,
)
from .roles import Role

User = get_user_model()


@transaction.atomic
def branch_create(*, actor, code: str, name: str, address: str = "") -> Branch:
    require_perm(actor, "accounts.add_branch")
    if Branch.objects.filter(code=code).exists():
        raise ApplicationError(AccountsError.BRANCH_CODE_TAKEN, fields={"code": [code]}, code=code)
    branch = Branch(code=code, name=name, address=address)
    try:
        with transaction.atomic():
            audited_save(branch, actor=actor, reason="branch created")
    except IntegrityError as exc:  # a concurrent create with the same code
        raise ApplicationError(AccountsError.BRANCH_CODE_TAKEN, fields={"code": [code]}, code=code) from exc
    return branch


@transaction.atomic
def branch_update(*, actor, branch_id: int, name: str | None = None, address: str | None = None, reason: str) -> Branch:
    require_perm(actor, "accounts.change_branch")
    branch = Branch.objects.select_for_update().get(pk=branch_id)
    if name is not None:
        branch.name = name
    if address is not None:
        branch.address = address
    audited_save(branch, actor=actor, reason=reason)
    return branch


def _role_or_error(role: str) -> Role:
    try:
        return Role(role)
    except ValueError as exc:
        raise ApplicationError(AccountsError.UNKNOWN_ROLE, fields={"role": [role]}, role=role) from exc


@transaction.atomic
def staff_create(
    *,
    actor,
    username: str,
    password: str,
    full_name: str,
    employee_no: str,
    roles: list[str],
    branch: Branch | None = None,
    is_formal_employee: bool = True,
    is_marketing_role: bool = False,
    qualification_no: str = "",
    witness_trained_on=None,
) -> StaffProfile:
    """Create a staff login with its profile and roles. `actor=None` only from trusted commands."""
    if actor is not None:
        require_perm(actor, "accounts.add_staffprofile")
    groups = [Group.objects.get(name=_role_or_error(r).value) for r in roles]
    if User.objects.filter(username=username).exists():
        raise ApplicationError(AccountsError.USERNAME_TAKEN, fields={"username": [username]}, username=username)
    user = User(username=username, is_staff=Role.ADMIN in roles, is_superuser=False)
    user.set_password(password)
    user.save()
    user.groups.set(groups)
    profile = StaffProfile(
        user=user,
        branch=branch,
        full_name=full_name,
        employee_no=employee_no,
        is_formal_employee=is_formal_employee,
        is_marketing_role=is_marketing_role,
        qualification_no=qualification_no,
        witness_trained_on=witness_trained_on,
    )
    audited_save(profile, actor=actor, reason="staff created")
    return profile


@transaction.atomic
def api_client_create(*, username: str, role: str) -> tuple[object, str]:
    """An internal system's login: a user with one role, no password, and an API token."""
    group = Group.objects.get(name=_role_or_error(role).value)
    if User.objects.filter(username=username).exists():
        raise ApplicationError(AccountsError.USERNAME_TAKEN, fields={"username": [username]}, username=username)
    user = User(username=username)
    user.set_unusable_password()
    user.save()
    user.groups.set([group])
    token = Token.objects.create(user=user)
    return user, token.key


def worker_heartbeat_record(*, source: str) -> WorkerHeartbeat:
    return WorkerHeartbeat.objects.create(hostname=socket.gethostname(), source=source[:40])


def _client_no_next() -> str:
    import secrets

    from django.utils import timezone

    # Date + 8 random digits; the unique constraint catches the rare clash.
    return f"C{timezone.localdate():%y%m%d}{secrets.randbelow(10**8):08d}"


@transaction.atomic
def client_register(
    *,
    actor,
    kind: str,
    name: str,
    id_type: str,
    id_number: str,
    branch: Branch,
    id_valid_until=None,
    phone: str = "",
    email: str = "",
    address: str = "",
    **facts,
) -> tuple[Client, bool]:
    """Find the client with this identity, or create one. Returns (client, created).

    One client per (ID type, ID number): a second application for the same person finds them.
    """
    from django.utils import timezone

    from .crypto import blind_index
    from .identity import IdType, id_number_check, resident_id_check

    require_perm(actor, "accounts.add_client")
    today = timezone.localdate()
    number = id_number_check(id_type, id_number, today=today)
    if id_valid_until is not None and id_valid_until < today:
        raise ApplicationError(AccountsError.ID_EXPIRED, fields={"id_valid_until": [str(id_valid_until)]})
    index = blind_index(number)
    existing = Client.objects.select_for_update().filter(id_type=id_type, id_number_index=index).first()
    if existing is not None:
        return existing, False
    if kind == ClientKind.INDIVIDUAL and id_type in (IdType.RESIDENT_ID, IdType.HMT_RESIDENCE):
        id_facts = resident_id_check(number, today=today)
        facts.setdefault("birth_date", id_facts.birth_date)
        facts.setdefault("gender", id_facts.gender)
    phone_norm = phone_normalise(phone) if phone else ""
    client = Client(
        client_no=_client_no_next(),
        kind=kind,
        name=name.strip(),
        id_type=id_type,
        id_number=number,
        id_number_index=index,
        id_valid_until=id_valid_until,
        branch=branch,
        phone=phone_norm,
        phone_index=blind_index(phone_norm) if phone_norm else "",
        email=email,
        address=address,
        **facts,
    )
    try:
        with transaction.atomic():
            audited_save(client, actor=actor, reason="client registered")
    except IntegrityError:  # the same person registered concurrently: use theirs
        return Client.objects.get(id_type=id_type, id_number_index=index), False
    return client, True


def phone_normalise(phone: str, *, field: str = "phone") -> str:
    """A reachable mobile or fixed number, stored in E.164 (`+8613812345678`)."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(phone, "CN")
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise ApplicationError(AccountsError.PHONE_INVALID, fields={field: [phone]})
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def client_pii_reveal(*, actor, client_id: int, field: str, ip: str | None = None, reason: str = "") -> str:
    """Show one piece of a client's personal data in clear, and log who saw it (SPEC §8).

    A refused attempt is logged too (security log and a PiiReveal row with granted=False); it is written
    in its own transaction so raising the refusal does not roll the record back.
    """
    import logging

    from .models import PiiField, PiiReveal

    if field not in PiiField.values:
        raise ApplicationError(AccountsError.PII_FIELD_UNKNOWN, fields={"field": [field]}, field=field)
    client = Client.objects.filter(pk=client_id).first()
    permitted = actor is not None and actor.is_authenticated and actor.has_perm("accounts.reveal_personal_data")
    if not permitted:
        logging.getLogger("security").warning(
            "pii reveal refused: user=%s client=%s field=%s ip=%s", getattr(actor, "pk", None), client_id, field, ip
        )
        if client is not None and actor is not None and actor.is_authenticated:
            with transaction.atomic():
                PiiReveal.objects.create(
                    actor=actor, client=client, field=field, ip=ip or None, reason=reason[:200], granted=False
                )
        raise ApplicationError(AccountsError.PERMISSION_DENIED, permission="accounts.reveal_personal_data")
    if client is None:
        raise ApplicationError(AccountsError.CLIENT_NOT_FOUND, client_id=client_id)
    with transaction.atomic():
        PiiReveal.objects.create(
            actor=actor, client=client, field=field, ip=ip or None, reason=reason[:200], granted=True
        )
    return getattr(client, field) or ""


def _fund_account_no_next(client: Client) -> str:
    import secrets

    return f"{client.branch.code[:4]:0>4}{secrets.randbelow(10**10):010d}"


@transaction.atomic
def accounts_open(
    *,
    actor,
    client_id: int,
    ymt,  # gateways.YmtRecord returned by CSDC
    bank_code: str,
    bank_account: str,
    bank_reference: str,
    reason: str,
) -> FundAccount:
    """Create the fund account, the SH/SZ securities accounts and the depository binding, all pending
    activation, in one transaction (art. 10). Every account carries the client's name and ID (art. 9)."""
    require_perm(actor, "accounts.add_fundaccount")
    client = Client.objects.select_for_update().get(pk=client_id)
    if client.fund_accounts.exists():
        raise ApplicationError(AccountsError.ACCOUNTS_ALREADY_OPEN, client_no=client.client_no)
    holder = {
        "holder_name": client.name,
        "holder_id_type": client.id_type,
        "holder_id_index": client.id_number_index,
    }
    fund = FundAccount(client=client, account_no=_fund_account_no_next(client), **holder)
    audited_save(fund, actor=actor, reason=reason)
    for sub in ymt.sub_accounts:
        account = SecuritiesAccount(
            client=client,
            fund_account=fund,
            market=sub.market,
            account_no=sub.account_no,
            ymt_no=ymt.ymt_no,
            link_status=sub.link_status,
            **holder,
        )
        audited_save(account, actor=actor, reason=reason)
    binding = DepositoryBinding(
        client=client,
        fund_account=fund,
        bank_code=bank_code,
        bank_account=bank_account,
        bank_reference=bank_reference,
        **holder,
    )
    audited_save(binding, actor=actor, reason=reason)
    accounts_consistency_check(client)
    return fund


def accounts_consistency_check(client: Client) -> None:
    """Art. 9: the same client's accounts carry the same name, ID type and ID number. Raise if not."""
    wrong = []
    for model in (FundAccount, SecuritiesAccount, DepositoryBinding):
        for account in model.objects.filter(client=client):
            if (account.holder_name, account.holder_id_type, account.holder_id_index) != (
                client.name,
                client.id_type,
                client.id_number_index,
            ):
                wrong.append(f"{model.__name__}:{account.pk}")
    if wrong:
        raise ApplicationError(AccountsError.ACCOUNTS_INCONSISTENT, fields={"accounts": wrong})


@transaction.atomic
def accounts_activate(*, actor, client_id: int, reason: str) -> int:
    """Activate every account of the client that is pending activation (after a passed callback, art. 11).
    Idempotent: accounts already active are left alone. Returns how many were activated."""
    from django.utils import timezone

    require_perm(actor, "accounts.activate_accounts")
    client = Client.objects.select_for_update().get(pk=client_id)
    accounts_consistency_check(client)
    now = timezone.now()
    activated = 0
    for model in (FundAccount, SecuritiesAccount, DepositoryBinding):
        for account in (
            model.objects.select_for_update().filter(client=client, status="pending_activation").order_by("pk")
        ):
            account.status = "active"
            account.activated_at = now
            audited_save(account, actor=actor, reason=reason)
            activated += 1
    if client.status != "active":
        client.status = "active"
        audited_save(client, actor=actor, reason=reason)
    return activated
