"""Celery tasks of the callback stage: take ids (or nothing), reload, call a service. All idempotent and
acks_late with reject-on-worker-lost (settings), so a killed worker's task is redelivered and completes."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import services


@shared_task(acks_late=True, ignore_result=True)
def callback_tasks_sweep_task() -> dict:
    """Beat, every minute: create missing pre-activation tasks, close stale ones, re-send lost records."""
    return services.callback_tasks_sweep()


@shared_task(acks_late=True, ignore_result=True)
def callback_deadlines_enforce_task() -> dict:
    """Beat, every few minutes: due reminders, escalation of overdue tasks, expiry."""
    return services.callback_deadlines_enforce()


@shared_task(
    acks_late=True,
    ignore_result=True,
    # A lost database connection (OperationalError/InterfaceError) rolls the work back: run it again.
    autoretry_for=(ConnectionError, OSError, OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
    time_limit=300,
    soft_time_limit=270,
)
def callback_record_generate_task(attempt_id: int) -> int | None:
    """File the callback record PDF of one attempt; a second run finds it filed and does nothing."""
    return services.callback_record_generate(attempt_id=attempt_id)
