"""Submitting a risk questionnaire: scoring, level, lowest category, and refusal of bad answers."""

import datetime

import pytest
from django.utils import timezone

from accounts.errors import ApplicationError
from accounts.roles import Role
from suitability.models import Assessment, Audience
from suitability.services import add_months, assessment_submit, questionnaire_draft_create, questionnaire_publish

from .conftest import answers_for, current

pytestmark = pytest.mark.django_db


def test_a_complete_answer_set_gives_score_level_horizon_varieties_and_validity(clerk, make_client):
    client = make_client(age=40)
    questionnaire = current()
    answers = answers_for(questionnaire, total=60, horizon="medium", varieties=("fund", "equity"))

    assessment = assessment_submit(actor=clerk, client=client, questionnaire_id=questionnaire.pk, answers=answers)

    assert assessment.total_score == 60
    assert assessment.risk_level == assessment.score_level == "C4"
    assert not assessment.lowest_category
    assert assessment.lowest_category_reasons == []
    assert assessment.horizon == "medium"
    assert assessment.varieties == ["equity", "fund"]
    assert assessment.valid_until == add_months(timezone.localdate(), 24)
    assert (assessment.questionnaire_code, assessment.questionnaire_version) == ("IND-RISK", 1)
    assert assessment.answers["varieties"] == sorted(answers["varieties"])
    assert assessment.inputs["client"]["age"] == 40
    assert assessment.history.get().history_user == clerk


def test_a_minor_is_in_the_lowest_category_whatever_the_score(clerk, make_client):
    client = make_client(age=16)
    answers = answers_for(current(), total=90)

    assessment = assessment_submit(actor=clerk, client=client, questionnaire_id=current().pk, answers=answers)

    assert assessment.score_level == "C5"
    assert assessment.risk_level == "C1"
    assert assessment.lowest_category
    assert [r["code"] for r in assessment.lowest_category_reasons] == ["minor"]
    assert assessment.lowest_category_reasons[0]["zh"] == "客户未满18周岁，不具有完全民事行为能力。"


def test_cannot_bear_any_loss_puts_the_client_in_the_lowest_category(clerk, make_client):
    answers = answers_for(current(), total=60, lowest=True)

    assessment = assessment_submit(actor=clerk, client=make_client(), questionnaire_id=current().pk, answers=answers)

    assert (assessment.score_level, assessment.risk_level, assessment.lowest_category) == ("C4", "C1", True)
    assert assessment.lowest_category_reasons == [
        {
            "code": "answer",
            "zh": "第13题选择了“不能承受任何损失”。",
            "en": "Question 13: answered “I cannot bear any loss”.",
            "question": "loss_tolerance",
            "option": "A",
        }
    ]


def test_an_institution_answers_the_institution_questionnaire(clerk, make_client):
    client = make_client(kind="institution")
    questionnaire = current(Audience.INSTITUTION)

    assessment = assessment_submit(
        actor=clerk, client=client, questionnaire_id=questionnaire.pk, answers=answers_for(questionnaire, total=45)
    )

    assert (assessment.total_score, assessment.risk_level, assessment.questionnaire_code) == (45, "C3", "INST-RISK")


def test_an_individual_cannot_answer_the_institution_questionnaire(clerk, make_client):
    questionnaire = current(Audience.INSTITUTION)
    with pytest.raises(ApplicationError) as excinfo:
        assessment_submit(
            actor=clerk,
            client=make_client(),
            questionnaire_id=questionnaire.pk,
            answers=answers_for(questionnaire, total=45),
        )
    assert excinfo.value.code == "questionnaire_wrong_audience"
    assert Assessment.objects.count() == 0


def _without(answers, code):
    return {k: v for k, v in answers.items() if k != code}


INVALID = [
    ("missing", lambda a: _without(a, "debt"), {"debt": ["此题未作答。"]}),
    ("empty multi", lambda a: {**a, "varieties": []}, {"varieties": ["此题未作答。"]}),
    ("unknown option", lambda a: {**a, "horizon": "D"}, {"horizon": ["选项 D 不属于此题。"]}),
    ("unknown question", lambda a: {**a, "favourite_colour": "A"}, {"favourite_colour": ["该题目不属于此问卷。"]}),
    ("multi on single", lambda a: {**a, "age": ["A", "B"]}, {"age": ["此题为单选题，只能选择一个选项。"]}),
    ("option twice", lambda a: {**a, "varieties": ["A", "A"]}, {"varieties": ["选项重复。"]}),
    (
        "two problems",
        lambda a: {**_without(a, "goal"), "knowledge": "Z"},
        {"goal": ["此题未作答。"], "knowledge": ["选项 Z 不属于此题。"]},
    ),
]


@pytest.mark.parametrize(("case", "spoil", "fields"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_answers_are_refused_naming_the_question_and_nothing_is_saved(clerk, make_client, case, spoil, fields):
    client = make_client()
    answers = spoil(answers_for(current(), total=50))

    with pytest.raises(ApplicationError) as excinfo:
        assessment_submit(actor=clerk, client=client, questionnaire_id=current().pk, answers=answers)

    assert excinfo.value.code == "answers_invalid"
    assert excinfo.value.fields == fields
    assert excinfo.value.message == "问卷答案不完整或无效，请检查标出的题目。"
    assert Assessment.objects.count() == 0
    assert Assessment.history.count() == 0


def test_a_single_answer_may_also_be_given_as_a_one_item_list(clerk, make_client):
    answers = {k: (v if isinstance(v, list) else [v]) for k, v in answers_for(current(), total=30).items()}
    assessment = assessment_submit(actor=clerk, client=make_client(), questionnaire_id=current().pk, answers=answers)
    assert assessment.total_score == 30


def _new_version(admin, *, publish: bool):
    draft = questionnaire_draft_create(
        actor=admin,
        code="IND-RISK",
        version=2,
        audience=Audience.INDIVIDUAL,
        title_zh="第二版",
        title_en="v2",
        score_bands=current().score_bands,
        questions=[
            {
                "code": "horizon",
                "dimension": "horizon",
                "text_zh": "期限？",
                "text_en": "Horizon?",
                "options": [{"code": "A", "text_zh": "长期", "text_en": "Long", "score": 0, "horizon": "long"}],
            }
        ],
    )
    if publish:
        questionnaire_publish(actor=admin, questionnaire_id=draft.pk)
    return draft


def test_answers_to_a_superseded_version_are_refused(clerk, make_client, make_staff):
    old = current()
    answers = answers_for(old, total=50)
    _new_version(make_staff(Role.ADMIN), publish=True)

    with pytest.raises(ApplicationError) as excinfo:
        assessment_submit(actor=clerk, client=make_client(), questionnaire_id=old.pk, answers=answers)

    assert excinfo.value.code == "questionnaire_not_current"
    assert excinfo.value.message == "问卷 IND-RISK 第 1 版不是当前有效版本（superseded），请使用当前版本重新作答。"
    assert Assessment.objects.count() == 0


def test_answers_to_a_draft_are_refused(clerk, make_client, make_staff):
    draft = _new_version(make_staff(Role.ADMIN), publish=False)

    with pytest.raises(ApplicationError) as excinfo:
        assessment_submit(actor=clerk, client=make_client(), questionnaire_id=draft.pk, answers={"horizon": "A"})

    assert excinfo.value.code == "questionnaire_not_current"
    assert Assessment.objects.count() == 0


def test_an_unknown_questionnaire_is_refused(clerk, make_client):
    with pytest.raises(ApplicationError) as excinfo:
        assessment_submit(actor=clerk, client=make_client(), questionnaire_id=999999, answers={})
    assert excinfo.value.code == "questionnaire_not_found"


def test_roles_without_permission_cannot_submit(make_staff, make_client):
    with pytest.raises(ApplicationError) as excinfo:
        assessment_submit(
            actor=make_staff(Role.ACCOUNT_MANAGER),
            client=make_client(),
            questionnaire_id=current().pk,
            answers=answers_for(current(), total=50),
        )
    assert excinfo.value.code == "permission_denied"
    assert Assessment.objects.count() == 0


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (datetime.date(2026, 1, 31), 1, datetime.date(2026, 2, 28)),
        (datetime.date(2024, 2, 29), 24, datetime.date(2026, 2, 28)),
        (datetime.date(2026, 11, 21), 24, datetime.date(2028, 11, 21)),
    ],
)
def test_validity_end_is_counted_in_calendar_months(day, months, expected):
    assert add_months(day, months) == expected
