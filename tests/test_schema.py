"""The OpenAPI schema is valid and documents the error shape."""

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_openapi_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/me/" in schema["paths"]
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "message", "fields", "rule"}
    assert schema["paths"]["/api/v1/branches/"]["post"]["responses"]["403"]["content"]["application/json"][
        "schema"
    ] == {"$ref": "#/components/schemas/Error"}


def test_schema_and_docs_are_served(client, make_staff):
    from accounts.roles import Role

    client.force_login(make_staff(Role.CLERK))
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower() and "https://" not in html  # vendored assets only
