"""Document store: checksums, content checks, write-once storage (SPEC §8)."""

import hashlib
import re

import pytest
from django.core.files.storage import default_storage

from accounts.errors import ApplicationError
from accounts.roles import Role
from archive.models import Document, DocumentKind, DocumentSource
from archive.services import document_store, document_verify

from .conftest import JPEG, PDF, PNG, stored_files

pytestmark = pytest.mark.django_db


def test_a_stored_upload_keeps_its_checksum_size_type_and_who_stored_it(clerk, client_zhang):
    # given an ID scan uploaded by a clerk
    # when it is stored
    document = document_store(
        actor=clerk, client=client_zhang, kind=DocumentKind.ID_FRONT, content=PNG, filename="C:\\scans\\身份证.png"
    )

    # then the row records exactly what was stored
    document.refresh_from_db()
    assert document.sha256 == hashlib.sha256(PNG).hexdigest()
    assert document.size == len(PNG)
    assert document.content_type == "image/png"
    assert document.source == DocumentSource.UPLOADED
    assert document.stored_by == clerk
    assert document.original_filename == "身份证.png"
    assert document.retention_until is None  # relationship ongoing
    assert re.fullmatch(
        rf"docs/{document.sha256[:2]}/{document.sha256[2:4]}/{document.sha256}-[0-9a-f]{{16}}\.png",
        document.storage_name,
    )
    with default_storage.open(document.storage_name, "rb") as handle:
        assert handle.read() == PNG
    assert document_verify(document) is True


def test_the_same_bytes_stored_twice_get_two_files_and_neither_is_overwritten(clerk, client_zhang, media_root):
    first = document_store(actor=clerk, client=client_zhang, kind="photo", content=JPEG, filename="a.jpg")
    second = document_store(actor=clerk, client=client_zhang, kind="photo", content=JPEG, filename="a.jpg")

    assert first.storage_name != second.storage_name
    assert first.sha256 == second.sha256
    assert len(stored_files(media_root)) == 2


def test_verify_detects_a_file_changed_on_disk(clerk, client_zhang, media_root):
    document = document_store(actor=clerk, client=client_zhang, kind="other", content=PDF, filename="x.pdf")
    (media_root / document.storage_name).write_bytes(PDF + b"tampered")

    assert document_verify(document) is False


def test_verify_reports_a_missing_file(clerk, client_zhang, media_root):
    document = document_store(actor=clerk, client=client_zhang, kind="other", content=PDF, filename="x.pdf")
    (media_root / document.storage_name).unlink()

    assert document_verify(document) is False


@pytest.mark.parametrize(
    ("content", "filename", "code", "message_zh"),
    [
        (
            b"GIF89a" + b"\x00" * 10,
            "photo.png",
            "upload_type_refused",
            "只接受 PDF、JPEG 或 PNG 文件（按文件内容判断，而非文件名）：photo.png",
        ),
        (
            b"MZ\x90\x00 this is an exe",
            "contract.pdf",
            "upload_type_refused",
            "只接受 PDF、JPEG 或 PNG 文件（按文件内容判断，而非文件名）：contract.pdf",
        ),
        (b"", "empty.pdf", "upload_empty", "文件为空：empty.pdf"),
        (
            b"%PDF-" + b"x" * 95 + b"!",
            "big.pdf",
            "upload_too_large",
            "文件过大：big.pdf 为 101 字节，上限为 100 字节。",
        ),
    ],
)
def test_a_refused_upload_says_why_and_stores_nothing(
    settings, clerk, client_zhang, media_root, content, filename, code, message_zh
):
    settings.ARCHIVE_MAX_UPLOAD_BYTES = 100

    with pytest.raises(ApplicationError) as refused:
        document_store(actor=clerk, client=client_zhang, kind="other", content=content, filename=filename)

    assert refused.value.code == code
    assert refused.value.status == 400
    assert refused.value.message_in("zh-hans") == message_zh
    assert Document.objects.count() == 0
    assert stored_files(media_root) == []


def test_the_english_message_names_the_limit(settings, clerk, client_zhang):
    settings.ARCHIVE_MAX_UPLOAD_BYTES = 10

    with pytest.raises(ApplicationError) as refused:
        document_store(actor=clerk, client=client_zhang, kind="other", content=PDF, filename="a.pdf")

    assert refused.value.message_in("en") == f"The file is too large: a.pdf is {len(PDF)} bytes, the limit is 10 bytes."


def test_an_unknown_kind_is_refused_and_nothing_stored(clerk, client_zhang, media_root):
    with pytest.raises(ApplicationError) as refused:
        document_store(actor=clerk, client=client_zhang, kind="selfie", content=PNG, filename="a.png")

    assert refused.value.code == "unknown_kind"
    assert Document.objects.count() == 0
    assert stored_files(media_root) == []


def test_a_role_without_add_document_may_not_store(make_staff, client_zhang, media_root):
    witness = make_staff(Role.WITNESS)

    with pytest.raises(ApplicationError) as refused:
        document_store(actor=witness, client=client_zhang, kind="photo", content=PNG, filename="a.png")

    assert refused.value.code == "permission_denied"
    assert Document.objects.count() == 0
    assert stored_files(media_root) == []


def test_a_document_can_link_to_a_related_object(clerk, client_zhang):
    # the client row stands in for an application/change request/callback here
    document = document_store(
        actor=clerk, client=client_zhang, kind="other", content=PDF, filename="a.pdf", related=client_zhang
    )

    document.refresh_from_db()
    assert document.related == client_zhang


def test_a_failing_row_insert_leaves_no_row(clerk, client_zhang, monkeypatch):
    def boom(self, *args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Document, "save", boom)
    with pytest.raises(RuntimeError):
        document_store(actor=clerk, client=client_zhang, kind="other", content=PDF, filename="a.pdf")

    monkeypatch.undo()
    assert Document.objects.count() == 0
