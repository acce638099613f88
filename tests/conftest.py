"""Shared fixtures, and the rule for tests that need a real service.

Tests marked `postgres`, `redis`, `worker` or `browser` run only when that service is there. When it is
missing they are skipped loudly — or, with REQUIRE_SERVICES=1 (as in CI), the run fails.
"""

import os
import shutil

import pytest
from django.conf import settings

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by the same tests are
# still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _browser_available() -> bool:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False
    return shutil.which("chromium") is not None


def service_status() -> dict[str, bool]:
    available = dict(getattr(settings, "SERVICES_AVAILABLE", {}))
    available["worker"] = available.get("postgres", False) and available.get("redis", False)
    available["browser"] = _browser_available()
    available["pdftools"] = shutil.which("pdftotext") is not None and shutil.which("pdftoppm") is not None
    return available


SERVICE_MARKERS = ("postgres", "redis", "worker", "browser", "pdftools")
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
_skipped_for: dict[str, int] = {}


def pytest_collection_modifyitems(config, items):
    status = service_status()
    missing = sorted(name for name, ok in status.items() if not ok)
    needed = {name for item in items for name in SERVICE_MARKERS if item.get_closest_marker(name) and not status[name]}
    if needed and REQUIRE_SERVICES:
        raise pytest.UsageError(
            f"REQUIRE_SERVICES=1 but these are not available: {', '.join(sorted(needed))} (missing: {missing})"
        )
    for item in items:
        for name in SERVICE_MARKERS:
            if item.get_closest_marker(name) and not status[name]:
                _skipped_for[name] = _skipped_for.get(name, 0) + 1
                item.add_marker(pytest.mark.skip(reason=f"SERVICE MISSING: {name} is not available"))
                break


def pytest_report_header(config):
    status = service_status()
    return "services: " + ", ".join(f"{k}={'yes' if v else 'NO'}" for k, v in sorted(status.items()))


def pytest_terminal_summary(terminalreporter):
    if _skipped_for:
        terminalreporter.section("SKIPPED FOR MISSING SERVICES", sep="!", red=True, bold=True)
        for name, count in sorted(_skipped_for.items()):
            terminalreporter.write_line(f"{count} test(s) skipped: {name} not available", red=True, bold=True)
        terminalreporter.write_line("Run with REQUIRE_SERVICES=1 to make this a failure.", red=True)


@pytest.fixture
def make_staff(db):
    """Create a staff login with the given role(s) through the real service."""
    from accounts.models import Branch
    from accounts.services import staff_create

    counter = {"n": 0}

    def _make(*roles: str, username: str | None = None, branch=None, **profile):
        counter["n"] += 1
        n = counter["n"]
        if branch is None:
            branch, _ = Branch.objects.get_or_create(code="T001", defaults={"name": "测试营业部"})
        name = username or f"{roles[0] if roles else 'staff'}{n}"
        profile.setdefault("full_name", f"测试员工{n}")
        profile.setdefault("employee_no", f"T{n:05d}")
        return staff_create(
            actor=None, username=name, password="pw-for-tests-only", roles=list(roles), branch=branch, **profile
        ).user

    return _make


# The people most workflow tests need (modules that want other names or no name define their own).
@pytest.fixture
def clerk(make_staff):
    from accounts.roles import Role

    return make_staff(Role.CLERK, full_name="王柜台")


@pytest.fixture
def reviewer(make_staff):
    from accounts.roles import Role

    return make_staff(Role.REVIEWER, full_name="李复核")


@pytest.fixture
def agent(make_staff):
    from accounts.roles import Role

    return make_staff(Role.CALLBACK_AGENT, username="agent1", full_name="陈回访")


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


# Data the migrations seed. A transactional test ends by flushing every table, so the tests after it
# would find none of it; `reference_data` puts it back by running the data migrations again with the
# models as they were at that migration (idempotent).
SEED_MIGRATIONS = [
    ("onboarding", "0002_default_disclosures", "create", "onboarding.DisclosureDocument"),
    ("suitability", "0002_default_questionnaires", "create", "suitability.Questionnaire"),
    ("tiering", "0002_default_policy_and_entitlements", "forwards", "tiering.TierPolicy"),
]


@pytest.fixture
def reference_data(django_db_blocker):
    import importlib

    from django.apps import apps
    from django.core.management.sql import emit_post_migrate_signal
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    with django_db_blocker.unblock():
        emit_post_migrate_signal(verbosity=0, interactive=False, db="default")  # permissions, role groups
        loader = MigrationLoader(connection)
        for app_label, name, function, model in SEED_MIGRATIONS:
            if not apps.get_model(model).objects.exists():
                state = loader.project_state((app_label, name), at_end=False)
                getattr(importlib.import_module(f"{app_label}.migrations.{name}"), function)(state.apps, None)


@pytest.fixture(autouse=True)
def _reference_data_for_transactional_tests(request, _django_db_marker):
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and (
        marker.kwargs.get("transaction") or marker.kwargs.get("serialized_rollback")
    )
    if transactional or "transactional_db" in request.fixturenames or "live_server" in request.fixturenames:
        request.getfixturevalue("reference_data")
