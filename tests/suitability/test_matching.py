"""Matching a client to a product in three dimensions (SPEC §5), stored and replayable."""

import datetime

import pytest
from django.utils import timezone

from accounts.audit import audited_save
from accounts.errors import ApplicationError
from accounts.roles import Role
from suitability.models import MatchDecision
from suitability.services import (
    RULE_VERSION,
    assessment_submit,
    classification_set,
    match_replay,
    product_create,
    product_match,
)

from .conftest import answers_for, current

pytestmark = pytest.mark.django_db

LEVEL_SCORE = {"C1": 12, "C2": 30, "C3": 45, "C4": 70, "C5": 90}
RISKS = ["R1", "R2", "R3", "R4", "R5"]


@pytest.fixture
def assessed(clerk, make_client):
    def _assessed(level="C3", *, age=40, lowest=False, horizon="long", varieties=None):
        client = make_client(age=age)
        kwargs = {"varieties": varieties} if varieties is not None else {}
        answers = answers_for(current(), total=LEVEL_SCORE[level], horizon=horizon, lowest=lowest, **kwargs)
        assessment_submit(actor=clerk, client=client, questionnaire_id=current().pk, answers=answers)
        return client

    return _assessed


def _attrs(risk="R1", horizon="short", variety="fixed_income"):
    return {"risk": risk, "horizon": horizon, "variety": variety}


CASES = [(c, r) for c in LEVEL_SCORE for r in RISKS]


@pytest.mark.parametrize(("level", "risk"), CASES, ids=[f"{c}-{r}" for c, r in CASES])
def test_every_risk_level_against_every_product_risk(assessed, clerk, level, risk):
    client = assessed(level)

    decision = product_match(client=client, product_attrs=_attrs(risk), actor=clerk)

    fits = int(risk[1]) <= int(level[1])
    assert decision.outcome == ("match" if fits else "mismatch")
    assert decision.dimensions == ([] if fits else ["risk"])
    assert decision.requires_warning is (not fits)
    assert decision.rule_version == RULE_VERSION
    assert match_replay(MatchDecision.objects.get(pk=decision.pk)) == decision.outcome
    if not fits:
        assert decision.reasons[0]["zh"] == f"产品风险等级{risk}高于客户风险承受能力等级{level}。"
        assert decision.warnings[0]["code"] == "special_warning"


@pytest.mark.parametrize("risk", RISKS)
def test_the_lowest_category_may_buy_r1_only_even_if_the_client_insists(assessed, risk):
    client = assessed("C4", lowest=True)

    decision = product_match(client=client, product_attrs=_attrs(risk))

    assert decision.outcome == ("match" if risk == "R1" else "forbidden")
    if risk != "R1":
        assert decision.reasons[0]["code"] == "lowest_category"
        assert decision.reasons[0]["en"].endswith("even if the client insists.")
        assert not decision.requires_warning  # no warning can make it a sale


def test_a_minor_may_buy_r1_only(assessed):
    client = assessed("C5", age=16)
    assert product_match(client=client, product_attrs=_attrs("R1")).outcome == "match"
    assert product_match(client=client, product_attrs=_attrs("R2")).outcome == "forbidden"


@pytest.mark.parametrize("investor_class", ["professional_a", "professional_b", "professional_c"])
@pytest.mark.parametrize("risk", RISKS)
def test_professionals_may_buy_r1_to_r5_without_an_assessment(make_client, make_staff, investor_class, risk):
    client = make_client()
    classification_set(actor=make_staff(Role.REVIEWER), client=client, investor_class=investor_class, basis="证明材料")

    decision = product_match(client=client, product_attrs=_attrs(risk, "long", "derivatives"))

    assert decision.outcome == "match"
    assert decision.reasons[0]["code"] == "professional"


def test_a_professional_treated_as_ordinary_again_is_matched_as_ordinary(assessed, make_staff):
    client = assessed("C2")
    reviewer = make_staff(Role.REVIEWER)
    classification_set(actor=reviewer, client=client, investor_class="professional_c")
    classification_set(actor=reviewer, client=client, investor_class="ordinary")

    assert product_match(client=client, product_attrs=_attrs("R3")).outcome == "mismatch"
    assert client.classifications.filter(is_current=True).count() == 1


@pytest.mark.parametrize(
    ("client_horizon", "product_horizon", "fits"),
    [
        ("short", "short", True),
        ("short", "medium", False),
        ("medium", "medium", True),
        ("medium", "long", False),
        ("long", "short", True),
        ("long", "long", True),
    ],
)
def test_horizon_longer_than_the_client_wants_is_a_mismatch(assessed, client_horizon, product_horizon, fits):
    client = assessed("C5", horizon=client_horizon)

    decision = product_match(client=client, product_attrs=_attrs("R1", product_horizon))

    assert decision.outcome == ("match" if fits else "mismatch")
    assert decision.dimensions == ([] if fits else ["horizon"])


def test_a_variety_the_client_does_not_want_is_a_mismatch(assessed):
    client = assessed("C5", varieties=("fixed_income", "fund"))

    assert product_match(client=client, product_attrs=_attrs("R1", variety="fund")).outcome == "match"
    decision = product_match(client=client, product_attrs=_attrs("R1", variety="equity"))

    assert decision.outcome == "mismatch"
    assert decision.dimensions == ["variety"]


def test_a_mismatch_lists_every_dimension(assessed):
    client = assessed("C2", horizon="short", varieties=("fixed_income",))

    decision = product_match(client=client, product_attrs=_attrs("R4", "long", "derivatives"))

    assert decision.outcome == "mismatch"
    assert decision.dimensions == ["risk", "horizon", "variety"]
    assert [r["code"] for r in decision.reasons] == ["risk", "horizon", "variety"]


def test_no_assessment_requires_reassessment(make_client):
    decision = product_match(client=make_client(), product_attrs=_attrs("R1"))

    assert decision.outcome == "reassessment_required"
    assert decision.reasons[0]["code"] == "no_assessment"


def test_an_expired_assessment_requires_reassessment(assessed, monkeypatch):
    client = assessed("C3")
    later = timezone.now() + datetime.timedelta(days=2 * 366)
    monkeypatch.setattr("django.utils.timezone.now", lambda: later)

    decision = product_match(client=client, product_attrs=_attrs("R1"))

    assert decision.outcome == "reassessment_required"
    assert decision.reasons[0]["code"] == "assessment_expired"
    assert match_replay(decision) == "reassessment_required"


def test_the_day_before_expiry_still_matches(assessed, monkeypatch):
    client = assessed("C3")
    valid_until = client.assessments.get().valid_until
    at = timezone.make_aware(datetime.datetime.combine(valid_until, datetime.time(12)))
    monkeypatch.setattr("django.utils.timezone.now", lambda: at)

    assert product_match(client=client, product_attrs=_attrs("R1")).outcome == "match"


def test_client_data_changed_after_the_assessment_requires_reassessment(assessed, clerk):
    client = assessed("C3")
    client.data_changed_at = timezone.now()
    audited_save(client, actor=clerk, reason="income changed")

    decision = product_match(client=client, product_attrs=_attrs("R1"))

    assert decision.outcome == "reassessment_required"
    assert decision.reasons[0]["code"] == "data_changed"


@pytest.mark.parametrize(("age", "extra"), [(69, False), (70, True), (82, True)])
def test_clients_aged_70_or_more_get_an_extra_warning_on_mismatch(assessed, age, extra):
    client = assessed("C2", age=age)

    mismatch = product_match(client=client, product_attrs=_attrs("R3"))
    match = product_match(client=client, product_attrs=_attrs("R1"))

    assert mismatch.enhanced_care is extra
    assert [w["code"] for w in mismatch.warnings] == ["special_warning"] + (["enhanced_care"] if extra else [])
    assert match.warnings == []


def test_the_enhanced_care_age_is_configuration(assessed, settings):
    settings.SUITABILITY_ENHANCED_CARE_AGE = 60
    client = assessed("C2", age=65)

    decision = product_match(client=client, product_attrs=_attrs("R3"))

    assert [w["code"] for w in decision.warnings] == ["special_warning", "enhanced_care"]
    assert decision.inputs["settings"]["enhanced_care_age"] == 60


def test_every_decision_is_stored_with_inputs_and_replays_to_the_same_outcome(assessed, clerk, make_staff, settings):
    product = product_create(
        actor=make_staff(Role.ADMIN), code="FUND001", name="稳健债券基金", risk="R3", horizon="medium", variety="fund"
    )
    client = assessed("C2", age=75)

    decision = product_match(client=client, product=product, actor=clerk)
    # Settings and time change later: a replay still reads only what was stored.
    settings.SUITABILITY_ENHANCED_CARE_AGE = 90
    stored = MatchDecision.objects.get(pk=decision.pk)

    assert stored.outcome == "mismatch"
    assert stored.actor == clerk
    assert stored.product_snapshot == {
        "code": "FUND001",
        "name": "稳健债券基金",
        "risk": "R3",
        "horizon": "medium",
        "variety": "fund",
    }
    assert stored.inputs["assessment"]["risk_level"] == "C2"
    assert match_replay(stored) == "mismatch"
    with pytest.raises(ApplicationError) as excinfo:
        stored.save()
    assert excinfo.value.code == "decision_immutable"


def test_a_check_without_record_stores_nothing(assessed):
    client = assessed("C3")
    decision = product_match(client=client, product_attrs=_attrs("R2"), record=False)
    assert decision.outcome == "match"
    assert MatchDecision.objects.count() == 0


def test_bad_product_attributes_are_refused(assessed):
    client = assessed("C3")
    with pytest.raises(ApplicationError) as excinfo:
        product_match(client=client, product_attrs={"risk": "R9", "horizon": "long"})
    assert excinfo.value.code == "product_required"
    assert set(excinfo.value.fields) == {"risk", "variety"}
    assert MatchDecision.objects.count() == 0


def test_roles_without_permission_cannot_match(assessed, make_staff):
    client = assessed("C3")
    with pytest.raises(ApplicationError) as excinfo:
        product_match(client=client, product_attrs=_attrs(), actor=make_staff(Role.WITNESS))
    assert excinfo.value.code == "permission_denied"


def test_the_match_read_path_uses_a_constant_number_of_queries(assessed, clerk, django_assert_max_num_queries):
    client = assessed("C3")
    clerk = type(clerk).objects.get(pk=clerk.pk)
    clerk.has_perm("suitability.match_product")  # warm the permission cache, as a request would

    with django_assert_max_num_queries(3):  # classification, assessment, insert
        product_match(client=client, product_attrs=_attrs("R2"), actor=clerk)
