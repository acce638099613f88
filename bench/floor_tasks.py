"""A no-op Celery task for benchmark 7, imported by the worker only when BENCH_FLOOR_VIEWS=1 (CELERY_IMPORTS)."""

import redis
from celery import shared_task
from django.conf import settings

_redis: redis.Redis | None = None


@shared_task(ignore_result=True)
def bench_noop(counter: str) -> None:
    """Count itself in Redis so the benchmark knows when the batch is through; nothing else."""
    global _redis  # noqa: PLW0603  (one connection per worker process)
    if _redis is None:
        _redis = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    _redis.incr(counter)
