"""Two agents press "pass" on the same task at the same moment: one activation, one clear conflict."""

import threading

import pytest
from django.db import connection

from callbacks import services as svc
from callbacks.models import CallbackAttempt, CallbackTask
from onboarding.models import ApplicationStatus
from tests.callbacks.conftest import ALL_YES

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


def test_two_concurrent_passes_activate_once_and_the_other_gets_a_conflict(opened_app, agent, supervisor,
                                                                           monkeypatch):  # fmt: skip
    from rest_framework.test import APIClient

    app = opened_app()
    svc.callback_tasks_sweep()
    task = CallbackTask.objects.get()
    entered = threading.Event()
    release = threading.Event()
    real_activate = svc.onboarding_services.application_activate
    activations = []

    def slow_activate(**kwargs):  # hold the first "pass" inside its transaction, with the task row locked
        activations.append(kwargs["application_id"])
        entered.set()
        release.wait(10)
        return real_activate(**kwargs)

    monkeypatch.setattr(svc.onboarding_services, "application_activate", slow_activate)
    results: dict = {}

    def send(user):
        try:
            client = APIClient()
            client.force_authenticate(user)
            results[user.username] = client.post(
                f"/api/v1/callbacks/tasks/{task.pk}/attempts/",
                {"channel": "phone", "outcome": "connected", **ALL_YES},
                format="json",
            )
        finally:
            connection.close()

    first = threading.Thread(target=send, args=(agent,))
    first.start()
    assert entered.wait(10)
    second = threading.Thread(target=send, args=(supervisor,))
    second.start()
    second.join(1.5)  # the second is now waiting on the task row lock
    assert second.is_alive()
    release.set()
    first.join(10)
    second.join(10)

    assert results["agent1"].status_code == 201
    assert results["super1"].status_code == 409
    assert results["super1"].json()["code"] == "task_done"
    assert "回访通过" in results["super1"].json()["message"]
    assert activations == [app.pk]
    app.refresh_from_db()
    assert app.status == ApplicationStatus.ACTIVE
    assert app.events.filter(action="activated").count() == 1
    assert CallbackAttempt.objects.count() == 1
