"""Token and session authentication, role permissions and the one error shape of the API."""

import pytest
from django.core.management import call_command

from accounts.models import Branch
from accounts.roles import Role

pytestmark = pytest.mark.django_db


def _token_for(role: str, username: str = "crm") -> str:
    from io import StringIO

    out = StringIO()
    call_command("api_client_create", username, "--role", role, stdout=out)
    return out.getvalue().strip()


def test_request_with_a_token_from_the_command_is_served(api_client):
    token = _token_for(Role.API_CLIENT)

    response = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")

    assert response.status_code == 200
    assert response.json()["username"] == "crm"
    assert response.json()["roles"] == ["api_client"]


def test_request_without_a_token_gets_401_in_the_error_shape(api_client):
    response = api_client.get("/api/v1/me/")

    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "message": "未登录或令牌无效。", "fields": {}, "rule": None}
    assert response["WWW-Authenticate"].startswith("Token")


def test_bad_token_gets_401(api_client):
    response = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION="Token not-a-real-token")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_errors_come_in_english_when_asked(api_client):
    response = api_client.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["message"] == "Authentication credentials were not provided or are invalid."


def test_roles_without_the_permission_cannot_create_a_branch(api_client, make_staff):
    api_client.force_authenticate(make_staff(Role.CLERK))

    response = api_client.post("/api/v1/branches/", {"code": "0999", "name": "测试"}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Branch.objects.filter(code="0999").exists()


def test_clerk_may_list_branches(api_client, make_staff):
    api_client.force_authenticate(make_staff(Role.CLERK))

    response = api_client.get("/api/v1/branches/")

    assert response.status_code == 200
    assert [b["code"] for b in response.json()["results"]] == ["T001"]


def test_admin_creates_a_branch_and_a_duplicate_code_conflicts(api_client, make_staff):
    api_client.force_authenticate(make_staff(Role.ADMIN))

    created = api_client.post("/api/v1/branches/", {"code": "0102", "name": "上海营业部"}, format="json")
    again = api_client.post("/api/v1/branches/", {"code": "0102", "name": "另一个"}, format="json")

    assert created.status_code == 201
    assert created.json()["code"] == "0102"
    assert again.status_code == 409
    assert again.json()["code"] == "branch_code_taken"
    assert again.json()["fields"] == {"code": ["0102"]}
    assert Branch.objects.get(code="0102").name == "上海营业部"


def test_invalid_input_names_the_field(api_client, make_staff):
    api_client.force_authenticate(make_staff(Role.ADMIN))

    response = api_client.post("/api/v1/branches/", {"code": "x" * 40}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"code", "name"}
    assert Branch.objects.count() == 1  # only the fixture's branch


def test_command_refuses_an_existing_username():
    from django.core.management.base import CommandError

    _token_for(Role.API_CLIENT, "trading")
    with pytest.raises(CommandError, match="already taken"):
        _token_for(Role.API_CLIENT, "trading")
