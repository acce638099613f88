import pytest

from accounts.models import Branch
from accounts.roles import Role
from accounts.services import client_register

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def clerk(make_staff):
    return make_staff(Role.CLERK)


@pytest.fixture
def compliance(make_staff):
    return make_staff(Role.COMPLIANCE)


@pytest.fixture
def client_zhang(clerk):
    client, _ = client_register(
        actor=clerk,
        kind="individual",
        name="张三",
        id_type="resident_id",
        id_number="11010519491231002X",
        branch=Branch.objects.get(code="T001"),
    )
    return client


def stored_files(root) -> list:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
