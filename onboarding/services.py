"""Every write of the account-opening application (SPEC §3). One function per regulated step; each checks
who may do it, locks the application, checks its state, and records an event."""

import logging
import time
from collections.abc import Callable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import gateways as account_gateways
from accounts import services as account_services
from accounts.access import require_different_person, require_perm
from accounts.audit import audited_save
from accounts.errors import ApplicationError
from accounts.identity import age_on, id_number_check
from accounts.models import Client, ClientKind
from accounts.roles import Role
from archive.models import DocumentKind
from archive.selectors import client_file_missing
from suitability.selectors import assessment_current

from .errors import OnboardingError
from .models import (
    IN_PROGRESS_STATUSES,
    OPEN_STATUSES,
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Channel,
    DisclosureDocument,
    DisclosureKind,
    IdentityCheck,
    IdentityCheckResult,
)

logger = logging.getLogger(__name__)
S = ApplicationStatus
GATEWAY_ATTEMPTS = 3
GATEWAY_BACKOFF_SECONDS = 0.2
ADULT_AGE = 18


# --- helpers ---------------------------------------------------------------------------------------


def _event(app: Application, *, actor, action: str, from_status: str = "", reason: str = "", **payload) -> None:
    ApplicationEvent.objects.create(
        application=app,
        action=action,
        from_status=from_status,
        to_status=app.status,
        actor=actor if (actor is not None and actor.is_authenticated) else None,
        reason=reason,
        payload=payload,
    )


def _locked(application_id: int) -> Application:
    return Application.objects.select_for_update().select_related("client").get(pk=application_id)


def _expect(app: Application, allowed: list[str], action: str) -> None:
    if app.status not in allowed:
        raise ApplicationError(OnboardingError.ILLEGAL_TRANSITION, status=app.get_status_display(), action=action)


def _move(app: Application, to: str, *, actor, action: str, reason: str = "", **payload) -> None:
    before = app.status
    app.status = to
    audited_save(app, actor=actor, reason=reason or action)
    _event(app, actor=actor, action=action, from_status=before, reason=reason, **payload)


def _gateway_call(fn: Callable, *, system: str):
    """Call an outside system, retrying transient failures with backoff. Must run outside a transaction."""
    for attempt in range(1, GATEWAY_ATTEMPTS + 1):
        try:
            return fn()
        except account_gateways.GatewayTransientError:
            if attempt == GATEWAY_ATTEMPTS:
                raise
            time.sleep(GATEWAY_BACKOFF_SECONDS * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


def _gateway_failure(
    app_id: int, *, actor, system: str, exc: account_gateways.GatewayError, step: str
) -> ApplicationError:
    """Record a failed exchange on the application (state unchanged) and return the error to raise."""
    with transaction.atomic():
        app = _locked(app_id)
        _event(app, actor=actor, action=f"{step}_failed", from_status=app.status, reason=str(exc), system=system,
               transient=exc.transient)  # fmt: skip
    if exc.transient:
        return ApplicationError(OnboardingError.GATEWAY_UNAVAILABLE, system=system)
    return ApplicationError(OnboardingError.GATEWAY_REFUSED, system=system, message=exc.message)


# --- rules -----------------------------------------------------------------------------------------


def witness_problems(user) -> tuple[list[str], list[str]]:
    """Why a staff member may not act as witness (art. 17), in Chinese and English; empty if they may."""
    profile = getattr(user, "staff", None)
    zh: list[str] = []
    en: list[str] = []
    if profile is None or not user.groups.filter(name=Role.WITNESS).exists():
        zh.append("未被授予见证人员岗位")
        en.append("not assigned the witness role")
    if profile is not None:
        if not profile.is_formal_employee:
            zh.append("不是正式员工")
            en.append("not a formal employee")
        if profile.is_marketing_role:
            zh.append("从事营销岗位")
            en.append("works in a marketing role")
        if not profile.qualification_no:
            zh.append("未取得证券从业资格")
            en.append("holds no securities qualification")
        if profile.witness_trained_on is None:
            zh.append("未参加见证培训")
            en.append("has not been trained as a witness")
    return zh, en


def _witness_check(*, witness, met_by: list, by_video: bool) -> None:
    if witness is None:
        raise ApplicationError(OnboardingError.WITNESS_REQUIRED, fields={"witness": ["required"]})
    in_person = {u.pk for u in met_by}
    if by_video:
        ok = len(in_person) >= 1
    else:
        ok = len(in_person | {witness.pk}) >= 2 and witness.pk in in_person
    if not ok:
        raise ApplicationError(OnboardingError.WITNESS_REQUIRED, fields={"met_by": ["not enough staff"]})
    zh, en = witness_problems(witness)
    if zh:
        name = getattr(getattr(witness, "staff", None), "full_name", witness.username)
        raise ApplicationError(
            OnboardingError.WITNESS_UNQUALIFIED,
            fields={"witness": zh},
            name=name,
            reasons="、".join(zh),
            reasons_en=", ".join(en),
        )


def _certificate_check(app_or_fields, *, at: datetime) -> None:
    serial = app_or_fields.get("cert_serial")
    valid_from, valid_to = app_or_fields.get("cert_valid_from"), app_or_fields.get("cert_valid_to")
    if not serial or not app_or_fields.get("cert_issuer") or valid_from is None or valid_to is None:
        raise ApplicationError(
            OnboardingError.CERTIFICATE_INVALID, fields={"cert_serial": ["required"]},
            reason="未登记证书序列号、颁发机构或有效期", reason_en="serial, issuer or validity missing",
        )  # fmt: skip
    if not (valid_from <= at <= valid_to):
        raise ApplicationError(
            OnboardingError.CERTIFICATE_INVALID, fields={"cert_valid_to": [valid_to.isoformat()]},
            reason="签署时证书不在有效期内", reason_en="the certificate is not valid at signing time",
        )  # fmt: skip


def _cert_values(certificate: dict) -> dict:
    return {
        "cert_serial": certificate.get("cert_serial") or "",
        "cert_issuer": certificate.get("cert_issuer") or "",
        "cert_valid_from": certificate.get("cert_valid_from"),
        "cert_valid_to": certificate.get("cert_valid_to"),
    }


def _cert_fields(app: Application) -> dict:
    return {
        "cert_serial": app.cert_serial,
        "cert_issuer": app.cert_issuer,
        "cert_valid_from": app.cert_valid_from,
        "cert_valid_to": app.cert_valid_to,
    }


# --- steps -----------------------------------------------------------------------------------------


@transaction.atomic
def application_create(
    *,
    actor,
    channel: str,
    client: dict,
    agent: dict | None = None,
    witness=None,
    met_by: list | None = None,
    witness_by_video: bool = False,
    certificate: dict | None = None,
    bank_code: str = "",
    bank_account: str = "",
) -> Application:
    """Start an application: find or register the client, record channel, agent, witness, certificate."""
    require_perm(actor, "onboarding.add_application")
    now = timezone.now()
    if channel not in Channel.values:
        raise ApplicationError(OnboardingError.ILLEGAL_TRANSITION, status="—", action=channel)
    if channel == Channel.WITNESSED:
        _witness_check(witness=witness, met_by=met_by or [], by_video=witness_by_video)
    if channel == Channel.ONLINE:
        _certificate_check(certificate or {}, at=now)
    if agent:
        if not (agent.get("name") and agent.get("id_type") and agent.get("id_number")):
            raise ApplicationError(OnboardingError.AGENT_INCOMPLETE, fields={"agent": ["incomplete"]})
        number = id_number_check(
            agent["id_type"], agent["id_number"], today=timezone.localdate(), field="agent_id_number"
        )
        agent = {**agent, "id_number": number}
    client_fields = dict(client)
    branch = client_fields.pop("branch", None) or getattr(getattr(actor, "staff", None), "branch", None)
    the_client, _created = account_services.client_register(actor=actor, branch=branch, **client_fields)
    if the_client.kind == ClientKind.INDIVIDUAL and the_client.birth_date is not None:
        if age_on(the_client.birth_date, timezone.localdate()) < ADULT_AGE and not (
            agent and agent.get("relationship") == "guardian"
        ):
            raise ApplicationError(OnboardingError.GUARDIAN_REQUIRED, fields={"agent": ["guardian required"]})
    existing = Application.objects.filter(client=the_client, status__in=IN_PROGRESS_STATUSES).first()
    if existing is not None:
        raise ApplicationError(OnboardingError.OPEN_APPLICATION_EXISTS, application_id=existing.pk)
    app = Application(
        client=the_client,
        branch=the_client.branch,
        channel=channel,
        created_by=actor,
        has_agent=bool(agent),
        agent_name=(agent or {}).get("name", ""),
        agent_id_type=(agent or {}).get("id_type", ""),
        agent_id_number=(agent or {}).get("id_number", ""),
        agent_relationship=(agent or {}).get("relationship", ""),
        witness=witness if channel == Channel.WITNESSED else None,
        witness_by_video=witness_by_video if channel == Channel.WITNESSED else False,
        bank_code=bank_code,
        bank_account=bank_account,
        **(_cert_values(certificate or {}) if channel == Channel.ONLINE else {}),
    )
    try:
        with transaction.atomic():
            audited_save(app, actor=actor, reason="application created")
    except IntegrityError as exc:  # a concurrent application for the same client
        other = Application.objects.filter(client=the_client, status__in=IN_PROGRESS_STATUSES).first()
        raise ApplicationError(
            OnboardingError.OPEN_APPLICATION_EXISTS, application_id=getattr(other, "pk", "?")
        ) from exc
    if channel == Channel.WITNESSED:
        app.met_by.set(met_by or [])
    _event(app, actor=actor, action="created", channel=channel, has_agent=app.has_agent)
    return app


def application_identity_verify(*, actor, application_id: int, photo: bytes | None = None) -> Application:
    """Check the client (and the agent) against the citizen identity system. A mismatch stops the
    application; an unreachable system leaves it where it is, to be retried."""
    require_perm(actor, "onboarding.change_application")
    app = Application.objects.select_related("client").get(pk=application_id)
    _expect(app, [S.DRAFT], "身份核查 identity check")
    gateway = account_gateways.identity_gateway()
    subjects = [("client", app.client.name, app.client.id_number)]
    if app.has_agent:
        subjects.append(("agent", app.agent_name, app.agent_id_number))
    answers = []
    try:
        for subject, name, number in subjects:
            answer = _gateway_call(
                lambda n=name, i=number: gateway.citizen_verify(name=n, id_number=i, photo=photo), system="identity"
            )
            answers.append((subject, answer))
    except account_gateways.GatewayError as exc:
        raise _gateway_failure(
            application_id, actor=actor, system="公安部身份核查", exc=exc, step="identity_check"
        ) from exc
    with transaction.atomic():
        app = _locked(application_id)
        _expect(app, [S.DRAFT], "身份核查 identity check")
        for subject, answer in answers:
            check = IdentityCheck(
                application=app, subject=subject, result=answer.result, photo_similarity=answer.photo_similarity,
                reference=answer.reference, checked_by=actor,
            )  # fmt: skip
            audited_save(check, actor=actor, reason=f"identity check ({subject})")
        failed = [(s, a) for s, a in answers if a.result != IdentityCheckResult.MATCH]
        if failed:
            subject, answer = failed[0]
            label = f"{'客户' if subject == 'client' else '代理人'}{IdentityCheckResult(answer.result).label}"
            app.closed_reason = f"身份核查未通过：{label}"
            _move(
                app, S.REJECTED, actor=actor, action="identity_failed", reason=app.closed_reason, result=answer.result
            )
            failure = ApplicationError(OnboardingError.IDENTITY_MISMATCH, result=label)
        else:
            _move(app, S.IDENTITY_VERIFIED, actor=actor, action="identity_verified")
            failure = None
    if failure is not None:
        raise failure
    return app


@transaction.atomic
def application_disclose(
    *, actor, application_id: int, risk_disclosure_id: int, agreement_id: int, educator=None
) -> Application:
    """The designated staff member explained the rules; the client signed the disclosure and agreements."""
    require_perm(actor, "onboarding.change_application")
    app = _locked(application_id)
    _expect(app, [S.IDENTITY_VERIFIED], "风险揭示 disclosure")
    disclosure = DisclosureDocument.objects.filter(
        pk=risk_disclosure_id, kind=DisclosureKind.RISK_DISCLOSURE, active=True
    ).first()
    agreement = DisclosureDocument.objects.filter(pk=agreement_id, kind=DisclosureKind.AGREEMENT, active=True).first()
    if disclosure is None or agreement is None:
        raise ApplicationError(
            OnboardingError.DISCLOSURE_UNKNOWN,
            fields={"risk_disclosure_id": [str(risk_disclosure_id)], "agreement_id": [str(agreement_id)]},
        )
    now = timezone.now()
    if app.channel == Channel.ONLINE:
        _certificate_check(_cert_fields(app), at=now)  # the certificate must be valid when the client signs
    app.educator = educator or actor
    app.risk_disclosure = disclosure
    app.agreement = agreement
    app.disclosed_at = now
    _move(app, S.DISCLOSED, actor=actor, action="disclosed", disclosure=disclosure.version, agreement=agreement.version,
          educated_agent=app.has_agent)  # fmt: skip
    return app


def assessment_problem(client: Client) -> tuple[str, str] | None:
    """Why the client's assessment cannot support an opening (art. 8), or None if it can."""
    assessment = assessment_current(client_id=client.pk)
    if assessment is None:
        return "尚未测评", "no assessment"
    if assessment.valid_until < timezone.localdate():
        return "测评已过期", "the assessment has expired"
    if client.data_changed_at and client.data_changed_at > assessment.assessed_at:
        return "客户资料在测评后发生变更", "client data changed since the assessment"
    return None


@transaction.atomic
def application_assess(*, actor, application_id: int) -> Application:
    """Attach the client's valid suitability assessment (art. 8: assessed before the accounts are opened)."""
    require_perm(actor, "onboarding.change_application")
    app = _locked(application_id)
    _expect(app, [S.DISCLOSED], "适当性评估 assessment")
    problem = assessment_problem(app.client)
    if problem:
        raise ApplicationError(OnboardingError.ASSESSMENT_REQUIRED, reason=problem[0], reason_en=problem[1])
    app.assessment = assessment_current(client_id=app.client_id)
    _move(app, S.ASSESSED, actor=actor, action="assessed", risk_level=app.assessment.risk_level,
          lowest_category=app.assessment.lowest_category)  # fmt: skip
    return app


def _documents_check(app: Application) -> None:
    missing = client_file_missing(app.client, channel=app.channel, has_agent=app.has_agent)
    if missing:
        labels = "、".join(str(DocumentKind(k).label) for k in missing)
        raise ApplicationError(OnboardingError.DOCUMENTS_MISSING, fields={"documents": missing}, missing=labels)


@transaction.atomic
def application_submit(*, actor, application_id: int) -> Application:
    """Hand the application to a reviewer. The client file must be complete for this application type."""
    require_perm(actor, "onboarding.change_application")
    app = _locked(application_id)
    _expect(app, [S.ASSESSED], "提交复核 submit")
    problem = assessment_problem(app.client)
    if problem:
        raise ApplicationError(OnboardingError.ASSESSMENT_REQUIRED, reason=problem[0], reason_en=problem[1])
    _documents_check(app)
    app.submitted_at = timezone.now()
    _move(app, S.SUBMITTED, actor=actor, action="submitted")
    return app


@transaction.atomic
def application_review(*, actor, application_id: int, approve: bool, note: str = "") -> Application:
    """资料审核: a second person approves or rejects. Never the clerk who entered the application."""
    require_perm(actor, "onboarding.review_application")
    app = _locked(application_id)
    _expect(app, [S.SUBMITTED], "复核 review")
    require_different_person(app.created_by, actor)
    if not approve and not note.strip():
        raise ApplicationError(OnboardingError.REASON_REQUIRED, fields={"note": ["required"]})
    if approve:
        _documents_check(app)
    app.reviewed_by = actor
    app.reviewed_at = timezone.now()
    app.review_note = note.strip()
    if approve:
        _move(app, S.APPROVED, actor=actor, action="approved", reason=note)
    else:
        app.closed_reason = f"复核驳回：{note.strip()}"
        _move(app, S.REJECTED, actor=actor, action="review_rejected", reason=note)
    return app


def application_accounts_open(*, actor, application_id: int) -> Application:
    """Open the fund account, the SH/SZ securities accounts under the client's 一码通 and bind the
    depository bank (art. 10). Gateways are called outside the transaction and are idempotent, so a
    failed attempt can simply be repeated; the accounts are written only when every call succeeded."""
    require_perm(actor, "onboarding.open_accounts")
    app = Application.objects.select_related("client").get(pk=application_id)
    _expect(app, [S.APPROVED], "开立账户 open accounts")
    client = app.client
    csdc = account_gateways.csdc_gateway()
    bank = account_gateways.bank_gateway()
    try:
        ymt = _gateway_call(
            lambda: csdc.securities_accounts_open(
                name=client.name, id_type=client.id_type, id_number=client.id_number, markets=["SH", "SZ"]
            ),
            system="csdc",
        )
    except account_gateways.GatewayError as exc:
        raise _gateway_failure(application_id, actor=actor, system="中国结算", exc=exc, step="csdc_open") from exc
    try:
        bank_reference = _gateway_call(
            lambda: bank.depository_bind(
                fund_account_no=f"APP{app.pk}", holder_name=client.name, bank_code=app.bank_code,
                bank_account=app.bank_account, request_ref=f"application-{app.pk}",
            ),
            system="bank",
        )  # fmt: skip
    except account_gateways.GatewayError as exc:
        raise _gateway_failure(application_id, actor=actor, system="存管银行", exc=exc, step="bank_bind") from exc
    with transaction.atomic():
        app = _locked(application_id)
        _expect(app, [S.APPROVED], "开立账户 open accounts")
        fund = account_services.accounts_open(
            actor=actor, client_id=app.client_id, ymt=ymt, bank_code=app.bank_code, bank_account=app.bank_account,
            bank_reference=bank_reference, reason=f"application #{app.pk} approved",
        )  # fmt: skip
        app.fund_account = fund
        app.opened_at = timezone.now()
        _move(app, S.ACCOUNTS_OPENED, actor=actor, action="accounts_opened", ymt_no=ymt.ymt_no,
              fund_account=fund.account_no, bank_reference=bank_reference)  # fmt: skip
    return app


@transaction.atomic
def application_close(*, actor, application_id: int, withdraw: bool, reason: str) -> Application:
    """Reject (staff decision) or withdraw (the client's wish) an open application, with a reason."""
    require_perm(actor, "onboarding.change_application")
    if not reason.strip():
        raise ApplicationError(OnboardingError.REASON_REQUIRED, fields={"reason": ["required"]})
    app = _locked(application_id)
    _expect(app, OPEN_STATUSES, "撤回 withdraw" if withdraw else "驳回 reject")
    app.closed_reason = reason.strip()
    _move(app, S.WITHDRAWN if withdraw else S.REJECTED, actor=actor, action="withdrawn" if withdraw else "rejected",
          reason=reason.strip())  # fmt: skip
    return app


@transaction.atomic
def application_activate(*, actor, application_id: int, reason: str) -> Application:
    """The pre-activation callback passed (art. 11): activate the client's accounts, exactly once.

    Locks the application first; a second caller finds it already active and gets a conflict, so the
    accounts are never activated twice."""
    require_perm(actor, "accounts.activate_accounts")
    app = _locked(application_id)
    _expect(app, [S.ACCOUNTS_OPENED], "激活账户 activate")
    _move(app, S.CALLBACK_PASSED, actor=actor, action="callback_passed", reason=reason)
    count = account_services.accounts_activate(actor=actor, client_id=app.client_id, reason=reason)
    _move(app, S.ACTIVE, actor=actor, action="activated", reason=reason, accounts=count)
    return app


@transaction.atomic
def application_callback_failed(*, actor, application_id: int, reason: str) -> Application:
    """The callback found identity doubt or that opening is not the client's wish: reject; the accounts
    stay pending activation and are never activated."""
    require_perm(actor, "accounts.activate_accounts")
    if not reason.strip():
        raise ApplicationError(OnboardingError.REASON_REQUIRED, fields={"reason": ["required"]})
    app = _locked(application_id)
    _expect(app, [S.ACCOUNTS_OPENED], "回访未通过 callback failed")
    app.closed_reason = f"回访未通过：{reason.strip()}"
    _move(app, S.REJECTED, actor=actor, action="callback_failed", reason=reason.strip())
    return app
