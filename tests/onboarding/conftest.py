"""Fixtures for the account-opening journey, set up through the real services."""

import datetime

import pytest
from django.utils import timezone

from accounts.roles import Role
from archive.checklist import required_kinds
from archive.services import document_store
from onboarding.models import DisclosureDocument
from suitability.services import assessment_submit
from tests.suitability.conftest import answers_for, current, resident_id

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def witness(make_staff):
    return make_staff(
        Role.WITNESS,
        full_name="张见证",
        qualification_no="S0101202600001",
        witness_trained_on=datetime.date(2026, 3, 1),
    )


def person(age: int = 35, name: str = "赵六") -> dict:
    today = timezone.localdate()
    birth = today.replace(year=today.year - age) - datetime.timedelta(days=30)
    return {
        "kind": "individual",
        "name": name,
        "id_type": "resident_id",
        "id_number": resident_id(birth),
        "id_valid_until": today.replace(year=today.year + 5),
        "phone": "13912345678",
        "address": "北京市朝阳区建国路88号",
    }


def company() -> dict:
    return {"kind": "institution", "name": "北京测试科技有限公司", "id_type": "uscc", "id_number": "91110000802100433B",
            "legal_rep_name": "钱七"}  # fmt: skip


def disclosures() -> tuple[int, int]:
    return (
        DisclosureDocument.objects.get(kind="risk_disclosure", active=True).pk,
        DisclosureDocument.objects.get(kind="agreement", active=True).pk,
    )


def assess(actor, client, total: int = 60) -> None:
    audience = "institution" if client.kind == "institution" else "individual"
    questionnaire = current(audience)
    assessment_submit(actor=actor, client=client, questionnaire_id=questionnaire.pk,
                      answers=answers_for(questionnaire, total=total))  # fmt: skip


def file_documents(actor, app, *, skip: tuple[str, ...] = ()) -> None:
    """Put every document this application type needs into the client's file."""
    for kind in required_kinds(client_kind=app.client.kind, channel=app.channel, has_agent=app.has_agent):
        if kind in skip:
            continue
        content = PNG if kind in ("id_front", "id_back", "photo") else PDF
        document_store(actor=actor, client=app.client, kind=kind, content=content, filename=f"{kind}.bin", related=app)
