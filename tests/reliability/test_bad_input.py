"""Bad input corpus on the creating endpoints: a clear 4xx naming the field, nothing stored; markup escaped."""

import json
import shutil
import subprocess

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.models import Branch, Client
from accounts.roles import Role
from archive.models import Document
from onboarding.models import Application
from suitability.models import Assessment
from tests.onboarding.conftest import PDF, PNG, company, person

pytestmark = pytest.mark.django_db

MARKUP = '<script>alert("x")</script><b onmouseover=alert(1)>粗</b>'
SQL = "'; DROP TABLE accounts_client; --"
ODD = "\u202e\u200b\u200d张😀𠮷\ufeff"


def _api(user) -> APIClient:
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(user)
    return api


def _counts() -> dict:
    return {m.__name__: m.objects.count() for m in (Client, Application, Document, Branch, Assessment)}


def _person(**changes) -> dict:
    data = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in person(age=30, name="孙九").items()}
    data.update(changes)
    return data


def _company(**changes) -> dict:
    data = company()
    data.update(changes)
    return data


# (label, request body, the field the error must name)
APPLICATION_CORPUS = [
    ("resident id too short", {"channel": "counter", "client": _person(id_number="11010119900101")}, "id_number"),
    ("resident id bad checksum", {"channel": "counter", "client": _person(id_number="110101199001011230")},
     "id_number"),
    ("resident id impossible birth date", {"channel": "counter", "client": _person(id_number="110101199002301234")},
     "id_number"),
    ("resident id with letters", {"channel": "counter", "client": _person(id_number="11010119900101ABCD")},
     "id_number"),
    ("credit code bad checksum", {"channel": "counter", "client": _company(id_number="91110000802100433A")},
     "id_number"),
    ("credit code malformed", {"channel": "counter", "client": _company(id_number="91110000-8021")}, "id_number"),
    ("impossible date", {"channel": "counter", "client": _person(id_valid_until="2026-02-30")}, "id_valid_until"),
    ("not a date", {"channel": "counter", "client": _person(id_valid_until="tomorrow")}, "id_valid_until"),
    ("name too long", {"channel": "counter", "client": _person(name="张" * 5000)}, "name"),
    ("id number too long", {"channel": "counter", "client": _person(id_number="1" * 1000)}, "id_number"),
    ("markup in id number", {"channel": "counter", "client": _person(id_number=MARKUP)}, "id_number"),
    ("sql in id number", {"channel": "counter", "client": _person(id_number=SQL)}, "id_number"),
    ("odd unicode in id number", {"channel": "counter", "client": _person(id_number=ODD)}, "id_number"),
    ("markup in phone", {"channel": "counter", "client": _person(phone=MARKUP)}, "phone"),
    ("wrong type: client is a string", {"channel": "counter", "client": "赵六"}, "client"),
    ("wrong type: name is a list", {"channel": "counter", "client": _person(name=["赵", "六"])}, "name"),
    ("wrong type: kind is a number", {"channel": "counter", "client": _person(kind=7)}, "kind"),
    ("wrong type: witness_by_video", {"channel": "counter", "client": _person(), "witness_by_video": "maybe"},
     "witness_by_video"),
    ("wrong type: met_by_ids", {"channel": "witnessed", "client": _person(), "met_by_ids": "1,2"}, "met_by_ids"),
    ("unknown channel", {"channel": "<b>x</b>", "client": _person()}, "channel"),
    ("null body fields", {"channel": None, "client": None}, "channel"),
]  # fmt: skip


@pytest.mark.parametrize(("label", "body", "field"), APPLICATION_CORPUS, ids=[c[0] for c in APPLICATION_CORPUS])
def test_bad_application_input_is_refused_naming_the_field(make_staff, label, body, field):
    api = _api(make_staff(Role.CLERK))
    before = _counts()

    response = api.post("/api/v1/applications/", body, format="json")

    assert 400 <= response.status_code < 500, (label, response.status_code, response.content[:300])
    error = response.json()
    assert set(error) == {"code", "message", "fields", "rule"}
    assert field in json.dumps(error["fields"], ensure_ascii=False), (label, error)
    assert _counts() == before, label


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "<script>", "name": "x"}, "code"),
        ({"code": "B" * 500, "name": "x"}, "code"),
        ({"code": "B777", "name": "名" * 5000}, "name"),
        ({"code": ["B777"], "name": "x"}, "code"),
        ({"code": "B777"}, "name"),
    ],
)
def test_bad_branch_input_is_refused(make_staff, body, field):
    api = _api(make_staff(Role.ADMIN))
    before = _counts()
    response = api.post("/api/v1/branches/", body, format="json")
    assert response.status_code == 400, response.content[:300]
    assert field in response.json()["fields"]
    assert _counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"questionnaire_id": "一", "answers": {}}, "questionnaire_id"),
        ({"questionnaire_id": 1, "answers": "all A"}, "answers"),
        ({"questionnaire_id": 1, "answers": [1, 2]}, "answers"),
        ({"answers": {}}, "questionnaire_id"),
    ],
)
def test_bad_assessment_input_is_refused(make_staff, body, field):
    from accounts.services import client_register

    clerk = make_staff(Role.CLERK)
    client, _created = client_register(actor=clerk, branch=Branch.objects.get(code="T001"), **person(age=33))
    before = _counts()
    response = _api(clerk).post(f"/api/v1/clients/{client.pk}/assessments/", body, format="json")
    assert response.status_code == 400, response.content[:300]
    assert field in json.dumps(response.json()["fields"])
    assert _counts() == before


UPLOADS = [
    ("executable labelled as pdf", "id_front", SimpleUploadedFile("id.pdf", b"MZ\x90\x00" + b"\x00" * 64)),
    ("html labelled as png", "id_front", SimpleUploadedFile("id.png", b"<html><script>alert(1)</script>")),
    ("empty file", "id_front", SimpleUploadedFile("id.png", b"")),
    ("unknown kind", "<script>", SimpleUploadedFile("id.png", PNG)),
]


@pytest.mark.parametrize(("label", "kind", "upload"), UPLOADS, ids=[u[0] for u in UPLOADS])
def test_bad_uploads_are_refused_and_nothing_is_stored(make_staff, settings, tmp_path, label, kind, upload):
    from accounts.services import client_register

    clerk = make_staff(Role.CLERK)
    client, _created = client_register(actor=clerk, branch=Branch.objects.get(code="T001"), **person(age=34))
    web = APIClient()
    web.force_login(clerk)
    before = _counts()

    response = web.post(f"/archive/clients/{client.pk}/upload", {"kind": kind, "file": upload})

    assert response.status_code == 400, (label, response.status_code)
    assert b'aria-invalid="true"' in response.content, label
    assert _counts() == before
    media = settings.MEDIA_ROOT
    assert not any(p.is_file() for p in media.rglob("*")) if media.exists() else True


def test_a_mislabelled_but_accepted_file_is_stored_as_what_it_is(make_staff):
    """The content decides, never the name or the declared type: a PDF called photo.png is kept as a PDF."""
    from accounts.services import client_register

    clerk = make_staff(Role.CLERK)
    client, _created = client_register(actor=clerk, branch=Branch.objects.get(code="T001"), **person(age=35))
    web = APIClient()
    web.force_login(clerk)
    upload = SimpleUploadedFile("photo.png", PDF, content_type="image/png")
    response = web.post(f"/archive/clients/{client.pk}/upload", {"kind": "other", "file": upload})
    assert response.status_code == 302
    stored = Document.objects.get(client=client)
    assert stored.content_type == "application/pdf" and stored.storage_name.endswith(".pdf")


def test_oversized_upload_is_refused(make_staff, settings):
    from accounts.services import client_register

    settings.ARCHIVE_MAX_UPLOAD_BYTES = 1024
    clerk = make_staff(Role.CLERK)
    client, _created = client_register(actor=clerk, branch=Branch.objects.get(code="T001"), **person(age=36))
    web = APIClient()
    web.force_login(clerk)
    before = _counts()
    big = SimpleUploadedFile("id.png", PNG + b"\x00" * 4096)
    response = web.post(f"/archive/clients/{client.pk}/upload", {"kind": "id_front", "file": big})
    assert response.status_code == 400
    assert b'aria-invalid="true"' in response.content
    assert _counts() == before


def test_names_with_markup_and_odd_unicode_render_escaped(make_staff):
    """A name is free text: markup and odd Unicode are stored as typed and shown as text, never as markup."""
    from onboarding import services

    clerk = make_staff(Role.CLERK)
    name = f"{MARKUP}{ODD}"
    app = services.application_create(actor=clerk, channel="counter", client=person(age=37, name=name))
    web = APIClient()
    web.force_login(clerk)
    for url in (f"/archive/clients/{app.client_id}/", f"/onboarding/{app.pk}/"):
        page = web.get(url).content.decode()
        assert "<script>alert" not in page and "<b onmouseover" not in page, url
        assert "&lt;script&gt;alert(" in page, url


@pytest.mark.pdftools
def test_markup_in_a_name_shows_as_literal_text_in_a_generated_pdf(make_staff, tmp_path):
    from accounts.services import client_register
    from archive.services import document_generate

    clerk = make_staff(Role.CLERK)
    name = "<b>钱</b>&amp;<i>x</i>"
    client, _created = client_register(actor=clerk, branch=Branch.objects.get(code="T001"), **person(age=38, name=name))
    document = document_generate(
        actor=clerk, client=client, kind="other", template_name="archive/pdf/generic.html",
        data={"title": "确认单", "fields": [["客户姓名", client.name]], "paragraphs": [client.name], "signatures": []},
    )  # fmt: skip
    pdf = tmp_path / "doc.pdf"
    with default_storage.open(document.storage_name, "rb") as handle:
        pdf.write_bytes(handle.read())
    text = subprocess.run([shutil.which("pdftotext"), str(pdf), "-"], capture_output=True, check=True).stdout.decode()
    assert name in text.replace("\n", ""), text[:500]
