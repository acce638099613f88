"""The opening wizard in headless Chromium: counter, agent, witnessed and institution journeys, clicked
through step by step by a clerk, reviewed by a reviewer, and the accounts opened."""

import datetime

import pytest

from accounts.models import FundAccount
from accounts.roles import Role
from onboarding.models import Application
from tests.e2e.conftest import login
from tests.onboarding.conftest import company, file_documents, person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def staff(make_staff):
    return {
        "clerk": make_staff(Role.CLERK, username="clerk1", full_name="王柜台"),
        "reviewer": make_staff(Role.REVIEWER, username="reviewer1", full_name="李复核"),
        "witness": make_staff(
            Role.WITNESS,
            username="witness1",
            full_name="张见证",
            qualification_no="S0101",
            witness_trained_on=datetime.date(2026, 3, 1),
        ),  # fmt: skip
    }


def _fill_client(page, data: dict) -> None:
    page.get_by_label("客户类型").select_option(data["kind"])
    page.get_by_label("客户姓名/机构名称").fill(data["name"])
    page.locator("#id_id_type").select_option(data["id_type"])
    page.locator("#id_id_number").fill(data["id_number"])
    if data.get("id_valid_until"):
        page.get_by_label("证件有效期至").fill(data["id_valid_until"].isoformat())
    if data.get("phone"):
        page.get_by_label("手机号码").fill(data["phone"])
    if data.get("legal_rep_name"):
        page.get_by_label("法定代表人（机构）").fill(data["legal_rep_name"])
    page.get_by_label("存管银行").select_option("ICBC")
    page.get_by_label("银行账号").fill("6222020000000000001")


def _fill_agent(page, relationship: str) -> None:
    page.get_by_label("由代理人/经办人办理").check()
    page.get_by_label("代理人姓名").fill("周代理")
    page.get_by_label("代理人证件类型").select_option("resident_id")
    page.get_by_label("代理人证件号码").fill("360426199101010071")
    page.get_by_label("代理关系").select_option(relationship)


def _answer_questionnaire(page) -> None:
    """Pick the last option of every question (a middle-of-the-road investor is not needed here)."""
    for fieldset in page.locator("[data-testid=questionnaire] fieldset").all():
        options = fieldset.locator("input")
        options.nth(options.count() - 1).check()
    page.get_by_test_id("submit-assessment").click()


def _state(page, step: str) -> str:
    return page.locator(f'[data-testid=steps] li[data-step="{step}"]').get_attribute("data-state")


def _journey(page, screenshot, staff, name: str, *, fill) -> Application:
    login(page, "clerk1")
    page.wait_for_url("**/")
    page.get_by_role("link", name="新建开户申请").click()
    fill(page)
    screenshot(f"onboarding-{name}-1-new")
    page.get_by_test_id("create-application").click()

    page.get_by_test_id("identity-check").wait_for()
    app = Application.objects.latest("pk")
    assert _state(page, "identity") == "current"
    assert app.client.id_number not in page.content()  # personal data masked
    page.get_by_test_id("identity-check").click()

    page.get_by_test_id("disclose").wait_for()
    assert _state(page, "identity") == "done"
    screenshot(f"onboarding-{name}-2-disclose")
    page.get_by_test_id("disclose").click()

    page.get_by_test_id("assess").wait_for()
    page.get_by_test_id("go-questionnaire").click()
    _answer_questionnaire(page)
    page.get_by_text("测评完成").wait_for()
    page.goto(f"/onboarding/{app.pk}/")
    page.get_by_test_id("assess").click()

    page.get_by_test_id("submit").wait_for()
    assert _state(page, "submit") == "blocked"
    screenshot(f"onboarding-{name}-3-documents")
    page.get_by_test_id("submit").click()  # refused: the file is incomplete
    assert "缺少必备材料" in page.get_by_test_id("step-error").inner_text()
    page.get_by_test_id("go-upload").click()
    page.get_by_role("heading", name=f"客户档案 · {app.client.client_no} {app.client.name}").wait_for()
    file_documents(staff["clerk"], app)  # the upload page has its own browser test
    page.goto(f"/onboarding/{app.pk}/")
    assert _state(page, "documents") == "done"
    page.get_by_test_id("submit").click()
    page.get_by_text("等待其他复核岗人员复核").wait_for()

    page.get_by_role("button", name="退出").click()
    login(page, "reviewer1")
    page.wait_for_url("**/")
    page.get_by_role("link", name="开户复核队列").click()
    page.get_by_role("link", name=f"#{app.pk}").click()
    page.get_by_label("通过").check()
    page.get_by_label("复核意见").fill("资料齐全，同意开户")
    screenshot(f"onboarding-{name}-4-review")
    page.get_by_test_id("review").click()
    page.locator(".msg-success", has_text="复核已完成").wait_for()

    page.get_by_role("button", name="退出").click()
    login(page, "clerk1")
    page.wait_for_url("**/")
    page.goto(f"/onboarding/{app.pk}/")
    page.get_by_test_id("open-accounts").click()
    page.get_by_test_id("accounts").wait_for()
    assert page.get_by_test_id("status").inner_text() == "已开户待回访"
    screenshot(f"onboarding-{name}-5-opened")
    app.refresh_from_db()
    assert app.status == "accounts_opened"
    assert FundAccount.objects.filter(client=app.client).count() == 1
    return app


def test_individual_at_the_counter(page, screenshot, staff):
    app = _journey(page, screenshot, staff, "counter", fill=lambda p: _fill_client(p, person(name="赵六")))
    assert app.channel == "counter" and not app.has_agent


def test_individual_through_an_agent(page, screenshot, staff):
    def fill(p):
        _fill_client(p, person(name="钱八"))
        _fill_agent(p, "authorised")

    app = _journey(page, screenshot, staff, "agent", fill=fill)
    assert app.has_agent
    assert set(app.identity_checks.values_list("subject", flat=True)) == {"client", "agent"}


def test_witnessed_opening(page, screenshot, staff):
    def fill(p):
        p.get_by_role("radio", name="见证开户").check()
        _fill_client(p, person(name="孙九"))
        p.locator("#id_witness").select_option(str(staff["witness"].pk))
        p.locator(f'input[name=met_by][value="{staff["clerk"].pk}"]').check()
        p.locator(f'input[name=met_by][value="{staff["witness"].pk}"]').check()

    app = _journey(page, screenshot, staff, "witnessed", fill=fill)
    assert app.channel == "witnessed" and app.witness == staff["witness"]


def test_institution(page, screenshot, staff):
    def fill(p):
        _fill_client(p, company())
        _fill_agent(p, "staff")

    app = _journey(page, screenshot, staff, "institution", fill=fill)
    assert app.client.kind == "institution"


def test_errors_are_shown_next_to_the_fields(page, screenshot, staff, make_staff):
    sales = make_staff(Role.WITNESS, username="sales1", full_name="营销员", is_marketing_role=True, qualification_no="S9",
                       witness_trained_on=datetime.date(2026, 3, 1))  # fmt: skip
    login(page, "clerk1")
    page.wait_for_url("**/")
    page.goto("/onboarding/new/")
    data = person(name="周十")
    good = data["id_number"]
    data["id_number"] = good[:-1] + ("1" if good[-1] == "0" else "0")
    _fill_client(page, data)
    page.get_by_test_id("create-application").click()
    error = page.locator("#id_id_number-error")
    error.wait_for()
    assert "校验位" in error.inner_text()
    assert page.locator("#id_id_number").get_attribute("aria-invalid") == "true"
    screenshot("onboarding-new-error-id")

    page.locator("#id_id_number").fill(good)
    page.get_by_role("radio", name="见证开户").check()
    page.locator("#id_witness").select_option(str(sales.pk))
    page.locator(f'input[name=met_by][value="{staff["clerk"].pk}"]').check()
    page.locator(f'input[name=met_by][value="{sales.pk}"]').check()
    page.get_by_test_id("create-application").click()
    error = page.locator("#id_witness-error")
    error.wait_for()
    assert "从事营销岗位" in error.inner_text()
    screenshot("onboarding-new-error-witness")
    assert Application.objects.count() == 0
