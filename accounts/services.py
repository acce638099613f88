"""Every write of the accounts stage (staff, branches, API clients at this point)."""

import datetime
import socket
import typing

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from rest_framework.authtoken.models import Token

from .access import require_different_person, require_perm
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
    existing = Client.objects.select_for_update(no_key=True).filter(id_type=id_type, id_number_index=index).first()
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
    for attempt in range(5):
        try:
            with transaction.atomic():
                audited_save(client, actor=actor, reason="client registered")
            return client, True
        except IntegrityError:
            theirs = Client.objects.filter(id_type=id_type, id_number_index=index).first()
            if theirs is not None:  # the same person registered concurrently: use theirs
                return theirs, False
            if attempt == 4:
                raise
            client.client_no = _client_no_next()  # a clash of the random client number: draw another
    raise AssertionError("unreachable")


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
    client = Client.objects.select_for_update(no_key=True).get(pk=client_id)
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
    client = Client.objects.select_for_update(no_key=True).get(pk=client_id)
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


# --- Client data changes (SPEC §4; docs/decisions/0009-key-data-change.md) ----------------------------

CHANGE_ORDINARY_FIELDS: dict[str, str] = {
    "phone": "手机号码",
    "email": "电子邮箱",
    "address": "联系地址",
    "occupation": "职业",
    "education": "学历",
    "income_band": "年收入",
    # Not key data (SPEC §4 lists it nowhere): a renewed ID keeps its number. It goes with the ID document
    # (a new ID scan is required) and, being identity data, always syncs to CSDC (ADR 0010).
    "id_valid_until": "证件有效期至",
}
# Key information (art. 12): never edited directly, only through a reviewed change request.
CHANGE_KEY_FIELDS: dict[str, str] = {"name": "姓名/名称", "id_type": "证件类型", "id_number": "证件号码"}
CHANGE_INSTITUTION_KEY_FIELDS: dict[str, str] = {
    "legal_rep_name": "法定代表人",
    "legal_rep_id_type": "法定代表人证件类型",
    "legal_rep_id_number": "法定代表人证件号码",
}
KEY_FIELDS = {**CHANGE_KEY_FIELDS, **CHANGE_INSTITUTION_KEY_FIELDS}
CHANGE_FIELD_LABELS = {**KEY_FIELDS, **CHANGE_ORDINARY_FIELDS}
PERSONAL_FIELDS = {"id_number", "phone", "address", "legal_rep_id_number"}
# Accepted for 证件有效期 "long-term" (长期); stored as an empty value (the client's id_valid_until is NULL).
ID_VALIDITY_LONG_TERM = ("长期", "长期有效", "long_term", "long-term")


def _change_event(req, *, actor, action: str, from_status: str = "", reason: str = "", **payload) -> None:
    from .models import ChangeEvent

    ChangeEvent.objects.create(
        request=req,
        action=action,
        from_status=from_status or req.status,
        to_status=req.status,
        actor=actor if (actor is not None and actor.is_authenticated) else None,
        reason=reason,
        payload=payload,
    )


def _change_locked(request_id: int):
    from .errors import ChangeError
    from .models import ChangeRequest

    req = ChangeRequest.objects.select_for_update().filter(pk=request_id).first()
    if req is None:
        raise ApplicationError(ChangeError.NOT_FOUND, request_id=request_id)
    return req


def _change_move(req, to: str, *, actor, action: str, reason: str = "", **payload) -> None:
    before = req.status
    req.status = to
    audited_save(req, actor=actor, reason=reason or action)
    _change_event(req, actor=actor, action=action, from_status=before, reason=reason, **payload)


def _change_current(client: Client, field: str) -> str:
    """A client's current value of a changeable field, as the request stores it (dates in ISO form)."""
    value = getattr(client, field)
    if field == "id_valid_until":
        return value.isoformat() if value else ""
    return value or ""


def _id_validity_clean(changes: dict, *, today) -> str:
    """证件有效期 as at opening: a date not yet past, or long-term (长期, stored empty). If the clerk also
    gives the start of validity (`id_valid_from`, checked and not stored), it must not be in the future and
    the end must come after it."""

    from .errors import ChangeError

    def parse(field: str, value) -> datetime.date:
        if isinstance(value, datetime.date):
            return value
        try:
            return datetime.date.fromisoformat(str(value).strip())
        except ValueError:
            raise ApplicationError(
                ChangeError.ID_VALIDITY_INVALID, fields={field: [str(value)]},
                reason_zh="日期格式应为 YYYY-MM-DD，长期有效填“长期”", reason_en="use YYYY-MM-DD, or 长期 for long-term",
            ) from None  # fmt: skip

    raw = changes.get("id_valid_until")
    until = None
    if raw is not None and str(raw).strip() not in ("", *ID_VALIDITY_LONG_TERM):
        until = parse("id_valid_until", raw)
        if until < today:
            raise ApplicationError(AccountsError.ID_EXPIRED, fields={"id_valid_until": [until.isoformat()]})
    start = changes.get("id_valid_from")
    if start not in (None, ""):
        start = parse("id_valid_from", start)
        if start > today:
            raise ApplicationError(
                ChangeError.ID_VALIDITY_INVALID, fields={"id_valid_from": [start.isoformat()]},
                reason_zh="有效期起始日不能晚于今天", reason_en="the start of validity is in the future",
            )  # fmt: skip
        if until is not None and until <= start:
            raise ApplicationError(
                ChangeError.ID_VALIDITY_INVALID, fields={"id_valid_until": [until.isoformat()]},
                reason_zh="有效期截止日须晚于起始日", reason_en="the end of validity must come after its start",
            )  # fmt: skip
    return until.isoformat() if until else ""


def _change_values_clean(client: Client, changes: dict) -> dict:
    """Validate and normalise the requested values as at opening; keep only what really changes."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email
    from django.utils import timezone

    from .errors import ChangeError
    from .identity import id_number_check
    from .models import IdTypeChoices

    allowed = {**CHANGE_ORDINARY_FIELDS, **CHANGE_KEY_FIELDS}
    if client.kind == ClientKind.INSTITUTION:
        allowed |= CHANGE_INSTITUTION_KEY_FIELDS
    today = timezone.localdate()
    changes = dict(changes)
    if "id_valid_from" in changes and "id_valid_until" not in changes:
        raise ApplicationError(ChangeError.VALUE_REQUIRED, fields={"id_valid_until": ["required"]},
                               field=CHANGE_ORDINARY_FIELDS["id_valid_until"])  # fmt: skip
    if "id_valid_until" in changes:
        changes["id_valid_until"] = _id_validity_clean(changes, today=today)
    changes.pop("id_valid_from", None)  # checked only, not kept
    clean: dict = {}
    for field, value in changes.items():
        if field not in allowed:
            raise ApplicationError(ChangeError.FIELD_UNKNOWN, fields={field: ["unknown"]}, field=field)
        clean[field] = ("" if value is None else str(value)).strip()
    for field in ("name", "id_type", "id_number"):
        if field in clean and not clean[field]:
            raise ApplicationError(ChangeError.VALUE_REQUIRED, fields={field: ["required"]}, field=field)
    for field in ("id_type", "legal_rep_id_type"):
        if clean.get(field) and clean[field] not in IdTypeChoices.values:
            raise ApplicationError(ChangeError.FIELD_UNKNOWN, fields={field: [clean[field]]}, field=clean[field])
    if "id_type" in clean or "id_number" in clean:
        clean["id_number"] = id_number_check(
            clean.get("id_type", client.id_type), clean.get("id_number", client.id_number), today=today
        )
    if clean.get("legal_rep_id_number"):
        clean["legal_rep_id_number"] = id_number_check(
            clean.get("legal_rep_id_type") or client.legal_rep_id_type or "resident_id",
            clean["legal_rep_id_number"],
            today=today,
            field="legal_rep_id_number",
        )
    if clean.get("phone"):
        clean["phone"] = phone_normalise(clean["phone"])
    if clean.get("email"):
        try:
            validate_email(clean["email"])
        except ValidationError as exc:
            raise ApplicationError(ChangeError.EMAIL_INVALID, fields={"email": [clean["email"]]}) from exc
    changed = {f: v for f, v in clean.items() if v != _change_current(client, f)}
    if not changed:
        raise ApplicationError(ChangeError.NO_CHANGE)
    return changed


def _change_identity_verify(client: Client, new: dict, *, key: bool) -> tuple[str, str]:
    """Re-verify the client's identity with the citizen system (公安部): mandatory for key data (art. 12).
    Only resident IDs can be checked there; other documents are checked at the counter ("not_applicable")."""
    from .errors import ChangeError
    from .gateways import GatewayError, GatewayTransientError, IdentityResult, identity_gateway

    if client.kind == ClientKind.INSTITUTION:
        name = new.get("legal_rep_name", client.legal_rep_name)
        number = new.get("legal_rep_id_number", client.legal_rep_id_number)
        id_type = new.get("legal_rep_id_type", client.legal_rep_id_type)
    else:
        name, number = new.get("name", client.name), new.get("id_number", client.id_number)
        id_type = new.get("id_type", client.id_type)
    if id_type not in ("resident_id", "hmt_residence") or not number:
        return "not_applicable", ""
    try:
        answer = identity_gateway().citizen_verify(name=name, id_number=number)
    except GatewayTransientError as exc:
        if key:
            raise ApplicationError(ChangeError.IDENTITY_UNAVAILABLE) from exc
        return "unavailable", ""
    except GatewayError as exc:
        raise ApplicationError(ChangeError.IDENTITY_NOT_VERIFIED, result=exc.message) from exc
    if answer.result != IdentityResult.MATCH:
        raise ApplicationError(
            ChangeError.IDENTITY_NOT_VERIFIED, fields={"identity": [answer.result]}, result=answer.result
        )
    return answer.result, answer.reference


def change_documents_required(client: Client, fields: typing.Iterable[str], targets: typing.Iterable[str]):
    """The supporting documents a change needs: [(label, acceptable client-file kinds)] (ADR 0010).

    Individuals: a new ID scan (front: name and number) for name/ID type/ID number; the front or the back
    (where a resident ID shows its validity) for the validity alone. Institutions: the new business licence
    for name/credit code/validity, and for the legal representative the licence naming them plus their ID.
    Any change sent to CSDC: the securities-account application form signed by the client (6.1.2)."""
    from . import ports
    from .models import SyncTarget

    fields = set(fields)
    needed: list[tuple[str, frozenset[str]]] = []
    if client.kind == ClientKind.INSTITUTION:
        if fields & {"name", "id_type", "id_number", "id_valid_until", *CHANGE_INSTITUTION_KEY_FIELDS}:
            needed.append(("新营业执照影像", frozenset({ports.BUSINESS_LICENCE})))
        if fields & set(CHANGE_INSTITUTION_KEY_FIELDS):
            needed.append(("新法定代表人身份证件影像", frozenset({ports.LEGAL_REP_ID})))
    elif fields & {"name", "id_type", "id_number"}:
        needed.append(("新证件影像（正面）", frozenset({ports.ID_FRONT})))
    elif "id_valid_until" in fields:
        needed.append(("新证件影像", frozenset({ports.ID_FRONT, ports.ID_BACK})))
    if SyncTarget.CSDC in set(targets):
        needed.append(("客户签字的《证券账户业务申请表》", frozenset({ports.ACCOUNT_APPLICATION_SIGNED})))
    return needed


_DOCUMENT_LABELS_EN = {
    "新营业执照影像": "new business licence scan",
    "新法定代表人身份证件影像": "new legal representative's ID scan",
    "新证件影像（正面）": "new ID scan (front)",
    "新证件影像": "new ID scan",
    "客户签字的《证券账户业务申请表》": "securities-account application form signed by the client",
}


def _change_documents_check(client: Client, fields, targets, documents: list[int], uploads) -> None:
    """Every id names a document of this client of an accepted kind; every file is of an accepted kind;
    together they hold what the change needs. Raises 400 on `documents` otherwise (nothing is stored)."""
    from . import ports
    from .errors import ChangeError

    kinds = ports.document_kinds_for(client.pk, documents) if documents else {}
    bad = [d for d in documents if kinds.get(d) not in ports.CHANGE_DOCUMENT_KINDS]
    bad_uploads = [u.filename for u in uploads if u.kind not in ports.CHANGE_DOCUMENT_KINDS]
    if bad or bad_uploads:
        shown = "、".join([*(str(d) for d in bad), *bad_uploads])
        raise ApplicationError(ChangeError.DOCUMENT_INVALID, fields={"documents": [*bad, *bad_uploads]}, ids=shown)
    present = set(kinds.values()) | {u.kind for u in uploads}
    missing = [
        label for label, accepted in change_documents_required(client, fields, targets) if not accepted & present
    ]
    if missing:
        raise ApplicationError(
            ChangeError.DOCUMENTS_REQUIRED, fields={"documents": missing},
            missing_zh="、".join(missing), missing_en="; ".join(_DOCUMENT_LABELS_EN.get(m, m) for m in missing),
        )  # fmt: skip


def change_request_create(
    *,
    actor,
    client_id: int,
    client_version: int,
    changes: dict,
    sync_targets: list[str] | None = None,
    documents: list[int] | None = None,
    uploads: list | None = None,
    note: str = "",
):
    """A clerk enters a change of client data (§4): validated as at opening, identity re-verified, old and
    new values recorded (encrypted), on the version of the client the clerk saw. Key data and the ID validity
    always sync to CSDC (the accounts there carry the same name and ID, art. 9).

    Supporting documents are client-file document ids (`documents`) and/or files handed in now (`uploads`,
    accounts.ports.DocumentUpload), stored in the client file in the same transaction; the request records
    all their ids. A refused request stores no file."""
    import json

    from . import ports
    from .crypto import blind_index
    from .errors import ChangeError
    from .models import OPEN_CHANGE_STATUSES, ChangeKind, ChangeRequest, SyncTarget

    require_perm(actor, "accounts.add_changerequest")
    client = Client.objects.filter(pk=client_id).first()
    if client is None:
        raise ApplicationError(AccountsError.CLIENT_NOT_FOUND, client_id=client_id)
    if client.version != client_version:
        raise ApplicationError(ChangeError.CLIENT_CHANGED, current=client.version, seen=client_version)
    new = _change_values_clean(client, changes)
    kind = ChangeKind.KEY if any(f in KEY_FIELDS for f in new) else ChangeKind.ORDINARY
    targets = set(sync_targets or [])
    for target in targets:
        if target not in SyncTarget.values:
            raise ApplicationError(ChangeError.SYNC_TARGET_UNKNOWN, fields={"sync_targets": [target]}, target=target)
    if kind == ChangeKind.KEY or "id_valid_until" in new:
        targets.add(SyncTarget.CSDC)
    documents = list(dict.fromkeys(int(d) for d in (documents or [])))
    uploads = list(uploads or [])
    _change_documents_check(client, new, targets, documents, uploads)
    identity_result, identity_reference = _change_identity_verify(client, new, key=kind == ChangeKind.KEY)
    with transaction.atomic():
        client = Client.objects.select_for_update(no_key=True).get(pk=client_id)
        if client.version != client_version:
            raise ApplicationError(ChangeError.CLIENT_CHANGED, current=client.version, seen=client_version)
        unfinished = client.change_requests.filter(status__in=OPEN_CHANGE_STATUSES).first()
        if unfinished is not None:
            raise ApplicationError(ChangeError.OPEN_REQUEST_EXISTS, request_id=unfinished.pk)
        if "id_number" in new or "id_type" in new:
            other = (
                Client.objects.filter(
                    id_type=new.get("id_type", client.id_type), id_number_index=blind_index(new["id_number"])
                )
                .exclude(pk=client.pk)
                .first()
            )
            if other is not None:
                raise ApplicationError(ChangeError.ID_TAKEN, fields={"id_number": ["taken"]}, client_no=other.client_no)
        old = {f: _change_current(client, f) for f in new}
        # Filed last, after every check: a refused request leaves nothing in the client file.
        for upload in uploads:
            documents.append(ports.document_ingest(actor=actor, client=client, upload=upload))
        req = ChangeRequest(
            client=client,
            kind=kind,
            fields_changed=list(new),
            old_values_encrypted=json.dumps(old, ensure_ascii=False),
            new_values_encrypted=json.dumps(new, ensure_ascii=False),
            sync_targets=sorted(targets),
            documents=documents,
            identity_result=identity_result,
            identity_reference=identity_reference,
            client_version=client.version,
            note=note.strip(),
            created_by=actor,
        )
        audited_save(req, actor=actor, reason="change request submitted")
        _change_event(req, actor=actor, action="submitted", from_status="", fields=list(new),
                      sync_targets=req.sync_targets, identity_result=identity_result, documents=documents)  # fmt: skip
    return req


def _change_apply(req, client: Client, *, actor, to: str, reason: str = "") -> None:
    """Apply the new values to the client and, for key data, to every account's holder fields, in the
    caller's transaction (both rows locked). Art. 9 consistency is checked before commit."""
    from django.utils import timezone

    from .crypto import blind_index
    from .errors import ChangeError
    from .identity import resident_id_check

    now = timezone.now()
    new = req.new_values
    for field, value in new.items():
        if field == "id_valid_until":  # stored as ISO text; empty is long-term (NULL)
            value = datetime.date.fromisoformat(value) if value else None
        setattr(client, field, value)
    if "id_number" in new or "id_type" in new:
        client.id_number_index = blind_index(client.id_number)
        if client.kind == ClientKind.INDIVIDUAL and client.id_type in ("resident_id", "hmt_residence"):
            facts = resident_id_check(client.id_number, today=timezone.localdate())
            client.birth_date, client.gender = facts.birth_date, facts.gender
    if "phone" in new:
        client.phone_index = blind_index(client.phone) if client.phone else ""
    client.version += 1
    client.data_changed_at = now  # suitability asks for a reassessment after a data change
    why = f"资料变更申请 #{req.pk} 生效"
    try:
        with transaction.atomic():
            audited_save(client, actor=actor, reason=why)
    except IntegrityError as exc:  # the new ID was registered to someone else meanwhile
        raise ApplicationError(ChangeError.ID_TAKEN, fields={"id_number": ["taken"]}, client_no="?") from exc
    if any(f in CHANGE_KEY_FIELDS for f in new):
        holder = {
            "holder_name": client.name,
            "holder_id_type": client.id_type,
            "holder_id_index": client.id_number_index,
        }
        for model in (FundAccount, SecuritiesAccount, DepositoryBinding):
            for account in model.objects.select_for_update().filter(client=client).order_by("pk"):
                for attr, value in holder.items():
                    setattr(account, attr, value)
                audited_save(account, actor=actor, reason=why)
    accounts_consistency_check(client)
    req.applied_at = now
    if reason:
        req.status_reason = reason
    _change_move(req, to, actor=actor, action="applied", reason=reason, fields=list(new), client_version=client.version)


def _change_sync_send(request_id: int) -> None:
    from .tasks import change_request_sync_task

    change_request_sync_task.delay(request_id)


@transaction.atomic
def change_request_review(*, actor, request_id: int, approve: bool, reason: str = ""):
    """The reviewer (复核岗, never the clerk who entered it) approves or rejects. Of two concurrent decisions
    exactly one wins (row lock + state check); the other gets 409. Without CSDC sync an approved change
    applies at once; with it the sync workflow is sent after commit (and the sweeper resends it)."""
    from django.utils import timezone

    from .errors import ChangeError
    from .models import ChangeStatus, SyncTarget

    require_perm(actor, "accounts.review_changerequest")
    req = _change_locked(request_id)
    if req.status != ChangeStatus.SUBMITTED:
        raise ApplicationError(ChangeError.ALREADY_REVIEWED, status=req.get_status_display())
    require_different_person(req.created_by, actor)
    reason = reason.strip()
    req.reviewed_by, req.reviewed_at, req.review_reason = actor, timezone.now(), reason
    if not approve:
        if not reason:
            raise ApplicationError(ChangeError.REASON_REQUIRED, fields={"reason": ["required"]})
        _change_move(req, ChangeStatus.REJECTED, actor=actor, action="rejected", reason=reason)
        return req
    client = Client.objects.select_for_update(no_key=True).get(pk=req.client_id)
    if client.version != req.client_version:
        raise ApplicationError(ChangeError.CLIENT_CHANGED, current=client.version, seen=req.client_version)
    _change_move(req, ChangeStatus.APPROVED, actor=actor, action="approved", reason=reason)
    if SyncTarget.CSDC in req.sync_targets:
        transaction.on_commit(lambda: _change_sync_send(req.pk))
    else:
        _change_apply(req, client, actor=actor, to=ChangeStatus.APPLIED)
    return req


def _change_exchange(request_id: int, *, action: str, reason: str = "", ymt_no: str = "", **payload) -> None:
    """Record one CSDC exchange on the request's timeline (and the 一码通 number the first time)."""
    with transaction.atomic():
        req = _change_locked(request_id)
        if ymt_no and not req.ymt_no:
            req.ymt_no = ymt_no
            audited_save(req, actor=req.reviewed_by, reason="一码通 found at CSDC")
        _change_event(req, actor=None, action=action, reason=reason, system="csdc", **payload)


def _csdc(request_id: int, operation: str, call):
    from .gateways import GatewayTransientError

    try:
        return call()
    except GatewayTransientError as exc:
        _change_exchange(request_id, action=f"csdc_{operation}_unavailable", reason=exc.message, transient=True)
        raise


def change_request_sync(*, request_id: int) -> str:
    """The CSDC workflow of an approved change (run by a Celery task; idempotent). Returns the status.

    Query the 一码通 → none: apply locally only ("not sent"). Key data: every sub-account link must be
    confirmed, else blocked_link. Then send the change with request_ref = the request's reference (CSDC
    applies a reference once) and apply it locally in one transaction. Transient errors propagate (the
    task retries); a permanent refusal fails the request with CSDC's reason."""
    from .errors import ChangeError
    from .gateways import GatewayRefused, csdc_gateway
    from .models import ChangeKind, ChangeStatus, LinkStatus

    with transaction.atomic():
        req = _change_locked(request_id)
        if req.status == ChangeStatus.APPROVED:
            _change_move(req, ChangeStatus.SYNCING, actor=req.reviewed_by, action="sync_started")
        elif req.status != ChangeStatus.SYNCING:
            return req.status  # done, blocked, failed or waiting for a person: nothing to do
    client = Client.objects.get(pk=req.client_id)
    new = req.new_values
    csdc = csdc_gateway()
    ymt = _csdc(request_id, "ymt_query", lambda: csdc.ymt_query(id_type=client.id_type, id_number=client.id_number))
    links = {s.market: s.link_status for s in ymt.sub_accounts} if ymt else {}
    _change_exchange(request_id, action="csdc_ymt_query", ymt_no=ymt.ymt_no if ymt else "", found=ymt is not None,
                     ymt=ymt.ymt_no if ymt else None, links=links)  # fmt: skip
    req.refresh_from_db()
    if ymt is None and not req.ymt_no:
        with transaction.atomic():
            req = _change_locked(request_id)
            if req.status != ChangeStatus.SYNCING:
                return req.status
            client = Client.objects.select_for_update(no_key=True).get(pk=req.client_id)
            _change_apply(req, client, actor=req.reviewed_by, to=ChangeStatus.APPLIED_LOCAL,
                          reason="中国结算无该客户一码通信息，变更仅在本公司生效，未发送中国结算")  # fmt: skip
        return ChangeStatus.APPLIED_LOCAL
    # ymt is None with a known ymt_no: CSDC already holds the new identity (an earlier run sent it).
    ymt_no = ymt.ymt_no if ymt else req.ymt_no
    key = req.kind == ChangeKind.KEY
    if key and ymt is not None:
        unconfirmed = sorted(m for m, s in links.items() if s != LinkStatus.CONFIRMED)
        if unconfirmed:
            with transaction.atomic():
                req = _change_locked(request_id)
                if req.status != ChangeStatus.SYNCING:
                    return req.status
                req.status_reason = (
                    f"一码通与证券子账户（{'、'.join(unconfirmed)}）的关联关系为“未确认”，"
                    "请先确认关联关系，再办理关键信息变更"
                )
                _change_move(req, ChangeStatus.BLOCKED_LINK, actor=req.reviewed_by, action="blocked_link",
                             reason=req.status_reason, unconfirmed=unconfirmed)  # fmt: skip
            return ChangeStatus.BLOCKED_LINK
    try:
        if key:
            _csdc(request_id, "key_info_update", lambda: csdc.key_info_update(
                ymt_no=ymt_no, name=new.get("name", client.name), id_type=new.get("id_type", client.id_type),
                id_number=new.get("id_number", client.id_number), request_ref=req.csdc_ref))  # fmt: skip
        else:
            _csdc(request_id, "ordinary_info_update", lambda: csdc.ordinary_info_update(
                ymt_no=ymt_no, fields={f: True for f in new}, request_ref=req.csdc_ref))  # fmt: skip
    except GatewayRefused as exc:
        with transaction.atomic():
            req = _change_locked(request_id)
            if req.status != ChangeStatus.SYNCING:
                return req.status
            req.status_reason = f"中国结算拒绝：{exc.message}"
            _change_move(req, ChangeStatus.FAILED, actor=req.reviewed_by, action="csdc_refused",
                         reason=req.status_reason, operation=exc.operation)  # fmt: skip
        return ChangeStatus.FAILED
    operation = "key_info_update" if key else "ordinary_info_update"
    _change_exchange(request_id, action=f"csdc_{operation}", ymt=ymt_no, request_ref=req.csdc_ref, ok=True)
    try:
        with transaction.atomic():
            req = _change_locked(request_id)
            if req.status != ChangeStatus.SYNCING:
                return req.status
            client = Client.objects.select_for_update(no_key=True).get(pk=req.client_id)
            _change_apply(req, client, actor=req.reviewed_by, to=ChangeStatus.APPLIED,
                          reason="中国结算变更成功，已同步本公司客户资料及全部账户")  # fmt: skip
    except ApplicationError as exc:
        if exc.error not in (ChangeError.ID_TAKEN, AccountsError.ACCOUNTS_INCONSISTENT):
            raise
        change_request_manual(request_id=request_id, reason=exc.message_in("zh-hans"))
        return ChangeStatus.MANUAL
    return ChangeStatus.APPLIED


@transaction.atomic
def change_request_manual(*, request_id: int, reason: str):
    """The workflow gave up (retries exhausted): put the request in the manual-handling queue."""
    from .models import ChangeStatus

    req = _change_locked(request_id)
    if req.status not in (ChangeStatus.APPROVED, ChangeStatus.SYNCING):
        return req
    req.status_reason = f"自动同步未完成，需人工处理：{reason}"
    _change_move(req, ChangeStatus.MANUAL, actor=req.reviewed_by, action="manual", reason=req.status_reason)
    return req


@transaction.atomic
def change_request_resume(*, actor, request_id: int, reason: str = ""):
    """A person sends a request from the manual queue through the workflow again (CSDC is idempotent)."""
    from .errors import ChangeError
    from .models import ChangeStatus

    require_perm(actor, "accounts.handle_changerequest")
    req = _change_locked(request_id)
    if req.status != ChangeStatus.MANUAL:
        raise ApplicationError(ChangeError.ILLEGAL_TRANSITION, status=req.get_status_display(), action="resume")
    req.status_reason = ""
    _change_move(req, ChangeStatus.APPROVED, actor=actor, action="resumed", reason=reason or "manual resume")
    transaction.on_commit(lambda: _change_sync_send(req.pk))
    return req


def change_request_link_confirm(*, actor, request_id: int):
    """Confirm at CSDC every unconfirmed link between the 一码通 and its sub-accounts, then resume the
    blocked key-data change (procedure 2.3)."""
    from .errors import ChangeError
    from .gateways import GatewayRefused, GatewayTransientError, csdc_gateway
    from .models import ChangeRequest, ChangeStatus, LinkStatus

    require_perm(actor, "accounts.handle_changerequest")
    req = ChangeRequest.objects.filter(pk=request_id).select_related("client").first()
    if req is None:
        raise ApplicationError(ChangeError.NOT_FOUND, request_id=request_id)
    if req.status != ChangeStatus.BLOCKED_LINK:
        raise ApplicationError(ChangeError.ILLEGAL_TRANSITION, status=req.get_status_display(), action="link_confirm")
    csdc = csdc_gateway()
    confirmed: list[str] = []
    try:
        ymt = csdc.ymt_query(id_type=req.client.id_type, id_number=req.client.id_number)
        if ymt is None:
            raise GatewayRefused("csdc", "ymt_query", "一码通账户不存在 / unified account not found")
        for sub in ymt.sub_accounts:
            if sub.link_status != LinkStatus.CONFIRMED:
                csdc.link_confirm(ymt_no=ymt.ymt_no, market=sub.market)
                confirmed.append(sub.market)
    except GatewayTransientError as exc:
        raise ApplicationError(ChangeError.CSDC_UNAVAILABLE) from exc
    except GatewayRefused as exc:
        raise ApplicationError(ChangeError.CSDC_REFUSED, message=exc.message) from exc
    with transaction.atomic():
        req = _change_locked(request_id)
        if req.status != ChangeStatus.BLOCKED_LINK:
            raise ApplicationError(
                ChangeError.ILLEGAL_TRANSITION, status=req.get_status_display(), action="link_confirm"
            )
        for account in (
            SecuritiesAccount.objects.select_for_update()
            .filter(client_id=req.client_id, market__in=confirmed)
            .order_by("pk")
        ):
            account.link_status = LinkStatus.CONFIRMED
            audited_save(account, actor=actor, reason=f"关联关系确认（资料变更申请 #{req.pk}）")
        _change_event(req, actor=actor, action="csdc_link_confirm", system="csdc", ymt=ymt.ymt_no, markets=confirmed)
        req.status_reason = ""
        _change_move(req, ChangeStatus.APPROVED, actor=actor, action="resumed", reason="关联关系已确认，继续变更")
        transaction.on_commit(lambda: _change_sync_send(req.pk))
    return req


def change_requests_sweep(*, older_than=None) -> int:
    """Beat: resend approved or syncing requests nobody has touched for a while, so none is ever lost
    (a send lost after commit, a worker gone). Running the workflow twice is harmless."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from .models import ChangeRequest, ChangeStatus

    if older_than is None:
        older_than = timezone.now() - timedelta(seconds=getattr(settings, "CHANGE_SYNC_RESEND_AFTER_SECONDS", 300))
    stuck = ChangeRequest.objects.filter(
        status__in=[ChangeStatus.APPROVED, ChangeStatus.SYNCING], updated_at__lt=older_than
    ).values_list("pk", flat=True)
    count = 0
    for request_id in stuck:
        _change_sync_send(request_id)
        count += 1
    return count


# Ports for the higher apps (archive files the slip, callbacks creates the call): they find the requests
# through these and record what they made here, under the request's row lock, exactly once.


def change_requests_without_slip() -> list[int]:
    from .models import DONE_CHANGE_STATUSES, ChangeRequest

    return list(
        ChangeRequest.objects.filter(status__in=DONE_CHANGE_STATUSES, slip_document_id__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def change_requests_without_callback() -> list[int]:
    from .models import ChangeKind, ChangeRequest, ChangeStatus

    return list(
        ChangeRequest.objects.filter(status=ChangeStatus.APPLIED, kind=ChangeKind.KEY, callback_task_id__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def change_request_slip_attach(*, request_id: int, make) -> int | None:
    """`make(request) -> document id` runs under the request's lock, at most once per request."""
    from .models import DONE_CHANGE_STATUSES

    req = _change_locked(request_id)
    if req.slip_document_id is not None or req.status not in DONE_CHANGE_STATUSES:
        return req.slip_document_id
    req.slip_document_id = make(req)
    audited_save(req, actor=req.reviewed_by, reason="confirmation slip filed")
    _change_event(req, actor=None, action="slip_filed", document_id=req.slip_document_id)
    return req.slip_document_id


@transaction.atomic
def change_request_callback_attach(*, request_id: int, make) -> int | None:
    """`make(request) -> callback task id` runs under the request's lock, at most once per request."""
    from .models import ChangeStatus

    req = _change_locked(request_id)
    if req.callback_task_id is not None or req.status != ChangeStatus.APPLIED:
        return req.callback_task_id
    req.callback_task_id = make(req)
    audited_save(req, actor=req.reviewed_by, reason="callback task created")
    _change_event(req, actor=None, action="callback_created", callback_task_id=req.callback_task_id)
    return req.callback_task_id


def change_slip_data(req) -> dict:
    """What the confirmation slip shows. Personal values (ID numbers, phone, address) are masked — the
    render data is kept in the client file to re-render the PDF and must not hold them in clear (ADR 0009)."""
    from django.utils import timezone

    from .models import ChangeKind, SyncTarget
    from .selectors import change_value_shown

    def show(field: str, value: str) -> str:
        return change_value_shown(field, value) or "（空）"

    old, new = req.old_values, req.new_values
    client = req.client
    key = req.kind == ChangeKind.KEY
    profile = getattr(req.created_by, "staff", None)
    reviewer = getattr(req.reviewed_by, "staff", None)
    targets = dict(SyncTarget.choices)
    return {
        "title": "客户重要资料修改确认单" if key else "客户普通资料修改确认单",
        "branch_name": client.branch.name,
        "document_ref": f"资料变更申请 #{req.pk}",
        "client": {"client_no": client.client_no, "name": client.name, "kind": client.get_kind_display()},
        "rows": [
            {"label": CHANGE_FIELD_LABELS.get(f, f), "old": show(f, old.get(f, "")), "new": show(f, new.get(f, ""))}
            for f in req.fields_changed
        ],
        "sync": [str(targets.get(t, t)) for t in req.sync_targets] or ["仅本公司"],
        "csdc_sent": req.status == "applied" and "csdc" in req.sync_targets,
        "status": req.get_status_display(),
        "status_reason": req.status_reason,
        "applied_at": f"{timezone.localtime(req.applied_at):%Y-%m-%d %H:%M}" if req.applied_at else "",
        "clerk": getattr(profile, "full_name", req.created_by.username),
        "reviewer": getattr(reviewer, "full_name", getattr(req.reviewed_by, "username", "")),
        "identity_result": {
            "match": "公安部核查一致",
            "not_applicable": "柜台核验证件原件",
            "unavailable": "核查系统不可用",
        }.get(req.identity_result, req.identity_result),  # fmt: skip
        "signatures": ["客户签名（机构客户加盖公章）", "经办人", "复核人"],
    }


def client_direct_edit(*, actor, client_id: int, data: dict) -> typing.NoReturn:
    """A direct edit of a client (PATCH): refused. Key information changes only through a reviewed change
    request with identity re-verified (art. 12) — 403 naming the field; ordinary data also goes through a
    change request (reviewed, synced, versioned) — 400."""
    from .errors import ChangeError

    require_perm(actor, "accounts.view_client")
    if not Client.objects.filter(pk=client_id).exists():
        raise ApplicationError(AccountsError.CLIENT_NOT_FOUND, client_id=client_id)
    key = [f for f in data if f in KEY_FIELDS or f in ("id_number_index", "holder_name")]
    if key:
        raise ApplicationError(ChangeError.KEY_DATA_DIRECT_EDIT, fields={f: ["key_data"] for f in key},
                               field="、".join(KEY_FIELDS.get(f, f) + f"（{f}）" for f in key))  # fmt: skip
    fields = list(data) or ["—"]
    raise ApplicationError(ChangeError.CHANGE_REQUEST_REQUIRED, fields={f: ["change_request"] for f in fields},
                           field=", ".join(fields))  # fmt: skip
