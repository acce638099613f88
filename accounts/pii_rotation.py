"""Re-encrypt every stored personal-data value under the current PII encryption key (`manage.py pii_rotate`).

Rotation: prepend the new key to PII_ENCRYPTION_KEYS (the first key encrypts, all keys decrypt), deploy, run
`manage.py pii_rotate`, then drop the old key. The blind-index key (PII_INDEX_KEY) is not touched.

What it touches: every column of type `accounts.fields.EncryptedTextField` of every installed, managed model,
found through `apps.get_models()`, so the django-simple-history tables (which copy the field) and models added
later are included without a change here. Values are read and written as raw column text (the field's
`from_db_value` would decrypt them), in batches of rows per transaction, in primary-key order (keyset
pagination). Only values that the first key cannot decrypt are rewritten, so a second run costs one read
and writes nothing. A write is a compare-and-set on the old ciphertext, so a value the application changed
meanwhile is left as the application wrote it (under the current key). Values that no configured key
decrypts are reported (table, pk, column) and make the command fail; they are never skipped silently.

Append-only tables: history tables (archive/immutability.py, ADR 0006) and other protected tables carry
django-pgtrigger triggers that refuse UPDATE. This command, and nothing else in the product, bypasses them:
inside each batch's transaction it sets the transaction-local `pgtrigger.ignore` setting — the mechanism
every pgtrigger trigger checks through `_pgtrigger_should_ignore` and that `pgtrigger.ignore()` uses — to
the pgtrigger triggers of the table being rewritten, and clears it again before the batch commits. The
bypass never outlives the batch (a rollback undoes it too), applies only to this connection, and takes no
table lock (unlike `ALTER TABLE … DISABLE TRIGGER`), so the application keeps appending history meanwhile;
the bypassed triggers are named in the report. (`pgtrigger.ignore()` itself cannot be used: it only knows
registered triggers, and the history triggers are installed without registration.) Allowed because the content does not change: every value
decrypts to the same plaintext, and the audit hash chain (ADR 0007), which hashes decrypted values, still
verifies. Triggers not made by pgtrigger still apply. On SQLite (embedded mode) there are no triggers.
"""

import hashlib
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.conf import settings
from django.db import connections, models, transaction

from . import crypto
from .fields import EncryptedTextField

DEFAULT_BATCH_SIZE = 1000


@dataclass
class RotationProblem:
    table: str
    pk: str
    column: str
    reason: str  # unknown_key | not_encrypted


@dataclass
class TableRotation:
    table: str
    columns: list[str]
    values: int = 0  # non-empty encrypted values seen
    rotated: int = 0  # rewritten (or, in a dry run, would be)
    current: int = 0  # already under the first key
    changed_meanwhile: int = 0  # the application rewrote the value between read and write
    problems: list[RotationProblem] = field(default_factory=list)
    bypassed_triggers: list[str] = field(default_factory=list)


@dataclass
class RotationReport:
    dry_run: bool
    keys_configured: int
    current_key_fingerprint: str
    tables: list[TableRotation] = field(default_factory=list)

    @property
    def rotated(self) -> int:
        return sum(t.rotated for t in self.tables)

    @property
    def values(self) -> int:
        return sum(t.values for t in self.tables)

    @property
    def problems(self) -> list[RotationProblem]:
        return [p for t in self.tables for p in t.problems]


def key_fingerprint(key: str) -> str:
    """A short, non-reversible label for a key, to tell keys apart in output without showing them."""
    return hashlib.sha256(key.encode()).hexdigest()[:8]


def encrypted_columns(*, using: str = "default") -> list[tuple[type[models.Model], list[EncryptedTextField]]]:
    """Every managed model (history models included) with its own EncryptedTextField columns, whose table
    exists, in table order."""
    existing = set(connections[using].introspection.table_names())
    found: dict[str, tuple[type[models.Model], list[EncryptedTextField]]] = {}
    for model in apps.get_models():
        opts = model._meta
        if opts.proxy or not opts.managed or opts.db_table not in existing or opts.db_table in found:
            continue
        # local_concrete_fields: a multi-table child's inherited columns live (and are rotated) in the parent.
        columns = [f for f in opts.local_concrete_fields if isinstance(f, EncryptedTextField)]
        if columns:
            found[opts.db_table] = (model, columns)
    return [found[table] for table in sorted(found)]


def _pgtrigger_triggers(cursor, table: str) -> list[str]:
    cursor.execute(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal "
        "AND tgname LIKE 'pgtrigger\\_%%' ORDER BY tgname",
        [table],
    )
    return [row[0] for row in cursor.fetchall()]


def _ignore_value(table: str, triggers: list[str]) -> str:
    # pgtrigger's array format; "table:pgid" too, for triggers installed by older pgtrigger versions.
    return "{" + ",".join([*triggers, *(f"{table}:{t}" for t in triggers)]) + "}"


def _rotate_table(
    model: type[models.Model], columns: list[EncryptedTextField], *, using: str, batch_size: int, dry_run: bool
) -> TableRotation:
    connection = connections[using]
    qn = connection.ops.quote_name
    table = model._meta.db_table
    pk_column = model._meta.pk.column
    result = TableRotation(table=table, columns=[f.column for f in columns])
    first_key = Fernet(settings.PII_ENCRYPTION_KEYS[0].encode())
    postgres = connection.vendor == "postgresql"
    if postgres and not dry_run:
        with connection.cursor() as cursor:
            result.bypassed_triggers = _pgtrigger_triggers(cursor, qn(table))

    select_list = ", ".join(qn(c) for c in [pk_column, *result.columns])
    base = f"SELECT {select_list} FROM {qn(table)}"  # noqa: S608  # nosec B608 (quoted identifiers from model metadata)
    order = f" ORDER BY {qn(pk_column)} LIMIT %s"
    last_pk = None
    while True:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            if last_pk is None:
                cursor.execute(base + order, [batch_size])
            else:
                cursor.execute(f"{base} WHERE {qn(pk_column)} > %s{order}", [last_pk, batch_size])
            rows = cursor.fetchall()
            if not rows:
                break
            last_pk = rows[-1][0]
            pending: list[tuple[object, list[tuple[str, str, str]]]] = []  # (pk, [(column, new, old)])
            for pk, *values in rows:
                changed = []
                for column, value in zip(result.columns, values, strict=True):
                    if value is None or value == "":
                        continue
                    result.values += 1
                    if not value.startswith(crypto.PREFIX):
                        result.problems.append(RotationProblem(table, str(pk), column, "not_encrypted"))
                        continue
                    try:
                        first_key.decrypt(value[len(crypto.PREFIX) :])
                        result.current += 1
                        continue
                    except (InvalidToken, ValueError):
                        pass
                    try:
                        changed.append((column, crypto.rotate(value), value))
                    except (InvalidToken, ValueError):
                        result.problems.append(RotationProblem(table, str(pk), column, "unknown_key"))
                if changed:
                    pending.append((pk, changed))
            if dry_run:
                result.rotated += sum(len(changed) for _, changed in pending)
            elif pending:
                if result.bypassed_triggers:
                    cursor.execute(
                        "SELECT set_config('pgtrigger.ignore', %s, true)",
                        [_ignore_value(table, result.bypassed_triggers)],
                    )
                for pk, changed in pending:
                    sets = ", ".join(f"{qn(column)} = %s" for column, _, _ in changed)
                    guards = "".join(f" AND {qn(column)} = %s" for column, _, _ in changed)
                    cursor.execute(
                        f"UPDATE {qn(table)} SET {sets} WHERE {qn(pk_column)} = %s{guards}",  # noqa: S608  # nosec B608
                        [*(new for _, new, _ in changed), pk, *(old for _, _, old in changed)],
                    )
                    if cursor.rowcount == 1:
                        result.rotated += len(changed)
                    else:
                        result.changed_meanwhile += len(changed)
                if result.bypassed_triggers:
                    # Cleared before commit: the bypass ends with this batch, even inside an outer transaction.
                    cursor.execute("SELECT set_config('pgtrigger.ignore', '', true)")
        if len(rows) < batch_size:
            break
    return result


def pii_rotate(
    *, batch_size: int = DEFAULT_BATCH_SIZE, dry_run: bool = False, using: str = "default"
) -> RotationReport:
    """Re-encrypt every EncryptedTextField value not yet under the first key of PII_ENCRYPTION_KEYS.

    One transaction per batch of `batch_size` rows of one table; idempotent; `dry_run` only counts.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    keys = list(settings.PII_ENCRYPTION_KEYS)
    report = RotationReport(
        dry_run=dry_run, keys_configured=len(keys), current_key_fingerprint=key_fingerprint(keys[0])
    )
    for model, columns in encrypted_columns(using=using):
        report.tables.append(_rotate_table(model, columns, using=using, batch_size=batch_size, dry_run=dry_run))
    return report
