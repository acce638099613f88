"""Retention: at least 20 years after the relationship ends; legal hold; a report that deletes nothing."""

import datetime
import io

import pytest
from django.core.management import call_command

from accounts.errors import ApplicationError
from accounts.models import Client
from archive.models import Document, LegalHoldChange
from archive.selectors import documents_past_retention
from archive.services import client_retention_apply, document_legal_hold_set, document_store, years_after

from .conftest import PDF

pytestmark = pytest.mark.django_db


def _end_relationship(client: Client, day: datetime.date) -> None:
    # stands in for the (future) account-closing service, which calls client_retention_apply
    client.relationship_ended_on = day
    client.save()
    client_retention_apply(client_id=client.pk)


def test_twenty_years_after_a_leap_day_is_never_shorter():
    assert years_after(datetime.date(2004, 2, 29), 20) == datetime.date(2024, 2, 29)
    assert years_after(datetime.date(2008, 2, 29), 21) == datetime.date(2029, 3, 1)
    assert years_after(datetime.date(2025, 6, 30), 20) == datetime.date(2045, 6, 30)


def test_documents_are_kept_until_twenty_years_after_the_relationship_ends(clerk, client_zhang):
    document = document_store(actor=clerk, client=client_zhang, kind="other", content=PDF, filename="a.pdf")
    assert document.retention_until is None

    _end_relationship(client_zhang, datetime.date(2030, 5, 31))

    document.refresh_from_db()
    assert document.retention_until == datetime.date(2050, 5, 31)


def test_a_document_stored_after_the_relationship_ended_gets_its_end_at_once(clerk, client_zhang):
    _end_relationship(client_zhang, datetime.date(2030, 5, 31))

    document = document_store(actor=clerk, client=client_zhang, kind="other", content=PDF, filename="a.pdf")

    assert document.retention_until == datetime.date(2050, 5, 31)


def test_retention_apply_never_shortens_a_longer_end(clerk, client_zhang):
    document = document_store(actor=clerk, client=client_zhang, kind="other", content=PDF, filename="a.pdf")
    Document.objects.filter(pk=document.pk).update(retention_until=datetime.date(2099, 1, 1))

    _end_relationship(client_zhang, datetime.date(2030, 5, 31))

    document.refresh_from_db()
    assert document.retention_until == datetime.date(2099, 1, 1)


def test_the_report_lists_documents_past_retention_but_not_those_on_hold_and_deletes_nothing(
    clerk, compliance, client_zhang
):
    expired = document_store(actor=clerk, client=client_zhang, kind="id_front", content=PDF, filename="old.pdf")
    held = document_store(actor=clerk, client=client_zhang, kind="id_back", content=PDF, filename="held.pdf")
    _end_relationship(client_zhang, datetime.date(2000, 1, 15))
    document_legal_hold_set(actor=compliance, document_id=held.pk, held=True, reason="公安机关协查函 2026-001")

    out = io.StringIO()
    call_command("archive_retention_report", "--date", "2026-11-21", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].split("\t")[:4] == [str(expired.pk), client_zhang.client_no, "id_front", "2020-01-15"]
    assert lines[-1] == "1 document(s) past retention; nothing was deleted."
    assert Document.objects.count() == 2
    assert list(documents_past_retention(today=datetime.date(2020, 1, 15))) == []


def test_a_legal_hold_is_logged_with_who_and_why(compliance, clerk, client_zhang):
    document = document_store(actor=clerk, client=client_zhang, kind="other", content=PDF, filename="a.pdf")

    document_legal_hold_set(actor=compliance, document_id=document.pk, held=True, reason="  诉讼保全  ")

    document.refresh_from_db()
    assert document.legal_hold is True
    change = LegalHoldChange.objects.get()
    assert (change.held, change.reason, change.actor) == (True, "诉讼保全", compliance)


@pytest.mark.parametrize(
    ("role_fixture", "reason", "code"), [("clerk", "x", "permission_denied"), ("compliance", " ", "reason_required")]
)
def test_a_legal_hold_needs_the_permission_and_a_reason(request, clerk, client_zhang, role_fixture, reason, code):
    document = document_store(actor=clerk, client=client_zhang, kind="other", content=PDF, filename="a.pdf")
    actor = request.getfixturevalue(role_fixture)

    with pytest.raises(ApplicationError) as refused:
        document_legal_hold_set(actor=actor, document_id=document.pk, held=True, reason=reason)

    assert refused.value.code == code
    document.refresh_from_db()
    assert document.legal_hold is False
    assert LegalHoldChange.objects.count() == 0
