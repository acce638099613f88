"""The audit pattern every regulated model follows (see docs/decisions/0001-audit-trail.md).

1. The model declares `history = HistoricalRecords()` (django-simple-history).
2. Only services write it, and they save through `audited_save`, which stamps the acting user and the
   reason on the history row. In a web request the HistoryRequestMiddleware supplies the user too; in a
   Celery task there is no request, so the actor passed to the service is the only source.
3. Business events (transitions) also go into the stage's own event table.
"""

from django.db import models


def audited_save(instance: models.Model, *, actor, reason: str, **save_kwargs) -> None:
    instance._history_user = actor if (actor is not None and actor.is_authenticated) else None
    instance._change_reason = reason
    instance.save(**save_kwargs)


def audited_delete(instance: models.Model, *, actor, reason: str) -> None:
    instance._history_user = actor if (actor is not None and actor.is_authenticated) else None
    instance._change_reason = reason
    instance.delete()
