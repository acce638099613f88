"""The completeness checklist: required document kinds per application type, present or missing."""

import pytest

from accounts.models import Branch
from accounts.services import client_register
from archive.checklist import required_kinds
from archive.selectors import client_file_checklist, client_file_missing
from archive.services import document_store

from .conftest import PDF, PNG

INDIVIDUAL_BASE = ["id_front", "id_back", "photo", "risk_disclosure_signed", "agreement_signed", "questionnaire_result"]
INDIVIDUAL_AGENT = ["agent_id", "agent_authorisation", "notarised_poa"]
INSTITUTION_BASE = [
    "business_licence",
    "legal_rep_id",
    "agent_authorisation",
    "agent_id",
    "risk_disclosure_signed",
    "agreement_signed",
    "questionnaire_result",
]


@pytest.mark.parametrize(
    ("client_kind", "channel", "has_agent", "expected"),
    [
        ("individual", "counter", False, INDIVIDUAL_BASE),
        ("individual", "counter", True, INDIVIDUAL_BASE + INDIVIDUAL_AGENT),
        ("individual", "witnessed", False, [*INDIVIDUAL_BASE, "witness_record"]),
        ("individual", "witnessed", True, [*INDIVIDUAL_BASE, *INDIVIDUAL_AGENT, "witness_record"]),
        ("individual", "online", False, [*INDIVIDUAL_BASE, "digital_certificate"]),
        ("individual", "online", True, [*INDIVIDUAL_BASE, *INDIVIDUAL_AGENT, "digital_certificate"]),
        ("institution", "counter", False, INSTITUTION_BASE),
        ("institution", "counter", True, INSTITUTION_BASE),  # an institution always acts through its agent
        ("institution", "witnessed", False, [*INSTITUTION_BASE, "witness_record"]),
        ("institution", "online", True, [*INSTITUTION_BASE, "digital_certificate"]),
    ],
)
def test_required_kinds_per_application_type(client_kind, channel, has_agent, expected):
    assert required_kinds(client_kind=client_kind, channel=channel, has_agent=has_agent) == expected


def test_an_individual_with_an_agent_needs_a_notarised_poa_an_institution_does_not():
    assert "notarised_poa" in required_kinds(client_kind="individual", channel="counter", has_agent=True)
    assert "notarised_poa" not in required_kinds(client_kind="institution", channel="counter", has_agent=True)


@pytest.mark.parametrize(("client_kind", "channel"), [("person", "counter"), ("individual", "phone")])
def test_an_unknown_application_type_is_an_error(client_kind, channel):
    with pytest.raises(ValueError, match="unknown"):
        required_kinds(client_kind=client_kind, channel=channel, has_agent=False)


@pytest.mark.django_db
def test_the_checklist_shows_what_is_present_and_missing(clerk, client_zhang):
    id_front = document_store(actor=clerk, client=client_zhang, kind="id_front", content=PNG, filename="a.png")
    document_store(actor=clerk, client=client_zhang, kind="notarised_poa", content=PDF, filename="poa.pdf")
    document_store(actor=clerk, client=client_zhang, kind="callback_record", content=PDF, filename="cb.pdf")

    items = client_file_checklist(client_zhang, channel="counter", has_agent=False)

    assert [i.kind for i in items] == INDIVIDUAL_BASE
    front = items[0]
    assert (front.kind, front.label, front.present, front.documents) == ("id_front", "身份证件正面", True, [id_front])
    assert [i.kind for i in items if not i.present] == INDIVIDUAL_BASE[1:]
    # the POA counts only when the application is through an agent
    with_agent = client_file_missing(client_zhang, channel="counter", has_agent=True)
    assert "notarised_poa" not in with_agent
    assert with_agent == INDIVIDUAL_BASE[1:] + ["agent_id", "agent_authorisation"]


@pytest.mark.django_db
def test_a_complete_file_has_nothing_missing(clerk, client_zhang):
    for kind in [*INDIVIDUAL_BASE, "witness_record"]:
        document_store(actor=clerk, client=client_zhang, kind=kind, content=PDF, filename=f"{kind}.pdf")

    assert client_file_missing(client_zhang, channel="witnessed", has_agent=False) == []
    assert client_file_missing(client_zhang, channel="online", has_agent=False) == ["digital_certificate"]


@pytest.mark.django_db
def test_an_institutions_checklist(clerk):
    company, _ = client_register(
        actor=clerk,
        kind="institution",
        name="北京示例科技有限公司",
        id_type="uscc",
        id_number="91110108MA01A2B3CF",
        branch=Branch.objects.get(code="T001"),
    )
    document_store(actor=clerk, client=company, kind="business_licence", content=PDF, filename="licence.pdf")

    items = client_file_checklist(company, channel="counter", has_agent=False)

    assert [i.kind for i in items] == INSTITUTION_BASE
    assert [i.kind for i in items if i.present] == ["business_licence"]
