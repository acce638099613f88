"""The clerk enters a client data change and a reviewer approves it, in headless Chromium."""

import pytest

from accounts.models import ChangeRequest, Client
from accounts.roles import Role
from archive.services import change_slips_generate
from tests.accounts.changes_support import client_with_accounts
from tests.e2e.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_clerk_enters_a_change_and_the_reviewer_approves_it(page, make_staff, screenshot):
    clerk = make_staff(Role.CLERK, username="clerk1", full_name="王柜台")
    make_staff(Role.REVIEWER, username="reviewer1", full_name="李复核")
    client = client_with_accounts(clerk)

    # the clerk finds the client and sees ordinary and key data apart, personal data masked
    login(page, "clerk1")
    page.wait_for_url("**/")
    page.get_by_role("link", name="客户资料变更").click()
    page.get_by_label("证件号码、客户号或姓名").fill(client.client_no)
    page.get_by_role("button", name="查询").click()
    page.get_by_role("link", name="资料变更").last.click()
    page.get_by_role("heading", name="重要资料（关键信息）变更").wait_for()
    body = page.content()
    assert client.id_number not in body and "138****8000" in body
    assert "第十二条" in page.locator("[data-section=key]").inner_text()

    # a wrong phone number is refused with the reason, nothing saved
    page.get_by_label("手机号码").fill("12345")
    page.get_by_test_id("submit-change").click()
    assert "手机号码无效" in page.get_by_test_id("form-error").inner_text()
    assert not ChangeRequest.objects.exists()

    page.get_by_label("手机号码").fill("13912345678")
    page.get_by_label("联系地址").fill("上海市浦东新区世纪大道100号")
    page.get_by_label("职业").fill("工程师")
    screenshot("changes-form")
    page.get_by_test_id("submit-change").click()
    assert page.get_by_test_id("request-status").inner_text() == "待复核"
    page.get_by_text("须由其他复核岗人员复核").wait_for()  # the clerk cannot approve their own request
    assert page.get_by_test_id("review-form").count() == 0
    page.get_by_role("button", name="退出").click()

    # the reviewer sees it in the queue, old and new side by side (masked), and approves
    login(page, "reviewer1")
    page.wait_for_url("**/")
    page.get_by_role("link", name="资料变更复核队列").click()
    assert page.get_by_test_id("queue-count").inner_text() == "1"
    screenshot("changes-queue")
    page.locator("[data-testid=change-requests] a").first.click()
    table = page.get_by_test_id("old-new").inner_text()
    assert "138****8000" in table and "139****5678" in table and "13912345678" not in table
    screenshot("changes-review")
    page.get_by_test_id("approve").click()
    assert page.get_by_test_id("request-status").inner_text() == "已生效"

    client = Client.objects.get(pk=client.pk)
    assert (client.phone, client.occupation, client.version) == ("+8613912345678", "工程师", 1)

    # the confirmation slip is filed by the archive sweeper and linked from the timeline
    assert change_slips_generate() == 1
    page.reload()
    page.get_by_test_id("slip-link").wait_for()
    assert "变更生效" in page.get_by_test_id("timeline").inner_text()
    screenshot("changes-applied")
