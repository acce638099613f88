from celery import shared_task

from . import services


@shared_task(acks_late=True, ignore_result=True, time_limit=1800, soft_time_limit=1740)
def dossier_export_build_task(export_id: int) -> None:
    """Build a client's dossier ZIP; running it twice leaves the same finished export."""
    services.dossier_export_build(export_id=export_id)
