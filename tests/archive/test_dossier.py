"""Dossier export: a ZIP whose contents match its manifest, built by a real worker, for compliance only."""

import hashlib
import io
import json
import zipfile

import pytest
from django.urls import reverse

from accounts.audit import audited_save
from accounts.models import Branch
from accounts.roles import Role
from accounts.services import client_register
from archive.models import DossierEventAction, DossierExport, DossierExportEvent
from archive.services import document_store, dossier_export_build, dossier_export_request
from tests.workers import running_worker, wait_for

from .conftest import PDF, PNG


def _client_with_documents(clerk):
    client, _ = client_register(
        actor=clerk,
        kind="individual",
        name="张三",
        id_type="resident_id",
        id_number="11010519491231002X",
        branch=Branch.objects.get(code="T001"),
        phone="13812345678",
    )
    client.occupation = "工程师"
    audited_save(client, actor=clerk, reason="客户申请修改职业")
    docs = [
        document_store(actor=clerk, client=client, kind="id_front", content=PDF, filename="身份证正面.pdf"),
        document_store(actor=clerk, client=client, kind="photo", content=PNG, filename="../../photo.png"),
        document_store(actor=clerk, client=client, kind="id_front", content=PDF, filename="身份证正面.pdf"),
    ]
    return client, docs


def _check_zip_against_manifest(content: bytes, documents) -> dict:
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        assert {d["id"] for d in manifest["documents"]} == {d.pk for d in documents}
        by_id = {d.pk: d for d in documents}
        for entry in manifest["documents"]:
            data = zf.read(entry["path"])  # every listed file is in the ZIP
            document = by_id[entry["id"]]
            assert entry["path"].startswith(f"documents/{document.kind}/")
            assert hashlib.sha256(data).hexdigest() == entry["sha256"] == document.sha256
            assert len(data) == entry["size"] == document.size
            assert (entry["kind"], entry["content_type"], entry["stored_by"]) == (
                document.kind,
                document.content_type,
                document.stored_by.username,
            )
            assert entry["sha256_verified"] is True
            assert entry["stored_at"] == document.stored_at.isoformat()
        for entry in manifest["files"]:
            assert hashlib.sha256(zf.read(entry["path"])).hexdigest() == entry["sha256"]
        listed = {e["path"] for e in manifest["documents"]} | {e["path"] for e in manifest["files"]}
        assert names == listed | {"manifest.json"}  # nothing unlisted in the ZIP
        assert zf.read("summary.pdf").startswith(b"%PDF-")
        history = zf.read("history.csv").decode("utf-8-sig")
        assert "客户申请修改职业" in history and "client registered" in history
    return manifest


@pytest.mark.django_db
def test_build_in_process_matches_manifest_and_is_idempotent(clerk, compliance, tmp_path):
    client, documents = _client_with_documents(clerk)
    export = dossier_export_request(actor=compliance, client_id=client.pk, ip="10.0.0.9")

    built = dossier_export_build(export_id=export.pk)

    assert (built.status, built.progress) == ("done", 100)
    from django.core.files.storage import default_storage

    content = default_storage.open(built.storage_name, "rb").read()
    assert hashlib.sha256(content).hexdigest() == built.sha256 and len(content) == built.size
    manifest = _check_zip_against_manifest(content, documents)
    assert manifest["personal_data"] == "full"  # compliance holds accounts.reveal_personal_data
    again = dossier_export_build(export_id=export.pk)
    assert (again.storage_name, again.sha256) == (built.storage_name, built.sha256)
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        (tmp_path / "summary.pdf").write_bytes(zf.read("summary.pdf"))


@pytest.mark.django_db
def test_other_roles_cannot_request_see_or_download(client, make_staff, clerk, compliance):
    zhang, _ = _client_with_documents(clerk)
    export = dossier_export_request(actor=compliance, client_id=zhang.pk)
    dossier_export_build(export_id=export.pk)

    for role in [Role.CLERK, Role.REVIEWER, Role.ADMIN, Role.ACCOUNT_MANAGER, Role.CALLBACK_SUPERVISOR]:
        client.force_login(make_staff(role))
        assert client.post(reverse("audit-dossier-request", args=[zhang.pk])).status_code == 403
        for name in ["audit-dossier", "audit-dossier-status", "audit-dossier-download"]:
            assert client.get(reverse(name, args=[export.pk])).status_code == 403, (role, name)
    assert DossierExport.objects.count() == 1
    assert not DossierExportEvent.objects.filter(action=DossierEventAction.DOWNLOAD).exists()


@pytest.mark.django_db
def test_download_before_done_is_refused(client, clerk, compliance):
    zhang, _ = _client_with_documents(clerk)
    export = dossier_export_request(actor=compliance, client_id=zhang.pk)
    client.force_login(compliance)

    response = client.get(reverse("audit-dossier-download", args=[export.pk]))

    assert response.status_code == 409
    assert "尚未生成完成" in response.content.decode()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_builds_the_dossier_and_compliance_downloads_it(client, make_staff, settings):
    from django.conf import settings as conf

    # The worker process uses the test settings' MEDIA_ROOT; share it with this test.
    settings.MEDIA_ROOT = conf.VAR_DIR / "test-media"
    clerk = make_staff(Role.CLERK)
    officer = make_staff(Role.COMPLIANCE)
    zhang, documents = _client_with_documents(clerk)
    client.force_login(officer)

    with running_worker():
        response = client.post(reverse("audit-dossier-request", args=[zhang.pk]), REMOTE_ADDR="10.1.2.3")
        export = DossierExport.objects.get()
        assert response.status_code == 302 and response["Location"] == reverse("audit-dossier", args=[export.pk])
        assert client.get(response["Location"]).status_code == 200
        wait_for(lambda: client.get(reverse("audit-dossier-status", args=[export.pk])).json()["status"] == "done", 90)

    export.refresh_from_db()
    assert (export.status, export.progress) == ("done", 100)
    download = client.get(reverse("audit-dossier-download", args=[export.pk]), REMOTE_ADDR="10.1.2.3")
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    content = b"".join(download.streaming_content)
    assert hashlib.sha256(content).hexdigest() == export.sha256 == download["X-Content-SHA256"]
    _check_zip_against_manifest(content, documents)
    events = list(DossierExportEvent.objects.order_by("pk").values_list("action", "actor_id", "ip"))
    assert events == [("request", officer.pk, "10.1.2.3"), ("download", officer.pk, "10.1.2.3")]

    client.force_login(clerk)
    assert client.get(reverse("audit-dossier-download", args=[export.pk])).status_code == 403
