"""A counter clerk opens a client's file, uploads an ID scan, sees the checklist update and reveals the ID."""

import pytest
from PIL import Image, ImageDraw

from accounts.models import Branch, PiiReveal
from accounts.roles import Role
from accounts.services import client_register
from archive.models import Document, DocumentAccess
from tests.e2e.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ID = "11010519491231002X"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def id_scan(path) -> str:
    image = Image.new("RGB", (856, 540), "#e8f0f8")
    draw = ImageDraw.Draw(image)
    draw.rectangle([40, 40, 300, 360], outline="#1f3b5c", width=6)
    draw.rectangle([340, 80, 800, 120], fill="#9fb3c8")
    draw.rectangle([340, 160, 700, 200], fill="#9fb3c8")
    draw.rectangle([340, 420, 800, 470], fill="#1f3b5c")
    image.save(path, format="JPEG")
    return str(path)


def test_clerk_uploads_an_id_scan_and_reveals_the_id_number(page, make_staff, screenshot, tmp_path):
    clerk = make_staff(Role.CLERK, username="clerk1", full_name="王柜台")
    zhang, _ = client_register(
        actor=clerk,
        kind="individual",
        name="张三",
        id_type="resident_id",
        id_number=ID,
        branch=Branch.objects.get(code="T001"),
        phone="13812345678",
        address="北京市西城区金融大街1号",
    )
    login(page, "clerk1")
    page.wait_for_url("**/")

    # from the workbench to the client's file through the search (exact ID number)
    page.get_by_role("link", name="客户档案查询").click()
    page.get_by_label("姓名/名称（前缀）、客户号或完整证件号码").fill(ID)
    page.keyboard.press("Enter")
    page.get_by_role("link", name=zhang.client_no).wait_for()
    assert ID not in page.url  # searched by POST: the ID number stays out of URLs and logs
    assert page.locator("#client-results").inner_text().count("1101**********002X") == 1
    assert ID not in page.locator("#client-results").inner_html()
    screenshot("client-search")
    page.get_by_role("link", name=zhang.client_no).click()

    page.get_by_role("heading", name=f"客户档案 · {zhang.client_no} 张三").wait_for()
    assert page.get_by_test_id("pii-id_number").inner_text() == "1101**********002X"
    assert page.locator('tr[data-kind="id_front"]').get_attribute("data-present") == "0"
    assert page.get_by_test_id("checklist-summary").inner_text() == "缺 6 项"
    screenshot("client-file-empty")

    # upload the ID scan with the keyboard: choose the kind, attach the file, submit
    page.get_by_label("文件类型").focus()
    page.get_by_label("文件类型").select_option("id_front")
    page.get_by_label("文件", exact=True).set_input_files(id_scan(tmp_path / "id-front.jpg"))
    page.get_by_role("button", name="上传并存档").focus()
    page.keyboard.press("Enter")

    page.get_by_text("已存档：身份证件正面 id-front.jpg").wait_for()
    row = page.locator('tr[data-kind="id_front"]')
    assert row.get_attribute("data-present") == "1"
    assert page.get_by_test_id("checklist-summary").inner_text() == "缺 5 项"
    thumbnail = page.get_by_role("img", name="身份证件正面缩略图")
    thumbnail.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    assert Document.objects.get().kind == "id_front"
    assert DocumentAccess.objects.filter(action="thumbnail", actor=clerk).exists()
    screenshot("client-file-uploaded")

    # reveal the ID number: an explicit, logged action
    page.get_by_role("button", name="显示证件号码").click()
    page.get_by_test_id("pii-id_number").filter(has_text=ID).wait_for()
    assert page.get_by_test_id("pii-phone").inner_text() == "138****5678"
    assert page.get_by_text("已显示明文，本次查看已记录").is_visible()
    reveal = PiiReveal.objects.get()
    assert (reveal.actor_id, reveal.field, reveal.granted) == (clerk.pk, "id_number", True)
    screenshot("client-file-revealed")


def test_a_mislabelled_pdf_is_refused_on_the_page(page, make_staff, screenshot, tmp_path):
    clerk = make_staff(Role.CLERK, username="clerk2")
    zhang, _ = client_register(
        actor=clerk,
        kind="individual",
        name="张三",
        id_type="resident_id",
        id_number=ID,
        branch=Branch.objects.get(code="T001"),
    )
    fake = tmp_path / "协议.pdf"
    fake.write_text("this is only text\n")
    login(page, "clerk2")
    page.wait_for_url("**/")
    page.goto(f"/archive/clients/{zhang.pk}/")

    page.get_by_label("文件类型").select_option("agreement_signed")
    page.get_by_label("文件", exact=True).set_input_files(str(fake))
    page.get_by_role("button", name="上传并存档").click()

    alert = page.locator("#id_file-error")
    alert.wait_for()
    assert "只接受 PDF、JPEG 或 PNG 文件" in alert.inner_text()
    assert Document.objects.count() == 0
    screenshot("client-file-upload-refused")
