import pytest

from accounts.roles import Role
from tests.e2e.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clerk_logs_in_and_sees_the_workbench(page, make_staff, screenshot):
    make_staff(Role.CLERK, username="clerk1", full_name="王柜台")

    login(page, "clerk1")

    page.wait_for_url("**/")
    assert page.get_by_role("heading", name="工作台").is_visible()
    assert page.get_by_test_id("whoami").inner_text().startswith("王柜台")
    assert page.locator("[data-role=clerk]").is_visible()
    screenshot("home-clerk")


def test_wrong_password_stays_on_the_login_page(page, make_staff, screenshot):
    make_staff(Role.CLERK, username="clerk1")

    login(page, "clerk1", "wrong-password")

    assert page.get_by_role("alert").is_visible()
    assert "/login/" in page.url
    screenshot("login-error")


def test_language_switch_translates_the_page(page, make_staff, screenshot):
    make_staff(Role.COMPLIANCE, username="co2")
    login(page, "co2")
    page.wait_for_url("**/")

    page.select_option("#lang", "en")

    page.get_by_role("heading", name="Workbench").wait_for()
    assert page.get_by_role("button", name="Log out").is_visible()
    assert page.get_by_text("Compliance officer (合规)").is_visible()  # regulatory terms keep their Chinese name
    screenshot("home-compliance-en")
