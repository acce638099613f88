from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from .models import WorkerHeartbeat


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False


def broker_ok() -> bool:
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:  # noqa: BLE001
        return False


def worker_last_seen():
    beat = WorkerHeartbeat.objects.order_by("-created_at").only("created_at").first()
    return beat.created_at if beat else None


def worker_ok() -> bool:
    last = worker_last_seen()
    return last is not None and timezone.now() - last < timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE)
