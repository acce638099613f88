"""The clerk enters a client data change and a reviewer approves it, in headless Chromium."""

import pytest

from accounts import services as svc
from accounts.crypto import blind_index
from accounts.models import ChangeRequest, Client
from accounts.roles import Role
from archive.models import Document
from archive.services import change_slips_generate
from tests.accounts.changes_support import PDF, PNG, client_with_accounts, holders
from tests.e2e.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_clerk_enters_a_change_and_the_reviewer_approves_it(page, make_staff, screenshot, tmp_path):
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
    # what is synced, and which documents are asked for, are on the form
    assert "总是同步一码通" in page.get_by_test_id("sync-rules").inner_text()
    docs = page.locator("[data-section=documents]")
    for label in ("新证件影像（正面）", "新证件影像（反面）", "签字的证券账户业务申请表", "其他证明材料（可选）"):
        assert docs.get_by_label(label).get_attribute("type") == "file"

    # a wrong phone number is refused with the reason, nothing saved
    page.get_by_label("手机号码").fill("12345")
    page.get_by_test_id("submit-change").click()
    assert "手机号码无效" in page.get_by_test_id("form-error").inner_text()
    assert not ChangeRequest.objects.exists()

    # a key change (name) with ordinary data; without the documents it is refused and nothing is saved
    page.get_by_label("手机号码").fill("13912345678")
    page.get_by_label("联系地址").fill("上海市浦东新区世纪大道100号")
    page.get_by_label("职业").fill("工程师")
    page.get_by_label("姓名/名称").fill("张三丰")
    page.get_by_test_id("submit-change").click()
    assert page.get_by_test_id("documents-error").inner_text() == (
        "缺少证明材料：新证件影像（正面）、客户签字的《证券账户业务申请表》。请上传后再提交。"
    )
    assert not ChangeRequest.objects.exists() and not Document.objects.exists()

    # the clerk uploads the new ID scan and the signed application form in the form itself
    scan, form = tmp_path / "新身份证正面.png", tmp_path / "证券账户业务申请表.pdf"
    scan.write_bytes(PNG)
    form.write_bytes(PDF)
    assert page.get_by_label("姓名/名称").input_value() == "张三丰"  # typed values survive the refusal
    page.get_by_label("新证件影像（正面）").set_input_files(str(scan))
    page.get_by_label("签字的证券账户业务申请表").set_input_files(str(form))
    screenshot("changes-form")
    page.get_by_test_id("submit-change").click()
    assert page.get_by_test_id("request-status").inner_text() == "待复核"
    req = ChangeRequest.objects.get()
    stored = Document.objects.filter(pk__in=req.documents).order_by("pk")
    assert [(d.kind, d.original_filename, d.client_id) for d in stored] == [
        ("id_front", "新身份证正面.png", client.pk),
        ("account_application_signed", "证券账户业务申请表.pdf", client.pk),
    ]
    assert (req.kind, req.sync_targets) == ("key", ["csdc"])
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
    documents = page.get_by_test_id("documents").inner_text()  # the reviewer sees and can open the files
    assert "证件正面" in documents and "证券账户业务申请表" in documents
    screenshot("changes-review")
    page.get_by_test_id("approve").click()
    assert page.get_by_test_id("request-status").inner_text() == "已复核，待同步"

    # the CSDC workflow (a Celery task in production; tests/accounts/test_changes_worker.py) run in-process
    assert svc.change_request_sync(request_id=req.pk) == "applied"
    page.reload()
    assert page.get_by_test_id("request-status").inner_text() == "已生效"
    client = Client.objects.get(pk=client.pk)
    assert (client.name, client.phone, client.occupation, client.version) == ("张三丰", "+8613912345678", "工程师", 1)
    assert holders(client) == {("张三丰", "resident_id", blind_index(client.id_number))}

    # the confirmation slip is filed by the archive sweeper and linked from the timeline
    assert change_slips_generate() == 1
    page.reload()
    page.get_by_test_id("slip-link").wait_for()
    assert "变更生效" in page.get_by_test_id("timeline").inner_text()
    screenshot("changes-applied")
