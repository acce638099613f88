"""Every URL × every role × GET/POST against the table in matrix.py; every refusal is logged; no PII leaks."""

import pytest

from accounts.models import Client
from tests.reliability.conftest import ANONYMOUS, ROLES
from tests.reliability.matrix import MATRIX
from tests.reliability.pii import body_of, leaks, may_reveal, secrets_of
from tests.reliability.requester import client_for, form_bodies, outcome, request
from tests.reliability.urlwalk import url_for, url_patterns

pytestmark = pytest.mark.django_db
METHODS = ("GET", "POST")


def test_every_url_pattern_is_in_the_matrix():
    listed = {name for name, _method in MATRIX}
    missing = sorted(set(url_patterns()) - listed)
    assert not missing, (
        f"URL pattern(s) {missing} are not in tests/reliability/matrix.py. Add each (url name, method) with the "
        "roles that may use it (and a body in requester.py if the service checks the permission), then run "
        "tests/reliability/test_role_matrix.py."
    )
    stale = sorted(listed - set(url_patterns()))
    assert not stale, f"matrix.py lists URL names that no longer exist: {stale}"


@pytest.mark.parametrize("role", [ANONYMOUS, *ROLES])
def test_role_matrix(role, world, security_log):
    user = None if role == ANONYMOUS else world["users"][role]
    client = client_for(user)
    forms = form_bodies(world)
    secrets = secrets_of(Client.objects.all())
    unexpected, unlogged, leaked = [], [], []
    for name, route in sorted(url_patterns().items()):
        url = "/admin/" if name == "admin:index" else url_for(name, route, world)
        for method in METHODS:
            before = len(security_log.records)
            response = request(client, method, url, name, forms)
            got = outcome(response, name)
            expected = "allow" if role in MATRIX.get((name, method), ()) else "deny"
            if got == "error" or (got == "allow") != (expected == "allow"):
                unexpected.append(f"{method} {url} ({name}): expected {expected}, got {response.status_code}")
            if got == "deny" and len(security_log.records) == before:
                unlogged.append(f"{method} {url}")
            if not may_reveal(user) and leaks(body_of(response), secrets):
                leaked.append(f"{method} {url}")
            if name == "logout":
                client = client_for(user)
    assert not unexpected, "\n".join(unexpected)
    assert not unlogged, "refusals without a `security` log line:\n" + "\n".join(unlogged)
    assert not leaked, "full ID/phone in a response to a role without reveal permission:\n" + "\n".join(leaked)
