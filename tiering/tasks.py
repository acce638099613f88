import logging

from celery import shared_task

from accounts.errors import ApplicationError

from . import services
from .errors import TieringError

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=3000, time_limit=3300)
def tier_recompute_task(run_id: int) -> None:
    """Run one queued recompute (idempotent: a finished run is left as it is)."""
    services.tier_recompute_run(run_id=run_id)


@shared_task(acks_late=True, ignore_result=True)
def tier_recompute_nightly() -> None:
    """Beat entry: queue a recompute of the whole client base under the active policy."""
    try:
        services.tier_recompute_request(actor=None, trigger="nightly")
    except ApplicationError as exc:
        if exc.error is not TieringError.RECOMPUTE_ACTIVE:
            raise
        logger.info("nightly tier recompute not queued: %s", exc.message_in("en"))
