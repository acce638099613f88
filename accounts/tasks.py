from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from . import services
from .gateways import GatewayTransientError
from .idempotency import idempotency_keys_purge


@shared_task(acks_late=True, ignore_result=True)
def worker_heartbeat_record(source: str = "beat") -> None:
    services.worker_heartbeat_record(source=source)


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=None, time_limit=300, soft_time_limit=270)
def change_request_sync_task(self, request_id: int) -> str | None:
    """The CSDC workflow of one approved change request (idempotent: CSDC applies the request reference
    once and the local application checks the state under a lock). Transient CSDC errors retry with
    exponential backoff; when retries run out the request goes to the manual-handling queue."""
    try:
        return services.change_request_sync(request_id=request_id)
    except GatewayTransientError as exc:
        if self.request.retries >= settings.CHANGE_SYNC_MAX_RETRIES:
            services.change_request_manual(request_id=request_id, reason=str(exc))
            return "manual"
        backoff = settings.CHANGE_SYNC_BACKOFF_SECONDS * 2**self.request.retries
        raise self.retry(exc=exc, countdown=min(backoff, 600)) from exc
    except (OperationalError, InterfaceError) as exc:  # database connection lost: the work rolled back, run again
        backoff = settings.CHANGE_SYNC_BACKOFF_SECONDS * 2 ** min(self.request.retries, 6)
        raise self.retry(exc=exc, countdown=min(backoff, 600)) from exc


@shared_task(acks_late=True, ignore_result=True)
def change_requests_sweep_task() -> int:
    """Beat: resend approved change requests whose workflow has not run (never lost)."""
    return services.change_requests_sweep()


@shared_task(acks_late=True, ignore_result=True)
def idempotency_keys_purge_task() -> int:
    """Beat entry: forget Idempotency-Key records whose time is up (IDEMPOTENCY_TTL_HOURS)."""
    return idempotency_keys_purge()
