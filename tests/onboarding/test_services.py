"""The account-opening journey through every regulated stage, and every refusal on the way."""

import datetime

import pytest
from django.utils import timezone

from accounts.errors import ApplicationError
from accounts.models import AccountStatus, Client, FundAccount
from accounts.roles import Role
from accounts.simulators import GatewayFault, IdentitySimRecord
from onboarding import services as svc
from onboarding.models import Application, ApplicationStatus, IdentityCheck
from tests.onboarding.conftest import assess, company, disclosures, file_documents, person

pytestmark = pytest.mark.django_db
S = ApplicationStatus


def _through_assessment(clerk, app):
    svc.application_identity_verify(actor=clerk, application_id=app.pk)
    risk, agreement = disclosures()
    svc.application_disclose(actor=clerk, application_id=app.pk, risk_disclosure_id=risk, agreement_id=agreement)
    assess(clerk, app.client)
    return svc.application_assess(actor=clerk, application_id=app.pk)


def _whole_journey(clerk, reviewer, app):
    _through_assessment(clerk, app)
    file_documents(clerk, app)
    svc.application_submit(actor=clerk, application_id=app.pk)
    svc.application_review(actor=reviewer, application_id=app.pk, approve=True, note="资料齐全")
    return svc.application_accounts_open(actor=clerk, application_id=app.pk)


def _counter_app(clerk, **extra):
    return svc.application_create(actor=clerk, channel="counter", client=person(), bank_code="ICBC",
                                  bank_account="6222020000000000001", **extra)  # fmt: skip


def test_individual_at_the_counter_goes_through_every_stage(clerk, reviewer):
    app = _counter_app(clerk)

    opened = _whole_journey(clerk, reviewer, app)

    assert opened.status == S.ACCOUNTS_OPENED
    fund = FundAccount.objects.get(client=opened.client)
    assert fund.status == AccountStatus.PENDING_ACTIVATION
    assert {a.market for a in fund.securities_accounts.all()} == {"SH", "SZ"}
    assert fund.depository.bank_reference.startswith("ICBC-")
    actions = list(opened.events.values_list("action", flat=True))
    assert actions == [
        "created",
        "identity_verified",
        "disclosed",
        "assessed",
        "submitted",
        "approved",
        "accounts_opened",
    ]
    assert opened.history.first().history_user == clerk


def test_individual_through_a_notarised_agent(clerk, reviewer):
    agent = {"name": "赵父", "id_type": "resident_id", "id_number": "360426199101010071", "relationship": "authorised"}
    app = svc.application_create(actor=clerk, channel="counter", client=person(), agent=agent, bank_code="ICBC",
                                 bank_account="6222020000000000001")  # fmt: skip

    opened = _whole_journey(clerk, reviewer, app)

    assert opened.status == S.ACCOUNTS_OPENED
    assert set(IdentityCheck.objects.filter(application=app).values_list("subject", flat=True)) == {"client", "agent"}


def test_missing_notarised_power_of_attorney_blocks_submission(clerk):
    agent = {"name": "赵父", "id_type": "resident_id", "id_number": "360426199101010071", "relationship": "authorised"}
    app = svc.application_create(actor=clerk, channel="counter", client=person(), agent=agent)
    _through_assessment(clerk, app)
    file_documents(clerk, app, skip=("notarised_poa",))

    with pytest.raises(ApplicationError) as excinfo:
        svc.application_submit(actor=clerk, application_id=app.pk)

    assert excinfo.value.code == "documents_missing"
    assert excinfo.value.fields == {"documents": ["notarised_poa"]}
    app.refresh_from_db()
    assert app.status == S.ASSESSED


def test_witnessed_opening_with_a_qualified_witness(clerk, reviewer, witness):
    app = svc.application_create(actor=clerk, channel="witnessed", client=person(), witness=witness,
                                 met_by=[clerk, witness], bank_code="ICBC", bank_account="6222020000000000001")  # fmt: skip

    opened = _whole_journey(clerk, reviewer, app)

    assert opened.status == S.ACCOUNTS_OPENED
    assert opened.witness == witness


def test_one_staff_member_plus_a_witness_on_live_video_is_enough(clerk, witness):
    app = svc.application_create(actor=clerk, channel="witnessed", client=person(), witness=witness,
                                 met_by=[clerk], witness_by_video=True)  # fmt: skip
    assert app.witness_by_video


@pytest.mark.parametrize(
    ("profile", "reason"),
    [
        ({"is_marketing_role": True}, "从事营销岗位"),
        ({"is_formal_employee": False}, "不是正式员工"),
        ({"qualification_no": ""}, "未取得证券从业资格"),
        ({"witness_trained_on": None}, "未参加见证培训"),
    ],
)
def test_an_unqualified_witness_is_refused(clerk, make_staff, profile, reason):
    facts = {"qualification_no": "S01", "witness_trained_on": datetime.date(2026, 1, 1), **profile}
    bad = make_staff(Role.WITNESS, **facts)

    with pytest.raises(ApplicationError) as excinfo:
        svc.application_create(actor=clerk, channel="witnessed", client=person(), witness=bad, met_by=[clerk, bad])

    assert excinfo.value.code == "witness_unqualified"
    assert reason in excinfo.value.fields["witness"]
    assert excinfo.value.rule_in("zh") == "证券公司开立客户账户规范 第十七条"
    assert Application.objects.count() == 0
    assert Client.objects.count() == 0  # nothing half-saved


def test_an_account_manager_cannot_witness_even_when_qualified(clerk, make_staff):
    manager = make_staff(Role.ACCOUNT_MANAGER, is_marketing_role=True, qualification_no="S02",
                         witness_trained_on=datetime.date(2026, 1, 1))  # fmt: skip
    with pytest.raises(ApplicationError) as excinfo:
        svc.application_create(
            actor=clerk, channel="witnessed", client=person(), witness=manager, met_by=[clerk, manager]
        )
    assert "未被授予见证人员岗位" in excinfo.value.fields["witness"]
    assert "从事营销岗位" in excinfo.value.fields["witness"]


def test_a_lone_clerk_is_not_a_witnessed_opening(clerk, witness):
    with pytest.raises(ApplicationError) as excinfo:
        svc.application_create(actor=clerk, channel="witnessed", client=person(), witness=witness, met_by=[clerk])
    assert excinfo.value.code == "witness_required"


def test_online_opening_needs_a_certificate_valid_at_signing(clerk):
    now = timezone.now()
    expired = {"cert_serial": "5A3F", "cert_issuer": "CFCA", "cert_valid_from": now - datetime.timedelta(days=400),
               "cert_valid_to": now - datetime.timedelta(days=1)}  # fmt: skip
    with pytest.raises(ApplicationError) as excinfo:
        svc.application_create(actor=clerk, channel="online", client=person(), certificate=expired)
    assert excinfo.value.code == "certificate_invalid"

    valid = {**expired, "cert_valid_to": now + datetime.timedelta(days=300)}
    app = svc.application_create(actor=clerk, channel="online", client=person(name="孙八"), certificate=valid)
    assert app.cert_serial == "5A3F"


def test_institution_opens_through_its_authorised_agent(clerk, reviewer):
    agent = {"name": "周经办", "id_type": "resident_id", "id_number": "360426199101010071", "relationship": "staff"}
    app = svc.application_create(actor=clerk, channel="counter", client=company(), agent=agent, bank_code="CMB",
                                 bank_account="6214830000000001")  # fmt: skip

    opened = _whole_journey(clerk, reviewer, app)

    assert opened.status == S.ACCOUNTS_OPENED
    assert opened.client.kind == "institution"


def test_bad_id_is_refused_and_nothing_is_saved(clerk):
    bad = {**person(), "id_number": "110105194912310021"}
    with pytest.raises(ApplicationError) as excinfo:
        svc.application_create(actor=clerk, channel="counter", client=bad)
    assert excinfo.value.code == "id_invalid"
    assert Application.objects.count() == Client.objects.count() == 0


def test_expired_id_is_refused(clerk):
    with pytest.raises(ApplicationError) as excinfo:
        svc.application_create(
            actor=clerk, channel="counter", client={**person(), "id_valid_until": datetime.date(2020, 1, 1)}
        )
    assert excinfo.value.code == "id_expired"
    assert Application.objects.count() == 0


def test_a_second_application_finds_the_client_and_refuses_a_duplicate_open_one(clerk):
    data = person()
    first = svc.application_create(actor=clerk, channel="counter", client=data)

    with pytest.raises(ApplicationError) as excinfo:
        svc.application_create(actor=clerk, channel="counter", client=data)

    assert excinfo.value.code == "open_application_exists"
    assert Client.objects.count() == 1
    svc.application_close(actor=clerk, application_id=first.pk, withdraw=True, reason="客户改日再来")
    second = svc.application_create(actor=clerk, channel="counter", client=data)
    assert second.client_id == first.client_id


def test_a_minor_needs_a_guardian(clerk):
    minor = person(age=16)
    with pytest.raises(ApplicationError) as excinfo:
        svc.application_create(actor=clerk, channel="counter", client=minor)
    assert excinfo.value.code == "guardian_required"

    guardian = {
        "name": "监护人",
        "id_type": "resident_id",
        "id_number": "360426199101010071",
        "relationship": "guardian",
    }
    app = svc.application_create(actor=clerk, channel="counter", client=minor, agent=guardian)
    assert app.has_agent


@pytest.mark.parametrize(
    ("record", "result"), [({"registered_name": "别人"}, "name_mismatch"), ({"not_found": True}, "not_found")]
)
def test_identity_mismatch_stops_the_application(clerk, record, result):
    from accounts.crypto import blind_index

    app = _counter_app(clerk)
    IdentitySimRecord.objects.create(id_index=blind_index(app.client.id_number), **record)

    with pytest.raises(ApplicationError) as excinfo:
        svc.application_identity_verify(actor=clerk, application_id=app.pk)

    assert excinfo.value.code == "identity_mismatch"
    app.refresh_from_db()
    assert app.status == S.REJECTED
    assert app.identity_checks.get().result == result


def test_identity_gateway_down_leaves_the_application_retryable(clerk):
    app = _counter_app(clerk)
    GatewayFault.objects.create(system="identity", operation="citizen_verify", mode="transient", remaining=3)

    with pytest.raises(ApplicationError) as excinfo:
        svc.application_identity_verify(actor=clerk, application_id=app.pk)

    assert excinfo.value.code == "gateway_unavailable"
    assert excinfo.value.status == 503
    app.refresh_from_db()
    assert app.status == S.DRAFT
    assert app.identity_checks.count() == 0
    assert app.events.filter(action="identity_check_failed").count() == 1
    # when the system is back, the same step succeeds
    assert svc.application_identity_verify(actor=clerk, application_id=app.pk).status == S.IDENTITY_VERIFIED


def test_a_transient_error_is_retried_within_the_step(clerk):
    app = _counter_app(clerk)
    GatewayFault.objects.create(system="identity", operation="citizen_verify", mode="transient", remaining=1)
    assert svc.application_identity_verify(actor=clerk, application_id=app.pk).status == S.IDENTITY_VERIFIED


def test_csdc_failure_at_opening_leaves_it_approved_with_nothing_opened_then_retry_succeeds(clerk, reviewer):
    app = _counter_app(clerk)
    _through_assessment(clerk, app)
    file_documents(clerk, app)
    svc.application_submit(actor=clerk, application_id=app.pk)
    svc.application_review(actor=reviewer, application_id=app.pk, approve=True)
    GatewayFault.objects.create(system="bank", operation="depository_bind", mode="transient", remaining=3)

    with pytest.raises(ApplicationError) as excinfo:
        svc.application_accounts_open(actor=clerk, application_id=app.pk)

    assert excinfo.value.code == "gateway_unavailable"
    app.refresh_from_db()
    assert app.status == S.APPROVED
    assert FundAccount.objects.count() == 0
    opened = svc.application_accounts_open(actor=clerk, application_id=app.pk)
    assert opened.status == S.ACCOUNTS_OPENED
    assert FundAccount.objects.count() == 1


def test_reviewer_may_not_review_their_own_application(make_staff):
    both = make_staff(Role.CLERK, Role.REVIEWER)
    app = svc.application_create(actor=both, channel="counter", client=person())
    _through_assessment(both, app)
    file_documents(both, app)
    svc.application_submit(actor=both, application_id=app.pk)

    with pytest.raises(ApplicationError) as excinfo:
        svc.application_review(actor=both, application_id=app.pk, approve=True)

    assert excinfo.value.code == "maker_checker"
    app.refresh_from_db()
    assert app.status == S.SUBMITTED and app.reviewed_by is None


def test_submission_needs_a_valid_assessment(clerk):
    app = _counter_app(clerk)
    svc.application_identity_verify(actor=clerk, application_id=app.pk)
    risk, agreement = disclosures()
    svc.application_disclose(actor=clerk, application_id=app.pk, risk_disclosure_id=risk, agreement_id=agreement)

    with pytest.raises(ApplicationError) as excinfo:
        svc.application_assess(actor=clerk, application_id=app.pk)

    assert excinfo.value.code == "assessment_required"
    assert excinfo.value.rule_in("zh") == "证券公司开立客户账户规范 第八条"


def test_illegal_transitions_are_refused_with_the_reason(clerk, reviewer):
    app = _counter_app(clerk)
    with pytest.raises(ApplicationError) as excinfo:
        svc.application_submit(actor=clerk, application_id=app.pk)
    assert excinfo.value.code == "illegal_transition"
    with pytest.raises(ApplicationError):
        svc.application_accounts_open(actor=clerk, application_id=app.pk)


def test_reject_needs_a_reason_and_closes_the_application(clerk, reviewer):
    app = _counter_app(clerk)
    with pytest.raises(ApplicationError) as excinfo:
        svc.application_close(actor=clerk, application_id=app.pk, withdraw=False, reason=" ")
    assert excinfo.value.code == "reason_required"
    closed = svc.application_close(actor=clerk, application_id=app.pk, withdraw=False, reason="客户资料存疑")
    assert closed.status == S.REJECTED
    with pytest.raises(ApplicationError):
        svc.application_close(actor=clerk, application_id=app.pk, withdraw=True, reason="again")


def test_roles_without_permission_cannot_create(make_staff):
    with pytest.raises(ApplicationError) as excinfo:
        svc.application_create(actor=make_staff(Role.CALLBACK_AGENT), channel="counter", client=person())
    assert excinfo.value.code == "permission_denied"


def test_activation_after_a_passed_callback_happens_exactly_once(clerk, reviewer, make_staff):
    agent = make_staff(Role.CALLBACK_AGENT)
    app = _whole_journey(clerk, reviewer, _counter_app(clerk))

    active = svc.application_activate(actor=agent, application_id=app.pk, reason="回访通过")

    assert active.status == S.ACTIVE
    assert FundAccount.objects.get(client=app.client).status == AccountStatus.ACTIVE
    assert active.events.get(action="activated").payload == {"accounts": 4}
    with pytest.raises(ApplicationError) as excinfo:
        svc.application_activate(actor=agent, application_id=app.pk, reason="again")
    assert excinfo.value.code == "illegal_transition"


def test_a_failed_callback_rejects_and_never_activates(clerk, reviewer, make_staff):
    agent = make_staff(Role.CALLBACK_AGENT)
    app = _whole_journey(clerk, reviewer, _counter_app(clerk))

    rejected = svc.application_callback_failed(actor=agent, application_id=app.pk, reason="非本人意愿")

    assert rejected.status == S.REJECTED
    assert FundAccount.objects.get(client=app.client).status == AccountStatus.PENDING_ACTIVATION


def test_no_second_application_while_accounts_await_activation(clerk, reviewer):
    data = person()
    app = svc.application_create(
        actor=clerk, channel="counter", client=data, bank_code="ICBC", bank_account="6222020000000000001"
    )
    _whole_journey(clerk, reviewer, app)
    with pytest.raises(ApplicationError) as excinfo:
        svc.application_create(actor=clerk, channel="counter", client=data)
    assert excinfo.value.code == "open_application_exists"
