"""Audit explorer for compliance: timelines, field diffs with reason and user, masking, CSV, API (SPEC §8)."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.audit import audited_save
from accounts.models import Branch
from accounts.roles import Role
from accounts.services import client_register
from archive.services import document_store

from .conftest import PDF

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def zhang(clerk):
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
    document_store(actor=clerk, client=client, kind="id_front", content=PDF, filename="front.pdf")
    return client


@pytest.fixture
def officer_web(client, compliance):
    client.force_login(compliance)
    return client


def _rows(html: str) -> int:
    return html.count('<tr data-model="')


def test_client_timeline_shows_each_change_with_diff_reason_and_user(officer_web, zhang, clerk):
    response = officer_web.get(reverse("audit-client", args=[zhang.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert _rows(html) == 3  # registered (+), occupation changed (~), document stored (+)
    assert 'data-model="accounts.Client" data-change="~"' in html
    assert "客户申请修改职业" in html and "client registered" in html
    assert "<del>（空）</del> → <ins>工程师</ins>" in html
    assert clerk.username in html
    assert "front.pdf" in html


def test_personal_data_is_masked_and_a_get_cannot_reveal_it(officer_web, zhang):
    from accounts.models import PiiReveal

    masked = officer_web.get(reverse("audit-client", args=[zhang.pk])).content.decode()
    assert "138****5678" in masked and "1101**********002X" in masked
    assert "13812345678" not in masked and "11010519491231002X" not in masked
    assert 'data-testid="reveal"' in masked  # the explicit action is offered

    old_style = officer_web.get(reverse("audit-client", args=[zhang.pk]), {"reveal": "on"}).content.decode()

    assert "13812345678" not in old_style and "11010519491231002X" not in old_style
    assert not PiiReveal.objects.exists()


def test_revealing_is_a_post_that_lands_in_the_pii_reveal_log(officer_web, compliance, zhang):
    from accounts.models import PiiField, PiiReveal

    url = reverse("audit-client", args=[zhang.pk]) + "?change_type=%2B"
    response = officer_web.post(url, REMOTE_ADDR="10.1.2.3")

    html = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert "+8613812345678" in html and 'data-testid="revealed"' in html
    assert _rows(html) == 2 and 'data-change="~"' not in html  # the query string's filters still apply
    rows = PiiReveal.objects.filter(client=zhang).order_by("field")
    assert sorted(r.field for r in rows) == sorted(PiiField.values)
    assert {(r.actor, r.ip, r.granted, r.reason) for r in rows} == {
        (compliance, "10.1.2.3", True, "审计查询：客户历史记录")
    }


def test_reveal_is_refused_and_logged_without_the_permission(client, make_staff, zhang):
    from django.contrib.auth.models import Permission

    from accounts.models import PiiReveal

    auditor = make_staff(Role.WITNESS)  # a role without accounts.reveal_personal_data
    assert not auditor.has_perm("accounts.reveal_personal_data")
    auditor.user_permissions.add(Permission.objects.get(codename="view_audit"))
    client.force_login(auditor)

    page = client.get(reverse("audit-client", args=[zhang.pk])).content.decode()
    response = client.post(reverse("audit-client", args=[zhang.pk]))

    assert 'data-testid="reveal"' not in page
    assert response.status_code == 403
    assert "13812345678" not in response.content.decode()
    refused = PiiReveal.objects.get()
    assert (refused.actor, refused.granted) == (auditor, False)


def test_staff_and_model_timelines_never_reveal(officer_web, clerk, zhang):
    from accounts.models import PiiReveal

    for url in (reverse("audit-staff", args=[clerk.pk]), reverse("audit-model", args=["accounts.Client"])):
        html = officer_web.get(url, {"reveal": "on"}).content.decode()
        assert "13812345678" not in html and 'data-testid="reveal"' not in html
        assert officer_web.post(url).status_code == 405
    assert not PiiReveal.objects.exists()


def test_filters_by_change_type_and_date(officer_web, zhang):
    url = reverse("audit-client", args=[zhang.pk])
    only_updates = officer_web.get(url, {"change_type": "~"}).content.decode()
    assert _rows(only_updates) == 1 and 'data-change="+"' not in only_updates

    tomorrow = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    assert _rows(officer_web.get(url, {"date_from": tomorrow}).content.decode()) == 0
    assert _rows(officer_web.get(url, {"date_to": tomorrow}).content.decode()) == 3


def test_csv_export_of_the_filtered_rows(officer_web, zhang):
    response = officer_web.get(reverse("audit-client", args=[zhang.pk]), {"change_type": "~", "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:7] == ["time", "model", "object_id", "object", "change", "user", "reason"]
    assert [(r[1], r[4], r[6], r[7], r[9]) for r in rows[1:]] == [
        ("accounts.Client", "update", "客户申请修改职业", "occupation", "工程师")
    ]


def test_staff_and_model_timelines(officer_web, zhang, clerk):
    staff_html = officer_web.get(reverse("audit-staff", args=[clerk.pk])).content.decode()
    assert _rows(staff_html) >= 3
    model_html = officer_web.get(reverse("audit-model", args=["accounts.Client"])).content.decode()
    assert _rows(model_html) == 2
    assert officer_web.get(reverse("audit-model", args=["accounts.Nope"])).status_code == 404
    assert officer_web.get(reverse("audit-index"), {"q": zhang.client_no}).status_code == 200


@pytest.mark.parametrize("role", [Role.CLERK, Role.REVIEWER, Role.ADMIN, Role.ACCOUNT_MANAGER])
def test_other_roles_are_refused(client, api_client, make_staff, zhang, role):
    user = make_staff(role)
    client.force_login(user)
    api_client.force_authenticate(user)

    for url in [
        reverse("audit-index"),
        reverse("audit-client", args=[zhang.pk]),
        reverse("audit-staff", args=[user.pk]),
        reverse("audit-chain"),
    ]:
        assert client.get(url).status_code == 403, url
    assert api_client.get(f"/api/v1/clients/{zhang.pk}/history/").status_code == 403


def test_history_api_is_masked_and_filterable(api_client, compliance, zhang):
    api_client.force_authenticate(compliance)

    response = api_client.get(f"/api/v1/clients/{zhang.pk}/history/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    created = next(e for e in body["results"] if e["model"] == "accounts.Client" and e["change_type"] == "+")
    phone = next(c for c in created["changes"] if c["field"] == "phone")
    assert phone["new"] == "138****5678"
    updates = api_client.get(f"/api/v1/clients/{zhang.pk}/history/", {"change_type": "~"}).json()
    assert [(e["reason"], e["changes"][0]["new"]) for e in updates["results"]] == [("客户申请修改职业", "工程师")]
    assert api_client.get(f"/api/v1/clients/{zhang.pk}/history/", {"change_type": "x"}).status_code == 400
    assert api_client.get("/api/v1/clients/999999/history/").status_code == 404


@pytest.mark.postgres
def test_chain_page_reports_ok_then_the_altered_row(officer_web, zhang):
    from archive.services import chain_sequence

    pending = officer_web.get(reverse("audit-chain")).content.decode()
    assert 'data-testid="chain-ok"' in pending and 'data-testid="chain-pending"' in pending  # not linked yet
    chain_sequence()
    html = officer_web.get(reverse("audit-chain")).content.decode()
    assert 'data-testid="chain-ok"' in html and 'data-testid="chain-pending"' not in html
    victim = zhang.history.order_by("history_id").first()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE accounts_historicalclient DISABLE TRIGGER ALL")
        cursor.execute("UPDATE accounts_historicalclient SET name = '王五' WHERE history_id = %s", [victim.history_id])
        cursor.execute("ALTER TABLE accounts_historicalclient ENABLE TRIGGER ALL")

    html = officer_web.get(reverse("audit-chain")).content.decode()

    assert 'data-testid="chain-broken"' in html
    assert "accounts.HistoricalClient" in html and f"<td>{victim.history_id}</td>" in html


def test_the_compliance_workbench_links_audit_chain_and_client_search(officer_web):
    html = officer_web.get(reverse("home")).content.decode()
    for url in (reverse("audit-index"), reverse("audit-chain"), reverse("archive-client-search")):
        assert f'href="{url}"' in html
