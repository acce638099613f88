"""A workflow task whose database connection is lost (server restart, failover, a terminated session) runs
again instead of waiting for the sweeper: the transaction rolled back, so running it again is safe."""

import pytest
from django.db import InterfaceError, OperationalError

from accounts.tasks import change_request_sync_task
from callbacks.tasks import callback_record_generate_task
from suitability.tasks import assessment_result_generate_task


def _fails_once(exc: Exception, result):
    calls: list = []

    def run(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise exc
        return result

    return run, calls


@pytest.mark.parametrize("exc", [OperationalError("server closed the connection"), InterfaceError("closed")])
@pytest.mark.parametrize(
    ("task", "service", "kwarg", "result"),
    [
        (change_request_sync_task, "accounts.services.change_request_sync", "request_id", "applied"),
        (callback_record_generate_task, "callbacks.services.callback_record_generate", "attempt_id", 11),
        (assessment_result_generate_task, "suitability.services.assessment_result_generate", "assessment_id", 12),
    ],
)
def test_a_lost_database_connection_runs_the_task_again(monkeypatch, settings, exc, task, service, kwarg, result):
    settings.CHANGE_SYNC_BACKOFF_SECONDS = 0
    run, calls = _fails_once(exc, result)
    monkeypatch.setattr(service, run)

    outcome = task.apply(args=[7])  # eager: a retry runs again at once

    assert outcome.successful() and outcome.result == result
    assert calls == [{kwarg: 7}, {kwarg: 7}]
