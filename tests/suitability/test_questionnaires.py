"""The default questionnaires, and the rule that a published version never changes (SPEC §5)."""

import pytest

from accounts.errors import ApplicationError
from accounts.roles import Role
from suitability.models import Audience, Option, Question, Questionnaire, QuestionnaireStatus
from suitability.services import level_for_score, question_update, questionnaire_draft_create, questionnaire_publish

from .conftest import current

pytestmark = pytest.mark.django_db

SPEC_BANDS = [
    {"level": "C1", "max": 19},
    {"level": "C2", "max": 36},
    {"level": "C3", "max": 53},
    {"level": "C4", "max": 82},
    {"level": "C5", "max": 100},
]


def _reachable_totals(questionnaire) -> set[int]:
    totals = {0}
    for q in questionnaire.questions.all():
        scores = {o.score for o in q.options.all()}  # a multi-select scores its best option: same set
        totals = {t + s for t in totals for s in scores}
    return totals


@pytest.mark.parametrize("audience", [Audience.INDIVIDUAL, Audience.INSTITUTION])
def test_the_default_questionnaire_scores_0_to_100_and_every_band_is_reachable(audience):
    questionnaire = current(audience)

    totals = _reachable_totals(questionnaire)

    assert questionnaire.score_bands == SPEC_BANDS
    assert min(totals) == 0
    assert max(totals) == 100
    assert {level_for_score(t, questionnaire.score_bands) for t in totals} == {"C1", "C2", "C3", "C4", "C5"}
    assert questionnaire.validity_months == 24
    assert questionnaire.status == QuestionnaireStatus.PUBLISHED


def test_the_individual_questionnaire_covers_every_dimension_in_chinese_and_english():
    questionnaire = current(Audience.INDIVIDUAL)
    questions = list(questionnaire.questions.all())

    assert len(questions) == 15
    assert {q.dimension for q in questions} == {
        "age",
        "income",
        "assets",
        "debt",
        "experience",
        "knowledge",
        "goal",
        "horizon",
        "loss_tolerance",
        "varieties",
    }
    assert all(q.text_zh and q.text_en for q in questions)
    assert Option.objects.filter(question__questionnaire=questionnaire, lowest_category=True).count() == 1
    assert [q.code for q in questions if q.multi_select] == ["varieties"]


def test_level_boundaries_follow_the_bands():
    bands = current().score_bands
    assert [level_for_score(s, bands) for s in (0, 19, 20, 36, 37, 53, 54, 82, 83, 100)] == [
        "C1",
        "C1",
        "C2",
        "C2",
        "C3",
        "C3",
        "C4",
        "C4",
        "C5",
        "C5",
    ]


def test_a_published_question_cannot_be_edited_through_the_service(make_staff):
    admin = make_staff(Role.ADMIN)
    question = current().questions.get(code="age")

    with pytest.raises(ApplicationError) as excinfo:
        question_update(actor=admin, question_id=question.pk, text_zh="改过的题目")

    assert excinfo.value.code == "questionnaire_published"
    assert excinfo.value.message == "问卷 IND-RISK 第 1 版已发布，不能修改；请新建版本。"
    question.refresh_from_db()
    assert question.text_zh == "您的年龄是？"


def test_a_published_questionnaire_cannot_be_changed_even_by_saving_the_models():
    questionnaire = current()
    question = questionnaire.questions.get(code="loss_tolerance")
    option = question.options.get(code="A")

    questionnaire.title_zh = "改过"
    question.text_zh = "改过"
    option.score = 50
    for model in (questionnaire, question, option):
        with pytest.raises(ApplicationError) as excinfo:
            model.save()
        assert excinfo.value.code == "questionnaire_published"
        with pytest.raises(ApplicationError):
            model.delete()
    with pytest.raises(ApplicationError):
        Question(questionnaire=questionnaire, order=99, code="new", text_zh="新", text_en="New", dimension="age").save()

    assert Questionnaire.objects.get(pk=questionnaire.pk).title_zh == "个人投资者风险承受能力评估问卷"
    assert Option.objects.get(pk=option.pk).score == 0
    assert questionnaire.questions.count() == 15


def test_the_admin_refuses_to_edit_a_published_questionnaire(make_staff, client):
    admin = make_staff(Role.ADMIN)
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    question = current().questions.get(code="age")

    response = client.post(
        f"/admin/suitability/question/{question.pk}/change/",
        {"text_zh": "改过", "text_en": "x", "order": 1, "code": "age", "dimension": "age"},
    )

    assert response.status_code == 403
    question.refresh_from_db()
    assert question.text_zh == "您的年龄是？"


def _draft(admin, version=2):
    return questionnaire_draft_create(
        actor=admin,
        code="IND-RISK",
        version=version,
        audience=Audience.INDIVIDUAL,
        title_zh="个人投资者风险承受能力评估问卷（第二版）",
        title_en="Risk tolerance questionnaire for individuals, v2",
        score_bands=SPEC_BANDS,
        questions=[
            {
                "code": "loss_tolerance",
                "dimension": "loss_tolerance",
                "text_zh": "您能承受的最大损失？",
                "text_en": "Largest loss you can bear?",
                "options": [
                    {"code": "A", "text_zh": "不能承受", "text_en": "None", "score": 0, "lowest_category": True},
                    {"code": "B", "text_zh": "可以承受", "text_en": "Some", "score": 100},
                ],
            },
            {
                "code": "horizon",
                "dimension": "horizon",
                "text_zh": "期限？",
                "text_en": "Horizon?",
                "options": [{"code": "A", "text_zh": "长期", "text_en": "Long", "score": 0, "horizon": "long"}],
            },
        ],
    )


def test_a_draft_is_editable_and_publishing_it_supersedes_the_old_version(make_staff):
    admin = make_staff(Role.ADMIN)
    old = current()
    draft = _draft(admin)

    question_update(actor=admin, question_id=draft.questions.get(code="horizon").pk, text_zh="投资期限？")
    questionnaire_publish(actor=admin, questionnaire_id=draft.pk)

    old.refresh_from_db()
    assert old.status == QuestionnaireStatus.SUPERSEDED
    assert current().pk == draft.pk
    assert current().questions.get(code="horizon").text_zh == "投资期限？"
    assert old.history.first().history_change_reason == "superseded by IND-RISK v2"


def test_publishing_twice_is_refused(make_staff):
    admin = make_staff(Role.ADMIN)
    with pytest.raises(ApplicationError) as excinfo:
        questionnaire_publish(actor=admin, questionnaire_id=current().pk)
    assert excinfo.value.code == "questionnaire_not_draft"


def test_a_clerk_cannot_create_questionnaires(make_staff):
    with pytest.raises(ApplicationError) as excinfo:
        _draft(make_staff(Role.CLERK))
    assert excinfo.value.code == "permission_denied"
    assert Questionnaire.objects.count() == 2
