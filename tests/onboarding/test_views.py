"""The clerk's pages: new application form with errors next to fields, the wizard, list, queue, workbench."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from onboarding import services as svc
from onboarding.models import Application
from tests.onboarding.conftest import person

pytestmark = pytest.mark.django_db


def _form(**extra) -> dict:
    data = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in person().items()}
    return {"channel": "counter", **data, "bank_code": "ICBC", "bank_account": "6222020000000000001", **extra}


def test_new_application_form_creates_and_opens_the_wizard(client, clerk):
    client.force_login(clerk)

    response = client.post(reverse("onboarding-new"), _form())

    app = Application.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("onboarding-wizard", args=[app.pk])
    page = client.get(response.url).content.decode()
    assert 'data-step="identity" data-state="current"' in page
    assert app.client.id_number not in page  # masked


def test_a_bad_id_number_is_shown_next_to_the_field_and_nothing_is_saved(client, clerk):
    client.force_login(clerk)
    data = _form()
    data["id_number"] = data["id_number"][:-1] + ("1" if data["id_number"][-1] == "0" else "0")

    response = client.post(reverse("onboarding-new"), data)

    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_id_number-error"' in page
    assert "校验位" in page
    assert Application.objects.count() == 0


def test_an_unqualified_witness_is_refused_on_the_witness_field(client, clerk, make_staff):
    bad = make_staff(Role.WITNESS, is_marketing_role=True, qualification_no="S1")
    client.force_login(clerk)

    response = client.post(reverse("onboarding-new"), _form(channel="witnessed", witness=bad.pk,
                                                              met_by=[clerk.pk, bad.pk]))  # fmt: skip

    assert response.status_code == 400
    assert "从事营销岗位" in response.content.decode()
    assert Application.objects.count() == 0


def test_a_refused_step_shows_the_reason_on_the_wizard(client, clerk):
    app = svc.application_create(actor=clerk, channel="counter", client=person())
    client.force_login(clerk)

    response = client.post(reverse("onboarding-submit", args=[app.pk]))

    assert response.status_code == 409
    assert 'data-testid="step-error"' in response.content.decode()


def test_list_filters_and_reviewer_queue_and_workbench(client, clerk, reviewer):
    app = svc.application_create(actor=clerk, channel="counter", client=person())
    Application.objects.filter(pk=app.pk).update(status="submitted")
    client.force_login(clerk)
    assert f"#{app.pk}" in client.get(reverse("onboarding-list"), {"status": "submitted"}).content.decode()
    assert f"#{app.pk}" not in client.get(reverse("onboarding-list"), {"status": "draft"}).content.decode()
    home = client.get(reverse("home")).content.decode()
    assert reverse("onboarding-new") in home
    assert client.get(reverse("onboarding-queue")).status_code == 403

    client.force_login(reviewer)
    queue = client.get(reverse("onboarding-queue")).content.decode()
    assert f"#{app.pk}" in queue
    home = client.get(reverse("home")).content.decode()
    assert reverse("onboarding-queue") in home


def test_client_page_shows_masked_profile_accounts_and_suitability(client, clerk, reviewer):
    from tests.onboarding.test_services import _counter_app, _whole_journey

    app = _whole_journey(clerk, reviewer, _counter_app(clerk))
    client.force_login(clerk)

    response = client.get(f"/onboarding/clients/{app.client_id}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert app.client.id_number not in html  # masked
    assert app.client.id_number[:4] + "**********" + app.client.id_number[-4:] in html
    fund = app.client.fund_accounts.get()
    assert fund.account_no in html
    assert html.count("待激活") >= 4  # fund, SH, SZ, depository all pending activation
    assert "风险承受能力" in html
    assert f"/onboarding/{app.pk}/" in html


def test_client_page_is_refused_to_roles_without_client_access(client, make_staff, clerk):
    from tests.onboarding.test_services import _counter_app

    app = _counter_app(clerk)
    client.force_login(make_staff("witness"))

    assert client.get(f"/onboarding/clients/{app.client_id}/").status_code == 403
