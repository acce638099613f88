from celery import shared_task

from . import services


@shared_task(acks_late=True, ignore_result=True)
def worker_heartbeat_record(source: str = "beat") -> None:
    services.worker_heartbeat_record(source=source)
