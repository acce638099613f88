"""Every HTML form that posts carries a CSRF token; posting without one is refused (403) and logged."""

import re

import pytest
from django.test import Client as DjangoClient

from tests.reliability.conftest import ROLES
from tests.reliability.urlwalk import url_for, url_patterns

pytestmark = pytest.mark.django_db
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)


def _pages(world) -> list[str]:
    return [
        url_for(name, route, world)
        for name, route in sorted(url_patterns().items())
        if not name.startswith(("api-", "admin:")) and name not in ("schema", "swagger-ui", "healthz", "logout")
    ]


def test_every_posting_form_has_a_csrf_token(world):
    pages = _pages(world)
    checked, missing = 0, []
    for role in ROLES:
        client = DjangoClient()
        client.force_login(world["users"][role])
        for url in pages:
            response = client.get(url)
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            for attrs, body in FORM.findall(response.content.decode()):
                if re.search(r'method\s*=\s*"?post', attrs, re.I):
                    checked += 1
                    if 'name="csrfmiddlewaretoken"' not in body:
                        missing.append(f"{role} {url}: <form{attrs}>")
    assert checked > 20, checked
    assert not missing, "\n".join(sorted(set(missing)))


@pytest.mark.parametrize(
    "name",
    ["onboarding-new", "archive-client-file-upload", "archive-client-file-reveal", "onboarding-review",
     "callbacks-task", "tiering-recompute", "suitability-match", "logout", "login"],
)  # fmt: skip
def test_a_post_without_the_token_is_refused(world, name, security_log):
    role = {"onboarding-review": "reviewer", "callbacks-task": "callback_agent", "tiering-recompute": "admin"}
    client = DjangoClient(enforce_csrf_checks=True)
    if name != "login":
        client.force_login(world["users"][role.get(name, "clerk")])
    url = url_for(name, url_patterns()[name], world)
    response = client.post(url, {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert b"CSRF" in response.content or b"csrf" in response.content
    assert security_log.records, "a CSRF refusal is logged"
