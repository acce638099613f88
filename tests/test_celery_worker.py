"""A real worker on Redis runs tasks that write to PostgreSQL; a task sent in a rolled-back transaction never runs."""

import pytest
from django.db import transaction

from accounts.models import WorkerHeartbeat
from accounts.tasks import worker_heartbeat_record
from tests.workers import running_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_real_worker_runs_a_task_that_writes_to_postgres():
    with running_worker():
        # when a task is sent after commit
        transaction.on_commit(lambda: worker_heartbeat_record.delay("committed"))

        # then the worker process writes the row
        row = wait_for(lambda: WorkerHeartbeat.objects.filter(source="committed").first())
        assert row.hostname


def test_task_sent_inside_a_rolled_back_transaction_never_runs():
    class Boom(Exception):
        pass

    with running_worker():
        # given a transaction that queues a task on commit and then fails
        with pytest.raises(Boom), transaction.atomic():
            transaction.on_commit(lambda: worker_heartbeat_record.delay("rolled-back"))
            raise Boom

        # when a later task is sent and processed (one worker slot, prefetch 1: in order)
        with transaction.atomic():
            transaction.on_commit(lambda: worker_heartbeat_record.delay("marker"))
        wait_for(lambda: WorkerHeartbeat.objects.filter(source="marker").exists())

        # then the rolled-back one never ran
        assert not WorkerHeartbeat.objects.filter(source="rolled-back").exists()
