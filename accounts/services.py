"""Every write of the accounts stage (staff, branches, API clients at this point)."""

import socket

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from rest_framework.authtoken.models import Token

from .access import require_perm
from .audit import audited_save
from .errors import AccountsError, ApplicationError
from .models import Branch, StaffProfile, WorkerHeartbeat
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
