"""Celery tasks of the suitability stage: take ids, reload, call a service. Each is idempotent (a second run
finds the document filed and does nothing); acks_late with reject-on-worker-lost come from settings."""

import datetime

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from . import services

_PDF_TASK = {
    "acks_late": True,
    "ignore_result": True,
    # A lost database connection (OperationalError/InterfaceError) rolls the work back: run it again.
    "autoretry_for": (ConnectionError, OSError, OperationalError, InterfaceError),
    "retry_backoff": True,
    "max_retries": 5,
    "time_limit": 300,
    "soft_time_limit": 270,
}


@shared_task(**_PDF_TASK)
def assessment_result_generate_task(assessment_id: int) -> int:
    """File the result PDF of one risk assessment in the client's file."""
    return services.assessment_result_generate(assessment_id=assessment_id)


@shared_task(**_PDF_TASK)
def mismatch_warning_generate_task(confirmation_id: int) -> int:
    """File the confirmed special risk warning of one mismatch sale in the client's file."""
    return services.mismatch_warning_generate(confirmation_id=confirmation_id)


@shared_task(acks_late=True, ignore_result=True)
def suitability_documents_resend_task() -> int:
    """Beat: re-send PDFs whose task was lost after commit (older than ten minutes, so not still queued)."""
    return services.suitability_documents_resend(older_than=timezone.now() - datetime.timedelta(minutes=10))
