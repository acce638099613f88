from celery import shared_task

from . import services


@shared_task(acks_late=True, ignore_result=True, time_limit=1800, soft_time_limit=1740)
def dossier_export_build_task(export_id: int) -> None:
    """Build a client's dossier ZIP; running it twice leaves the same finished export."""
    services.dossier_export_build(export_id=export_id)


@shared_task(acks_late=True, ignore_result=True, time_limit=600, soft_time_limit=570)
def change_slips_generate_task() -> int:
    """Beat: file the confirmation slip of every applied client data change that has none yet."""
    return services.change_slips_generate()


@shared_task(ignore_result=True, time_limit=300, soft_time_limit=270)
def chain_sequence_task() -> int:
    """Beat, every few seconds: append the tamper-evidence links of rows committed since the last run.

    Not acks_late: a run lost with its worker is replaced by the next beat tick, which continues from the head.
    """
    return services.chain_sequence()
