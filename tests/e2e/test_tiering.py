"""Tier dashboards in headless Chromium with demo data (screenshots in var/screenshots/tiering-*.png)."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from accounts.roles import Role
from tests.e2e.conftest import login
from tiering import services
from tiering.demo import demo_data_generate
from tiering.models import ClientTier, PolicyStatus, TierChange, TierPolicy

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(make_staff):
    # a transactional test starts from a flushed database: restore the shipped data it needs
    if not TierPolicy.objects.filter(status=PolicyStatus.ACTIVE).exists():
        importlib.import_module("tiering.migrations.0002_default_policy_and_entitlements").forwards(apps, None)
    from suitability.models import Questionnaire

    if not Questionnaire.objects.exists():
        from django.db import connection
        from django.db.migrations.loader import MigrationLoader

        state = MigrationLoader(connection).project_state(("suitability", "0002_default_questionnaires"))
        importlib.import_module("suitability.migrations.0002_default_questionnaires").create(state.apps, None)
    admin = make_staff(Role.ADMIN, username="admin1", full_name="赵管理")
    manager = make_staff(Role.ACCOUNT_MANAGER, username="am1", full_name="钱经理")
    # a month ago: a first recompute; today: new metrics for everyone, a second one (movers for the matrix)
    month_ago = timezone.localdate() - datetime.timedelta(days=30)
    demo_data_generate(clients=400, seed=11, as_of=month_ago)
    services.tier_recompute_run(run_id=services.tier_recompute_request(actor=admin, as_of=month_ago).pk)
    TierChange.objects.update(changed_at=timezone.now() - datetime.timedelta(days=30))
    demo_data_generate(clients=100, seed=12)
    services.tier_recompute_run(run_id=services.tier_recompute_request(actor=admin).pk)
    return {"admin": admin, "manager": manager}


def test_dashboards_render_with_demo_data(page, screenshot, demo):
    login(page, "am1")
    page.goto("/tiering/")
    page.get_by_test_id("tier-distribution").wait_for()
    for dim in ("age_band", "education", "occupation", "experience_band", "risk_level"):
        assert page.get_by_test_id(f"chart-{dim}").locator("svg rect").count() >= 2
    assert "关键客户" in page.get_by_test_id("tier-distribution").inner_text() or "A" in page.content()
    screenshot("tiering-dashboard")

    page.get_by_test_id("tier-filters").get_by_label("年龄段").select_option("30-45")
    page.get_by_role("button", name="筛选").click()
    assert "age_band=30-45" in page.url
    screenshot("tiering-dashboard-filtered")

    today = timezone.localdate()
    page.goto(f"/tiering/migration/?from={today - datetime.timedelta(days=15)}&to={today}")
    matrix = page.get_by_test_id("migration-matrix")
    assert "A" in matrix.inner_text()
    screenshot("tiering-migration")

    top = ClientTier.objects.filter(tier="A").select_related("client").first()
    page.goto(f"/tiering/clients/{top.client_id}/")
    assert "专属客户经理" in page.get_by_test_id("entitlements").inner_text()
    screenshot("tiering-client")


def test_what_if_in_the_browser(page, screenshot, demo):
    admin = demo["admin"]
    rules = services.policy_rules(TierPolicy.objects.get(status=PolicyStatus.ACTIVE))
    rules[0]["criteria"] = [{"metric": "contribution_12m", "top_percent": 10}]
    draft = services.policy_draft_create(actor=admin, rules=rules, note="A 放宽到前10%")
    login(page, "admin1")
    page.goto(f"/tiering/policies/{draft.pk}/")
    page.get_by_test_id("what-if").click()
    result = page.get_by_test_id("what-if-result")
    result.wait_for()
    assert "上调" in result.inner_text()
    screenshot("tiering-what-if")
