"""At the counter: a clerk runs the risk questionnaire with a client, sees the level, checks a product above
it, sees the mismatch and records the client's confirmation of the special written warning."""

import pytest

from accounts.roles import Role
from archive.models import Document
from suitability.models import MatchDecision, MismatchConfirmation
from suitability.selectors import questionnaire_current
from suitability.services import product_create
from suitability.tasks import assessment_result_generate_task, mismatch_warning_generate_task
from tests.e2e.conftest import login
from tests.suitability.conftest import answers_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_counter_questionnaire_then_mismatch_confirmed(page, make_staff, screenshot):
    from accounts.models import Branch
    from accounts.services import client_register

    clerk = make_staff(Role.CLERK, username="clerk1", full_name="王柜台")
    product_create(
        actor=make_staff(Role.ADMIN), code="EQ01", name="成长精选混合", risk="R4", horizon="medium", variety="fund"
    )
    customer, _ = client_register(
        actor=clerk,
        kind="individual",
        name="李四",
        id_type="resident_id",
        id_number="11010519491231002X",  # born 1949: enhanced care (70+) applies
        branch=Branch.objects.get(code="T001"),
    )
    questionnaire = questionnaire_current(audience="individual")
    answers = answers_for(questionnaire, total=30, horizon="short", varieties=("fixed_income",))

    login(page, "clerk1")
    page.wait_for_url("**/")
    page.goto(f"/suitability/clients/{customer.pk}/")
    page.get_by_role("heading", name=f"适当性档案 · {customer.client_no} 李四").wait_for()
    assert "尚未测评" in page.get_by_test_id("suitability-card").inner_text()
    screenshot("suitability-card-empty")

    # the questionnaire at the counter: one long form
    page.get_by_test_id("start-assessment").click()
    page.get_by_test_id("questionnaire").wait_for()
    for code, picked in answers.items():
        for option in picked if isinstance(picked, list) else [picked]:
            page.locator(f'input[name="{code}"][value="{option}"]').check()
    screenshot("suitability-questionnaire")
    page.get_by_test_id("submit-assessment").click()

    page.get_by_test_id("risk-level").wait_for()
    assert page.get_by_test_id("risk-level").inner_text() == "C2"
    assert "测评完成：C2（30分）" in page.locator(".messages").inner_text()
    screenshot("suitability-card-assessed")

    # the result PDF is rendered by the worker after commit; here the task runs in the test
    assessment = customer.assessments.get()
    document = Document.objects.get(pk=assessment_result_generate_task(assessment.pk))
    assert document.kind == "questionnaire_result"

    # match check for a product above the client's level
    page.get_by_test_id("match-check").click()
    assert page.get_by_label("客户号").input_value() == customer.client_no
    page.get_by_label("产品").select_option("EQ01")
    page.get_by_role("button", name="检查").click()
    result = page.get_by_test_id("match-result")
    result.wait_for()
    assert result.locator("h2").get_attribute("data-outcome") == "mismatch"
    text = result.inner_text()
    assert "产品风险等级R4高于客户风险承受能力等级C2。" in text
    assert "须向客户出具特别风险警示书" in text
    assert "客户已满70周岁" in text
    screenshot("suitability-mismatch")

    # the client insists: the clerk records the signed warning
    form = page.get_by_test_id("mismatch-confirm")
    form.get_by_label("确认渠道").select_option("counter")
    form.get_by_label("客户已阅读并签署特别风险警示书").check()
    form.get_by_test_id("confirm-mismatch").click()
    page.get_by_test_id("suitability-card").wait_for()
    decision = MatchDecision.objects.get()
    assert f"匹配记录 #{decision.pk}" in page.locator(".messages").inner_text()
    assert "clerk1" in page.get_by_test_id("decisions").inner_text()
    screenshot("suitability-confirmed")

    confirmation = MismatchConfirmation.objects.get()
    assert (confirmation.staff.username, confirmation.channel) == ("clerk1", "counter")
    warning = Document.objects.get(pk=mismatch_warning_generate_task(confirmation.pk))
    assert (warning.kind, warning.related) == ("suitability_warning", confirmation)
