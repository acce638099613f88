"""History rows are append-only in the database (SPEC §8: history cannot be edited).

django-simple-history builds the historical models of other apps, so their triggers cannot live in
this app's migrations; they are installed (idempotently) after every `migrate` on PostgreSQL, for every
historical model that exists, including those that later apps add. See
docs/decisions/0006-archive-immutability.md.
"""

import logging

import pgtrigger
from django.apps import apps
from django.db import connections

logger = logging.getLogger(__name__)

HISTORY_APPEND_ONLY = pgtrigger.Protect(name="history_append_only", operation=pgtrigger.Update | pgtrigger.Delete)


def history_models() -> list[type]:
    from simple_history.models import HistoricalChanges

    return sorted(
        (m for m in apps.get_models() if issubclass(m, HistoricalChanges) and not m._meta.proxy),
        key=lambda m: m._meta.label,
    )


def history_triggers_install(*, using: str = "default") -> list[str]:
    """Install the append-only trigger on every historical table. Returns the tables protected."""
    if connections[using].vendor != "postgresql":
        return []
    protected = []
    existing = set(connections[using].introspection.table_names())
    for model in history_models():
        if model._meta.db_table not in existing:  # its app's migrations have not created it yet
            continue
        HISTORY_APPEND_ONLY.install(model, database=using)
        protected.append(model._meta.db_table)
    logger.info("history tables made append-only: %s", ", ".join(protected))
    return protected


def history_triggers_after_migrate(sender, using="default", **kwargs) -> None:
    history_triggers_install(using=using)
