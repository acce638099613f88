"""Every write of the accounts stage (staff, branches, API clients at this point)."""

import socket

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from rest_framework.authtoken.models import Token

from .access import require_perm
from .audit import audited_save
from .errors import AccountsError, ApplicationError
from .models import Branch, Client, ClientKind, StaffProfile, WorkerHeartbeat
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
