"""The client file page: masked profile with reveal, checklist, upload with clear refusals, thumbnails."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.models import PiiReveal
from accounts.roles import Role
from archive.models import Document, DocumentAccess
from archive.services import document_store

from .conftest import PDF, stored_files

pytestmark = pytest.mark.django_db
ID = "11010519491231002X"


def real_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 400), "#336699").save(out, format="PNG")
    return out.getvalue()


def _url(client_zhang, name="archive-client-file"):
    return reverse(name, args=[client_zhang.pk])


@pytest.mark.parametrize("role", [Role.CLERK, Role.COMPLIANCE, Role.REVIEWER])
def test_the_page_shows_personal_data_masked_with_a_reveal_button(client, make_staff, client_zhang, role):
    client.force_login(make_staff(role))

    page = client.get(_url(client_zhang)).content.decode()

    assert "1101**********002X" in page
    assert ID not in page
    assert 'name="field" value="id_number"' in page
    assert PiiReveal.objects.count() == 0


def test_a_role_without_the_file_permission_cannot_open_it(client, make_staff, client_zhang):
    client.force_login(make_staff(Role.ACCOUNT_MANAGER))

    assert client.get(_url(client_zhang)).status_code == 403


def test_revealing_on_the_page_shows_the_clear_value_once_and_logs_it(client, clerk, client_zhang):
    client.force_login(clerk)

    response = client.post(
        _url(client_zhang, "archive-client-file-reveal"), {"field": "id_number"}, REMOTE_ADDR="10.9.8.7"
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert ID in page
    assert "no-store" in response["Cache-Control"]
    reveal = PiiReveal.objects.get()
    assert (reveal.actor, reveal.field, reveal.ip, reveal.granted) == (clerk, "id_number", "10.9.8.7", True)
    # the next visit is masked again
    assert ID not in client.get(_url(client_zhang)).content.decode()


@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.CALLBACK_AGENT])
def test_revealing_on_the_page_is_refused_for_other_roles_and_logged(client, make_staff, client_zhang, role):
    user = make_staff(role)
    client.force_login(user)

    response = client.post(_url(client_zhang, "archive-client-file-reveal"), {"field": "id_number"})

    assert response.status_code == 403
    assert ID not in response.content.decode()
    assert "accounts.reveal_personal_data" in response.content.decode()
    assert PiiReveal.objects.get().granted is False


def test_reveal_needs_a_post_with_csrf(client, clerk, client_zhang):
    from django.test import Client as BrowserClient

    browser = BrowserClient(enforce_csrf_checks=True)
    browser.force_login(clerk)

    assert browser.get(_url(client_zhang, "archive-client-file-reveal")).status_code == 405
    assert browser.post(_url(client_zhang, "archive-client-file-reveal"), {"field": "phone"}).status_code == 403
    assert PiiReveal.objects.count() == 0


def test_upload_stores_the_file_and_the_checklist_shows_it_present(client, clerk, client_zhang, media_root):
    client.force_login(clerk)

    response = client.post(
        _url(client_zhang, "archive-client-file-upload"),
        {"kind": "id_front", "file": SimpleUploadedFile("身份证正面.png", real_png(), content_type="image/png")},
        follow=True,
    )

    assert response.status_code == 200
    document = Document.objects.get()
    assert (document.kind, document.content_type, document.stored_by) == ("id_front", "image/png", clerk)
    assert len(stored_files(media_root)) == 1
    page = response.content.decode()
    assert "已存档" in page
    assert 'data-kind="id_front" data-present="1"' in page
    assert 'data-kind="id_back" data-present="0"' in page
    assert reverse("archive-document-thumbnail", args=[document.pk]) in page


def test_a_mislabelled_pdf_is_refused_next_to_the_field_and_nothing_is_stored(client, clerk, client_zhang, media_root):
    client.force_login(clerk)

    response = client.post(
        _url(client_zhang, "archive-client-file-upload"),
        {
            "kind": "agreement_signed",
            "file": SimpleUploadedFile("协议.pdf", b"just some text, not a PDF\n", "application/pdf"),
        },
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "只接受 PDF、JPEG 或 PNG 文件（按文件内容判断，而非文件名）：协议.pdf" in page
    assert 'id="id_file-error"' in page  # the message sits with the file field
    assert Document.objects.count() == 0
    assert stored_files(media_root) == []


def test_an_upload_without_a_kind_is_refused_by_the_form(client, clerk, client_zhang, media_root):
    client.force_login(clerk)

    response = client.post(
        _url(client_zhang, "archive-client-file-upload"), {"kind": "", "file": SimpleUploadedFile("a.pdf", PDF)}
    )

    assert response.status_code == 400
    assert 'id="id_kind-error"' in response.content.decode()
    assert Document.objects.count() == 0


def test_a_role_that_may_not_store_gets_no_upload_form_and_is_refused(client, compliance, client_zhang, media_root):
    client.force_login(compliance)

    assert 'id="upload"' not in client.get(_url(client_zhang)).content.decode()
    response = client.post(
        _url(client_zhang, "archive-client-file-upload"), {"kind": "photo", "file": SimpleUploadedFile("p.pdf", PDF)}
    )
    assert response.status_code == 403
    assert Document.objects.count() == 0


def test_the_checklist_follows_the_application_type_in_the_query(client, clerk, client_zhang):
    client.force_login(clerk)

    page = client.get(_url(client_zhang), {"channel": "witnessed", "agent": "1"}).content.decode()

    for kind in ("notarised_poa", "agent_authorisation", "witness_record"):
        assert f'data-kind="{kind}"' in page
    default = client.get(_url(client_zhang)).content.decode()
    assert 'data-kind="notarised_poa"' not in default
    assert 'data-kind="witness_record"' not in default


def test_a_thumbnail_is_a_small_png_and_its_view_is_logged(client, clerk, client_zhang):
    document = document_store(actor=clerk, client=client_zhang, kind="photo", content=real_png(), filename="p.png")
    client.force_login(clerk)

    response = client.get(reverse("archive-document-thumbnail", args=[document.pk]), REMOTE_ADDR="10.1.1.1")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(response.content)) as image:
        assert max(image.size) <= 160
    access = DocumentAccess.objects.get()
    assert (access.document, access.actor, access.action, access.ip) == (document, clerk, "thumbnail", "10.1.1.1")


def test_a_pdf_has_no_thumbnail_but_a_preview_link(client, clerk, client_zhang):
    document = document_store(actor=clerk, client=client_zhang, kind="agreement_signed", content=PDF, filename="a.pdf")
    client.force_login(clerk)

    assert client.get(reverse("archive-document-thumbnail", args=[document.pk])).status_code == 404
    page = client.get(_url(client_zhang)).content.decode()
    assert 'class="pdf-icon"' in page
    assert reverse("archive-document-view", args=[document.pk]) in page
    assert DocumentAccess.objects.count() == 0


def test_search_finds_a_client_by_exact_id_number_or_name_prefix(client, clerk, client_zhang):
    client.force_login(clerk)
    search = reverse("archive-client-search")

    by_id = client.post(search, {"q": "110105 19491231 002x"}).content.decode()
    by_name = client.post(search, {"q": "张"}).content.decode()
    partial_id = client.post(search, {"q": "110105"}).content.decode()

    for page in (by_id, by_name):
        assert _url(client_zhang) in page
        assert "1101**********002X" in page
        assert ID not in page.split('id="client-results"')[1]
    assert _url(client_zhang) not in partial_id  # no partial matches on encrypted ID numbers
