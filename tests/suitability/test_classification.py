"""Investor class change requests (maker ≠ checker) and the confirmation of a mismatch warning."""

from decimal import Decimal

import pytest

from accounts.errors import ApplicationError
from accounts.roles import Role
from suitability.models import ClassificationRequest, InvestorClassification, MismatchConfirmation
from suitability.selectors import investor_class_current
from suitability.services import (
    assessment_submit,
    classification_request_create,
    classification_request_review,
    classification_set,
    mismatch_confirm,
    product_match,
)

from .conftest import answers_for, current

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(make_staff):
    return make_staff(Role.REVIEWER)


def _to_pro(clerk, client, **overrides):
    data = {"financial_assets": Decimal("3000000"), "experience_years": 1, "evidence": "资产证明、交易记录"}
    data.update(overrides)
    return classification_request_create(actor=clerk, client=client, to_class="professional_c", **data)


def test_an_ordinary_investor_becomes_professional_c_after_a_second_person_approves(clerk, reviewer, make_client):
    client = make_client()

    request = _to_pro(clerk, client)
    assert investor_class_current(client_id=client.pk) == "ordinary"  # nothing changes before review
    classification_request_review(actor=reviewer, request_id=request.pk, approve=True, note="材料齐全")

    request.refresh_from_db()
    assert (request.status, request.reviewed_by, request.from_class) == ("approved", reviewer, "ordinary")
    assert investor_class_current(client_id=client.pk) == "professional_c"
    assert (
        product_match(client=client, product_attrs={"risk": "R5", "horizon": "long", "variety": "equity"}).outcome
        == "match"
    )


def test_the_clerk_who_entered_a_request_cannot_review_it(make_staff, make_client):
    both = make_staff(Role.CLERK, Role.REVIEWER)
    client = make_client()
    request = _to_pro(both, client)

    with pytest.raises(ApplicationError) as excinfo:
        classification_request_review(actor=both, request_id=request.pk, approve=True)

    assert excinfo.value.code == "maker_checker"
    request.refresh_from_db()
    assert request.status == "pending"
    assert investor_class_current(client_id=client.pk) == "ordinary"


def test_a_rejected_request_changes_nothing_and_cannot_be_reviewed_again(clerk, reviewer, make_client):
    client = make_client()
    request = _to_pro(clerk, client)

    classification_request_review(actor=reviewer, request_id=request.pk, approve=False, note="材料不足")
    with pytest.raises(ApplicationError) as excinfo:
        classification_request_review(actor=reviewer, request_id=request.pk, approve=True)

    assert excinfo.value.code == "request_not_pending"
    assert investor_class_current(client_id=client.pk) == "ordinary"
    assert InvestorClassification.objects.count() == 0


@pytest.mark.parametrize(
    "facts",
    [
        {"financial_assets": Decimal("2999999.99"), "experience_years": 5},
        {"financial_assets": Decimal("5000000"), "experience_years": 0},
        {"financial_assets": None, "average_income": Decimal("299999"), "experience_years": 3},
    ],
)
def test_below_the_professional_c_thresholds_is_refused(clerk, make_client, facts):
    with pytest.raises(ApplicationError) as excinfo:
        _to_pro(clerk, make_client(), **facts)
    assert excinfo.value.code == "professional_threshold"
    assert ClassificationRequest.objects.count() == 0


def test_income_instead_of_assets_qualifies(clerk, make_client):
    request = _to_pro(clerk, make_client(), financial_assets=None, average_income=Decimal("300000"))
    assert request.status == "pending"


def test_an_institution_needs_net_and_financial_assets(clerk, make_client):
    institution = make_client(kind="institution")
    with pytest.raises(ApplicationError):
        _to_pro(clerk, institution, net_assets=Decimal("9000000"), financial_assets=Decimal("6000000"))
    assert _to_pro(clerk, institution, net_assets=Decimal("10000000"), financial_assets=Decimal("5000000")).pk


def test_a_professional_may_ask_to_be_treated_as_ordinary(clerk, reviewer, make_client):
    client = make_client()
    classification_set(actor=reviewer, client=client, investor_class="professional_b", basis="金融资产证明")

    request = classification_request_create(actor=clerk, client=client, to_class="ordinary")
    classification_request_review(actor=reviewer, request_id=request.pk, approve=True)

    assert investor_class_current(client_id=client.pk) == "ordinary"
    assert list(client.classifications.values_list("investor_class", "is_current")) == [
        ("ordinary", True),
        ("professional_b", False),
    ]


@pytest.mark.parametrize("to_class", ["professional_a", "professional_b", "ordinary"])
def test_an_ordinary_investor_may_only_ask_for_professional_c(clerk, make_client, to_class):
    with pytest.raises(ApplicationError) as excinfo:
        classification_request_create(actor=clerk, client=make_client(), to_class=to_class)
    assert excinfo.value.code == "classification_transition"


def test_only_one_pending_request_per_client(clerk, make_client):
    client = make_client()
    _to_pro(clerk, client)
    with pytest.raises(ApplicationError) as excinfo:
        _to_pro(clerk, client)
    assert excinfo.value.code == "request_pending"


def test_a_confirmed_mismatch_keeps_the_warning_shown_and_who_confirmed_it(clerk, make_client):
    client = make_client(age=75)
    assessment_submit(
        actor=clerk, client=client, questionnaire_id=current().pk, answers=answers_for(current(), total=30)
    )
    decision = product_match(
        client=client, product_attrs={"risk": "R4", "horizon": "short", "variety": "fund"}, actor=clerk
    )

    confirmation = mismatch_confirm(actor=clerk, decision_id=decision.pk, channel="counter")

    assert confirmation.staff == clerk
    assert [w["code"] for w in confirmation.warnings_shown] == ["special_warning", "enhanced_care"]
    with pytest.raises(ApplicationError) as excinfo:
        mismatch_confirm(actor=clerk, decision_id=decision.pk, channel="counter")
    assert excinfo.value.code == "already_confirmed"


def test_a_forbidden_decision_cannot_be_confirmed(clerk, make_client):
    client = make_client(age=16)
    assessment_submit(
        actor=clerk, client=client, questionnaire_id=current().pk, answers=answers_for(current(), total=60)
    )
    decision = product_match(client=client, product_attrs={"risk": "R2", "horizon": "short", "variety": "fund"})

    with pytest.raises(ApplicationError) as excinfo:
        mismatch_confirm(actor=clerk, decision_id=decision.pk, channel="counter")

    assert excinfo.value.code == "mismatch_only"
    assert MismatchConfirmation.objects.count() == 0
