"""Schemathesis against /api/schema/, every operation, once per role, in-process on the WSGI app.

Checks: not_a_server_error and response_schema_conformance; plus the PII scanner on every response.
Examples per operation: FUZZ_EXAMPLES (default 100, as in `make test`; `make fuzz FUZZ_EXAMPLES=500` for a longer run).
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from accounts.models import Client
from tests.reliability.pii import leaks, may_reveal, secrets_of

pytestmark = pytest.mark.django_db
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
FUZZ_ROLES = ["clerk", "reviewer", "compliance", "api_client"]


@pytest.fixture
def keep_test_connection():
    """The real WSGI handler closes the DB connection after each request; the test transaction must stay."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _summary(problem) -> str:
    lines = [line.strip() for line in str(problem).splitlines() if line.strip()]
    where = next((line for line in lines if line.startswith("Schema at")), "")
    return " | ".join([type(problem).__name__, *lines[:2], where])


def _schema():
    app = get_wsgi_application()
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", app)


@pytest.mark.parametrize("role", FUZZ_ROLES)
def test_api_fuzz(role, world, keep_test_connection):
    user = world["users"][role]
    token = Token.objects.create(user=user).key
    headers = {"Authorization": f"Token {token}", "Accept-Language": "en"}
    secrets = secrets_of(Client.objects.all())
    schema = _schema()
    django_settings = __import__("django.conf").conf.settings
    django_settings.DEBUG_PROPAGATE_EXCEPTIONS = True
    failures: list[str] = []
    operations = 0
    calls = [0]
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case):
            try:
                response = case.call(headers=headers)
                calls[0] += 1
            except Exception as exc:  # noqa: BLE001
                failures.append(f"{case.method} {case.formatted_path}: raised {exc!r}")
                return
            try:
                case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect them all, report them all
                for problem in getattr(exc, "exceptions", [exc]):
                    failures.append(f"{case.method} {case.operation.path}: {_summary(problem)}")
                return
            if not may_reveal(user) and leaks(response.content, secrets):
                failures.append(f"{case.method} {case.formatted_path}: full ID/phone for {role}")

        run()
    django_settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    print(f"fuzz {role}: {operations} operations, up to {EXAMPLES} examples each, {calls[0]} requests")
    assert operations > 30
    assert not failures, "\n".join(sorted(set(failures)))
