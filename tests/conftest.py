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


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()
