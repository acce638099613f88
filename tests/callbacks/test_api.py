"""The callback API and pages: permission-checked, in the OpenAPI schema, errors in the one shape."""

import pytest

from accounts.roles import Role
from callbacks import services as svc
from callbacks.models import CallbackTask
from tests.callbacks.conftest import ALL_YES

pytestmark = pytest.mark.django_db
BASE = "/api/v1/callbacks/tasks/"


def _as(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def test_an_agent_lists_reads_and_passes_a_task(api_client, opened_app, agent):
    app = opened_app()
    svc.callback_tasks_sweep()
    task = CallbackTask.objects.get()
    client = _as(api_client, agent)

    listed = client.get(BASE, {"mine": "true", "open": "true"})
    assert listed.status_code == 200
    row = listed.json()["results"][0]
    assert row["id"] == task.pk and row["status"] == "pending" and row["client_name"].startswith(app.client.name[0])
    assert "*" in row["client_name"]

    posted = client.post(f"{BASE}{task.pk}/attempts/", {"channel": "phone", "outcome": "connected", **ALL_YES},
                         format="json")  # fmt: skip
    assert posted.status_code == 201, posted.json()
    assert posted.json()["task"]["status"] == "passed"

    again = client.post(f"{BASE}{task.pk}/attempts/", {"channel": "phone", "outcome": "connected", **ALL_YES},
                        format="json")  # fmt: skip
    assert again.status_code == 409
    assert again.json()["code"] == "task_done"

    detail = client.get(f"{BASE}{task.pk}/").json()
    assert [a["outcome"] for a in detail["attempts"]] == ["connected"]


def test_bad_input_gets_the_exact_error_and_nothing_is_saved(api_client, opened_app, agent):
    opened_app()
    svc.callback_tasks_sweep()
    task = CallbackTask.objects.get()
    response = _as(api_client, agent).post(
        f"{BASE}{task.pk}/attempts/", {"channel": "phone", "outcome": "connected", "identity_confirmed": True},
        format="json", HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "confirmations_incomplete"
    assert set(body["fields"]) == {
        "disclosures_understood",
        "true_wish",
        "password_reminder_given",
        "channel_confirmed",
    }
    assert body["rule"] == "Account-opening rules, art. 11"
    assert task.attempts.count() == 0


def test_roles_without_the_permission_are_refused(api_client, make_staff, opened_app, agent):
    opened_app()
    svc.callback_tasks_sweep()
    task = CallbackTask.objects.get()
    manager = make_staff(Role.ACCOUNT_MANAGER)
    assert _as(api_client, manager).get(BASE).status_code == 403
    compliance = make_staff(Role.COMPLIANCE)
    assert _as(api_client, compliance).get(BASE).status_code == 200
    refused = _as(api_client, compliance).post(f"{BASE}{task.pk}/attempts/", {"channel": "phone",
                                                                              "outcome": "no_answer"}, format="json")  # fmt: skip
    assert refused.status_code == 403


def test_the_schema_documents_the_callback_endpoints(api_client, agent):
    schema = _as(api_client, agent).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "get" in schema["paths"]["/api/v1/callbacks/tasks/"]
    assert "201" in schema["paths"]["/api/v1/callbacks/tasks/{task_id}/attempts/"]["post"]["responses"]


def test_the_pages_render_for_agents_and_supervisors(client, opened_app, agent, supervisor):
    app = opened_app(with_agent=True)
    svc.callback_tasks_sweep()
    task = CallbackTask.objects.get()
    client.force_login(agent)
    queue = client.get("/callbacks/").content.decode()
    assert f'data-task="{task.pk}"' in queue
    page = client.get(f"/callbacks/tasks/{task.pk}/").content.decode()
    assert "代理人身份及授权确认" in page and "五项确认" in page
    assert app.client.phone[-4:] in page and app.client.phone not in page  # masked
    assert client.get("/callbacks/supervisor/").status_code == 403
    history = client.get(f"/callbacks/clients/{app.client_id}/").content.decode()
    assert f'data-task="{task.pk}"' in history
    home = client.get("/").content.decode()
    assert "/callbacks/" in home

    client.force_login(supervisor)
    overview = client.get("/callbacks/supervisor/").content.decode()
    assert "陈回访" in overview
    other = svc.callback_agent_pick(exclude_id=agent.pk)
    assert other is None  # only one agent: reassignment to a non-agent is refused
    response = client.post(f"/callbacks/tasks/{task.pk}/reassign/", {"agent_id": supervisor.pk}, follow=True)
    assert "不是在职的回访专员" in response.content.decode()
