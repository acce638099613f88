"""A callback agent works the pre-activation callback in the browser: queue → script → five confirmations → passed."""

import pytest

from accounts.models import AccountStatus, FundAccount
from accounts.roles import Role
from callbacks.services import callback_tasks_sweep
from onboarding import services as onboarding_services
from onboarding.models import ApplicationStatus
from tests.e2e.conftest import login
from tests.onboarding.conftest import person
from tests.onboarding.test_services import _whole_journey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
AGENT = {"name": "赵父", "id_type": "resident_id", "id_number": "360426199101010071", "relationship": "authorised"}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.usefixtures("reference_data")
def test_agent_works_a_callback_and_the_accounts_become_active(page, make_staff, screenshot):
    clerk = make_staff(Role.CLERK, full_name="王柜台")
    reviewer = make_staff(Role.REVIEWER, full_name="李复核")
    make_staff(Role.CALLBACK_AGENT, username="agent1", full_name="陈回访")
    app = onboarding_services.application_create(
        actor=clerk, channel="counter", client=person(name="赵六"), agent=AGENT, bank_code="ICBC",
        bank_account="6222020000000000001",
    )  # fmt: skip
    app = _whole_journey(clerk, reviewer, app)
    callback_tasks_sweep()

    login(page, "agent1")
    page.wait_for_url("**/")
    page.get_by_role("link", name="我的回访任务").click()
    page.get_by_role("heading", name="我的回访任务").wait_for()
    row = page.locator("#due-now tr[data-task]")
    assert row.count() == 1
    screenshot("callbacks-queue")
    row.get_by_role("link", name="回访").click()

    page.get_by_role("heading", name="回访话术与五项确认").wait_for()
    body = page.content()
    assert app.client.phone not in body and "139****5678" in body  # the client's data is masked
    assert page.locator("li[data-confirmation]").count() == 6  # five confirmations + the agent's identity
    page.get_by_label("回访方式").select_option("phone")
    page.get_by_label("回访结果").select_option("connected")
    for item in page.locator("li[data-confirmation]").all():
        item.locator("input[value=yes]").check()
    page.get_by_label("录音编号").fill("REC-20261121-0001")
    screenshot("callbacks-script")
    page.get_by_role("button", name="提交回访记录").click()

    assert page.get_by_test_id("task-status").inner_text() == "回访通过"
    page.get_by_text("已记录第 1 次回访，任务状态：回访通过").wait_for()
    screenshot("callbacks-passed")
    app.refresh_from_db()
    assert app.status == ApplicationStatus.ACTIVE
    assert FundAccount.objects.get(client=app.client).status == AccountStatus.ACTIVE

    page.get_by_role("link", name="该客户的回访历史").click()
    page.get_by_role("heading", name=f"回访历史 · 赵六（{app.client.client_no}）").wait_for()
    screenshot("callbacks-client-history")
