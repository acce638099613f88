"""Reading a client's file: downloads and views are permission-checked and logged (SPEC §8)."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from archive.models import DocumentAccess
from archive.services import document_store

from .conftest import PDF, PNG

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(clerk, client_zhang):
    return document_store(actor=clerk, client=client_zhang, kind="id_front", content=PNG, filename="身份证正面.png")


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_download_streams_the_file_and_logs_who_when_and_from_where(client, compliance, document):
    client.force_login(compliance)

    response = client.get(f"/archive/documents/{document.pk}/download", REMOTE_ADDR="10.1.2.3")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E8%BA%AB%E4%BB%BD%E8%AF%81%E6%AD%A3%E9%9D%A2.png" in response["Content-Disposition"]
    assert _body(response) == PNG
    access = DocumentAccess.objects.get()
    assert (access.document, access.actor, access.action, access.ip) == (document, compliance, "download", "10.1.2.3")


def test_viewing_inline_is_logged_as_a_view(client, clerk, document):
    client.force_login(clerk)

    response = client.get(reverse("archive-document-view", args=[document.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("inline;")
    assert DocumentAccess.objects.get().action == "view"


def test_a_role_without_view_document_is_refused_and_nothing_is_logged(client, make_staff, document):
    client.force_login(make_staff(Role.WITNESS))

    response = client.get(f"/archive/documents/{document.pk}/download")

    assert response.status_code == 403
    assert "archive.view_document" in response.content.decode()
    assert DocumentAccess.objects.count() == 0


def test_an_anonymous_visitor_is_sent_to_log_in(client, document):
    response = client.get(f"/archive/documents/{document.pk}/download")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert DocumentAccess.objects.count() == 0


def test_an_unknown_document_is_404_and_not_logged(client, compliance):
    client.force_login(compliance)

    assert client.get("/archive/documents/999999/download").status_code == 404
    assert DocumentAccess.objects.count() == 0


def test_the_api_lists_a_clients_documents(api_client, compliance, clerk, client_zhang, document):
    second = document_store(actor=clerk, client=client_zhang, kind="agreement_signed", content=PDF, filename="协议.pdf")
    api_client.force_authenticate(compliance)

    response = api_client.get(f"/api/v1/clients/{client_zhang.pk}/documents/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [second.pk, document.pk]
    row = body["results"][1]
    assert row == {
        "id": document.pk,
        "client": client_zhang.pk,
        "kind": "id_front",
        "kind_label": "身份证件正面",
        "source": "uploaded",
        "stored_by": clerk.username,
        "stored_at": row["stored_at"],
        "original_filename": "身份证正面.png",
        "content_type": "image/png",
        "size": len(PNG),
        "sha256": document.sha256,
        "retention_until": None,
        "legal_hold": False,
        "related_type": None,
        "related_id": None,
        "download_url": f"/api/v1/documents/{document.pk}/download",
    }
    assert DocumentAccess.objects.count() == 0  # a listing shows metadata only


def test_the_api_refuses_the_list_to_a_role_without_view_document(api_client, make_staff, client_zhang):
    api_client.force_authenticate(make_staff(Role.WITNESS))

    response = api_client.get(f"/api/v1/clients/{client_zhang.pk}/documents/")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_the_api_list_of_an_unknown_client_is_404(api_client, compliance):
    api_client.force_authenticate(compliance)

    assert api_client.get("/api/v1/clients/999999/documents/").status_code == 404


def test_the_api_download_streams_and_logs(api_client, compliance, document):
    api_client.force_authenticate(compliance)

    response = api_client.get(f"/api/v1/documents/{document.pk}/download", REMOTE_ADDR="192.168.0.9")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert _body(response) == PNG
    access = DocumentAccess.objects.get()
    assert (access.actor, access.action, access.ip) == (compliance, "download", "192.168.0.9")


def test_the_api_download_is_refused_without_permission(api_client, make_staff, document):
    api_client.force_authenticate(make_staff(Role.CALLBACK_AGENT))

    response = api_client.get(f"/api/v1/documents/{document.pk}/download")

    assert response.status_code == 403
    assert DocumentAccess.objects.count() == 0


def test_the_endpoints_are_in_the_openapi_schema(api_client, compliance):
    api_client.force_authenticate(compliance)

    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    assert "/api/v1/clients/{client_id}/documents/" in schema["paths"]
    download = schema["paths"]["/api/v1/documents/{document_id}/download"]["get"]
    assert set(download["responses"]["200"]["content"]) == {"application/pdf", "image/jpeg", "image/png"}
    assert "Document" in schema["components"]["schemas"]


def test_the_client_file_page_lists_documents_and_who_read_them(client, compliance, client_zhang, document):
    client.force_login(compliance)
    client.get(f"/archive/documents/{document.pk}/download", REMOTE_ADDR="10.9.9.9")

    response = client.get(reverse("archive-client-file", args=[client_zhang.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "身份证件正面" in page
    assert "身份证正面.png" in page
    assert document.sha256[:12] in page
    assert f"/archive/documents/{document.pk}/download" in page
    assert "10.9.9.9" in page
    assert "11010519491231002X" not in page  # the file page shows no ID number


def test_the_client_file_page_needs_view_document(client, make_staff, client_zhang):
    client.force_login(make_staff(Role.WITNESS))

    assert client.get(reverse("archive-client-file", args=[client_zhang.pk])).status_code == 403
