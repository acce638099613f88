"""Compliance officer in the browser: audit timeline with diffs, chain check, dossier export page."""

import pytest

from accounts.audit import audited_save
from accounts.models import Branch, PiiField, PiiReveal
from accounts.roles import Role
from accounts.services import client_register
from archive.services import document_store
from tests.e2e.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def zhang(make_staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    clerk = make_staff(Role.CLERK, username="clerk1", full_name="王柜台")
    client, _ = client_register(
        actor=clerk,
        kind="individual",
        name="张三",
        id_type="resident_id",
        id_number="11010519491231002X",
        branch=Branch.objects.get(code="T001"),
        phone="13812345678",
    )
    client.occupation = "工程师"
    audited_save(client, actor=clerk, reason="客户申请修改职业")
    document_store(actor=clerk, client=client, kind="id_front", content=PDF, filename="身份证正面.pdf")
    return client


def test_compliance_reads_the_timeline_checks_the_chain_and_exports(page, make_staff, screenshot, zhang):
    from archive.models import DossierExport
    from archive.services import dossier_export_build

    make_staff(Role.COMPLIANCE, username="officer1", full_name="李合规")
    login(page, "officer1")
    page.wait_for_url("**/")

    # from the workbench: the compliance panel links the audit explorer, the chain check and client search
    for name in ("审计查询", "防篡改校验", "客户档案查询"):
        assert page.get_by_role("link", name=name).is_visible()
    screenshot("workbench-compliance")
    page.get_by_role("link", name="审计查询").click()
    page.wait_for_url("**/archive/audit/")
    page.goto(f"/archive/audit/?q={zhang.client_no}")
    page.get_by_role("link", name=f"{zhang.client_no} 张三").click()
    rows = page.locator("#audit-entries > tbody > tr")
    assert rows.count() == 3
    assert page.get_by_text("客户申请修改职业").is_visible()
    assert "138****5678" in page.content()
    screenshot("audit-client-timeline")

    page.get_by_label("变更类型").select_option("~")
    page.get_by_role("button", name="筛选").click()
    assert rows.count() == 1

    # revealing personal data is an explicit, logged action (a POST through accounts' reveal service)
    page.get_by_label("变更类型").select_option("+")
    page.get_by_role("button", name="筛选").click()
    page.get_by_test_id("reveal").click()
    page.get_by_test_id("revealed").wait_for()
    assert "+8613812345678" in page.content()
    assert rows.count() == 2  # the filter survived the reveal
    screenshot("audit-client-revealed")
    assert PiiReveal.objects.filter(client=zhang, actor__username="officer1", granted=True).count() == len(
        PiiField.values
    )
    page.get_by_role("link", name="隐藏个人信息").click()
    assert "138****5678" in page.content() and "+8613812345678" not in page.content()

    page.goto("/archive/audit/chain/")
    assert page.get_by_test_id("chain-ok").is_visible()
    screenshot("audit-chain")

    page.goto(f"/archive/audit/clients/{zhang.pk}/")
    page.get_by_role("button", name="导出客户档案包（ZIP）").click()
    page.wait_for_url("**/archive/audit/dossiers/*/")
    assert page.locator("#dossier-status").get_attribute("data-status") == "queued"
    # No worker in this test: build in-process; the page's polling picks the result up.
    dossier_export_build(export_id=DossierExport.objects.get().pk)
    page.locator("#dossier-download").wait_for(state="visible")
    assert page.locator("#dossier-status").inner_text() == "已完成"
    screenshot("audit-dossier")
