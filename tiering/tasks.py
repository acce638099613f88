from celery import shared_task

from . import services


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=3000, time_limit=3300)
def tier_recompute_task(run_id: int) -> None:
    """Run one queued recompute (idempotent: a finished run is left as it is)."""
    services.tier_recompute_run(run_id=run_id)


@shared_task(acks_late=True, ignore_result=True)
def tier_recompute_nightly() -> None:
    """Beat entry: queue a recompute of the whole client base under the active policy."""
    services.tier_recompute_request(actor=None, trigger="nightly")
