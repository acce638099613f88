"""Every write to the client file. Files are written once and never overwritten or deleted."""

import datetime
import hashlib
import json
import logging
import secrets
from dataclasses import dataclass, field
from pathlib import PurePosixPath, PureWindowsPath

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.access import require_perm
from accounts.errors import ApplicationError
from accounts.models import Client

from .errors import ArchiveError
from .models import (
    AccessAction,
    ChainLink,
    ChainPending,
    Document,
    DocumentAccess,
    DocumentKind,
    DocumentSource,
    DossierExport,
    LegalHoldChange,
)

logger = logging.getLogger(__name__)

# Securities Law (2019) art. 137: account-opening files are kept at least 20 years.
RETENTION_YEARS = 20
DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024

# Accepted types, recognised by their leading bytes (never by the file name).
_SIGNATURES: list[tuple[bytes, str, str]] = [
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
]


def _filename_clean(filename: str) -> str:
    # Keep only the last path component, whichever separator the client's system used.
    name = PureWindowsPath(PurePosixPath(filename or "").name).name.strip()
    return (name or "unnamed")[:255]


def content_sniff(content: bytes) -> tuple[str, str] | None:
    """(content type, extension) of an accepted file, judged by its content; None if not accepted."""
    for signature, content_type, extension in _SIGNATURES:
        if content.startswith(signature):
            return content_type, extension
    return None


def upload_check(*, content: bytes, filename: str) -> tuple[str, str]:
    """Refuse empty, oversized and non-PDF/JPEG/PNG content. Returns (content type, extension)."""
    limit = getattr(settings, "ARCHIVE_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES)
    if not content:
        raise ApplicationError(ArchiveError.UPLOAD_EMPTY, fields={"file": ["empty"]}, filename=filename)
    if len(content) > limit:
        raise ApplicationError(
            ArchiveError.UPLOAD_TOO_LARGE,
            fields={"file": ["too_large"]},
            filename=filename,
            size=len(content),
            limit=limit,
        )
    sniffed = content_sniff(content)
    if sniffed is None:
        raise ApplicationError(ArchiveError.UPLOAD_TYPE_REFUSED, fields={"file": ["type"]}, filename=filename)
    return sniffed


def years_after(day: datetime.date, years: int) -> datetime.date:
    """The same day `years` later; 29 February becomes 1 March so the period is never shorter."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return datetime.date(day.year + years, 3, 1)


def retention_end(client: Client) -> datetime.date | None:
    """Retention end of a client's documents; None while the relationship lasts (20 years after it ends)."""
    if client.relationship_ended_on is None:
        return None
    return years_after(client.relationship_ended_on, RETENTION_YEARS)


def _storage_name(sha256: str, extension: str) -> str:
    # Content-addressed and not guessable: the same bytes stored twice still get two names.
    return f"docs/{sha256[:2]}/{sha256[2:4]}/{sha256}-{secrets.token_hex(8)}{extension}"


@transaction.atomic
def document_store(
    *,
    actor,
    client: Client,
    kind: str,
    content: bytes,
    filename: str,
    source: str = DocumentSource.UPLOADED,
    related: models.Model | None = None,
    render_template: str | None = None,
    render_data: dict | None = None,
) -> Document:
    """Check and store one file in the client's file. A refused file leaves no file and no row."""
    require_perm(actor, "archive.add_document")
    if kind not in DocumentKind.values:
        raise ApplicationError(ArchiveError.UNKNOWN_KIND, fields={"kind": [kind]}, kind=kind)
    filename = _filename_clean(filename)
    content_type, extension = upload_check(content=content, filename=filename)
    sha256 = hashlib.sha256(content).hexdigest()
    document = Document(
        client=client,
        kind=kind,
        source=source,
        stored_by=actor if (actor is not None and actor.is_authenticated) else None,
        original_filename=filename,
        content_type=content_type,
        size=len(content),
        sha256=sha256,
        render_template=render_template or "",
        render_data=render_data,
        retention_until=retention_end(client),
    )
    if related is not None:
        document.related_type = ContentType.objects.get_for_model(related)
        document.related_id = related.pk
    # The file is written last: if it fails, the row rolls back with it.
    document.storage_name = default_storage.save(_storage_name(sha256, extension), ContentFile(content))
    document.save()
    chain_record(instance=document)
    logger.info("document stored: id=%s client=%s kind=%s sha256=%s", document.pk, client.pk, kind, sha256)
    return document


def document_verify(document: Document) -> bool:
    """Re-hash the stored file and compare it with the SHA-256 taken at ingest."""
    digest = hashlib.sha256()
    try:
        with default_storage.open(document.storage_name, "rb") as handle:
            for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                digest.update(chunk)
    except FileNotFoundError:
        return False
    return digest.hexdigest() == document.sha256


@transaction.atomic
def document_open(*, actor, document_id: int, action: str, ip: str | None = None):
    """Open a document for reading, and log who read it. Returns (document, file handle)."""
    require_perm(actor, "archive.view_document")
    document = Document.objects.select_related("client").get(pk=document_id)
    DocumentAccess.objects.create(document=document, actor=actor, action=AccessAction(action), ip=ip or None)
    return document, default_storage.open(document.storage_name, "rb")


@transaction.atomic
def document_legal_hold_set(*, actor, document_id: int, held: bool, reason: str) -> Document:
    """Place or lift a legal hold; each decision is kept in LegalHoldChange."""
    require_perm(actor, "archive.set_legal_hold")
    if not reason.strip():
        raise ApplicationError(ArchiveError.REASON_REQUIRED, fields={"reason": ["required"]})
    document = Document.objects.select_for_update().get(pk=document_id)
    document.legal_hold = held
    document.save(update_fields=["legal_hold"])
    LegalHoldChange.objects.create(document=document, held=held, reason=reason.strip(), actor=actor)
    return document


@transaction.atomic
def client_retention_apply(*, client_id: int) -> int:
    """Set the retention end of every document of a client from the end of the relationship.

    Called by the service that ends (or resumes) the client relationship, inside its transaction; it
    never shortens a retention end already set. Returns how many documents changed.
    """
    client = Client.objects.get(pk=client_id)
    end = retention_end(client)
    changed = 0
    for document in Document.objects.select_for_update().filter(client=client).order_by("pk"):
        if end is None or document.retention_until is None or document.retention_until < end:
            if document.retention_until != end:
                document.retention_until = end
                document.save(update_fields=["retention_until"])
                changed += 1
    return changed


def document_generate(
    *,
    actor,
    client: Client,
    kind: str,
    template_name: str,
    data: dict,
    related: models.Model | None = None,
) -> Document:
    """Render a PDF from a template and its data, and store both so the PDF can be made again."""
    from .pdf import render_pdf

    require_perm(actor, "archive.add_document")
    # What is stored must be exactly what was rendered: round-trip through JSON first.
    data = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    content = render_pdf(template_name, data)
    filename = f"{kind}-{client.client_no}-{timezone.localdate():%Y%m%d}.pdf"
    return document_store(
        actor=actor,
        client=client,
        kind=kind,
        content=content,
        filename=filename,
        source=DocumentSource.GENERATED,
        related=related,
        render_template=template_name,
        render_data=data,
    )


def audit_client_reveal(*, actor, client_id: int, ip: str | None = None) -> None:
    """A compliance officer asks to see a client's audit history with personal data in clear: every personal
    data field is revealed through accounts' logged reveal, so each lands in the PiiReveal log (granted or
    refused). Raises PERMISSION_DENIED, after logging the refusal, when the actor may not reveal."""
    from accounts.models import PiiField
    from accounts.services import client_pii_reveal

    for pii_field in PiiField.values:
        client_pii_reveal(actor=actor, client_id=client_id, field=pii_field, ip=ip, reason="审计查询：客户历史记录")


def document_rerender(document: Document) -> bytes:
    """Render a generated document again from its stored template and data."""
    from .pdf import render_pdf

    if document.source != DocumentSource.GENERATED:
        raise ApplicationError(ArchiveError.NOT_GENERATED)
    return render_pdf(document.render_template, document.render_data or {})


# ---------------------------------------------------------------------------------------------------------
# Tamper evidence: a hash chain over every history row and every document (docs/decisions/0007).
# ---------------------------------------------------------------------------------------------------------

CHAIN_GENESIS = "0" * 64
# One chain, so one lock, taken only by the sequencer (chain_sequence) in its own short transactions.
_CHAIN_LOCK_KEY = 0x6B616968_75636861  # "kaihucha"
# Document columns that may legitimately change later (retention, legal hold) are not hashed.
_CHAIN_EXCLUDED_FIELDS = {"archive.Document": {"legal_hold", "retention_until"}}


def _canonical_value(value):
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(datetime.UTC)
        return value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict | list | str | int | float | bool) or value is None:
        return value
    return str(value)  # Decimal, UUID, ...


def chain_fields(model) -> list[str]:
    excluded = _CHAIN_EXCLUDED_FIELDS.get(model._meta.label, set())
    return sorted(f.attname for f in model._meta.concrete_fields if f.attname not in excluded)


def chain_row_hash(row: dict) -> str:
    """SHA-256 over the canonical JSON of a row's values (as read back from the database)."""
    canonical = json.dumps(
        {k: _canonical_value(v) for k, v in row.items()}, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def chain_link_hash(*, prev_hash: str, table: str, row_pk: str, row_hash: str) -> str:
    return hashlib.sha256(f"{prev_hash}|{table}|{row_pk}|{row_hash}".encode()).hexdigest()


def _chain_rows(model, pks) -> dict[str, dict]:
    fields = chain_fields(model)
    pk_name = model._meta.pk.attname
    return {
        str(row[pk_name]): row
        for row in model._default_manager.using("default").filter(pk__in=list(pks)).values(*fields)
    }


def chain_record(*, instance: models.Model) -> None:
    """Mark a row just inserted for chaining: one INSERT in the caller's transaction, no lock.

    It commits or rolls back with the row; chain_sequence appends the link after commit.
    """
    ChainPending.objects.create(table=instance._meta.label, row_pk=str(instance.pk))


def history_record_chain(sender, history_instance, **kwargs) -> None:
    """simple-history's post_create_historical_record: mark the history row just written for chaining."""
    chain_record(instance=history_instance)


CHAIN_SEQUENCE_LIMIT = 500  # entries per sequencer transaction: keeps the lock and the transaction short
CHAIN_SEQUENCE_MAX_BATCHES = 200  # one run chains at most limit × batches rows; the next run continues


def _chain_sequence_batch(*, limit: int, after: int) -> tuple[int, int, bool]:
    """One short transaction under the chain lock: link up to `limit` committed pending rows, oldest entry
    first, continuing from the head, and delete their entries. Returns (links added, last entry id seen,
    whether more entries may follow)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":  # SQLite serialises writers by itself
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
        pending = list(ChainPending.objects.filter(pk__gt=after).order_by("pk")[:limit])
        if not pending:
            return 0, after, False
        by_table: dict[str, list[str]] = {}
        for entry in pending:
            by_table.setdefault(entry.table, []).append(entry.row_pk)
        rows: dict[str, dict[str, dict]] = {}
        linked: set[tuple[str, str]] = set()
        for table, pks in by_table.items():
            try:
                # Hash what the database holds (after its conversions), which is what verification re-reads.
                rows[table] = _chain_rows(apps.get_model(table), pks)
            except LookupError:
                rows[table] = {}
            linked.update(
                (table, pk)
                for pk in ChainLink.objects.filter(table=table, row_pk__in=pks).values_list("row_pk", flat=True)
            )
        prev_hash = ChainLink.objects.order_by("-pk").values_list("link_hash", flat=True).first() or CHAIN_GENESIS
        links: list[ChainLink] = []
        done: list[int] = []
        for entry in pending:
            key = (entry.table, entry.row_pk)
            if key in linked:  # recorded twice: the row has its link already
                done.append(entry.pk)
                continue
            row = rows[entry.table].get(entry.row_pk)
            if row is None:  # cannot happen through the services; left pending, so verify shows it
                logger.error("chain: pending row not found: %s pk=%s (entry %s)", entry.table, entry.row_pk, entry.pk)
                continue
            row_hash = chain_row_hash(row)
            link_hash = chain_link_hash(prev_hash=prev_hash, table=entry.table, row_pk=entry.row_pk, row_hash=row_hash)
            links.append(
                ChainLink(
                    table=entry.table, row_pk=entry.row_pk, row_hash=row_hash, prev_hash=prev_hash, link_hash=link_hash
                )
            )
            linked.add(key)
            done.append(entry.pk)
            prev_hash = link_hash
        ChainLink.objects.bulk_create(links)  # ids follow list order: the order verification walks
        ChainPending.objects.filter(pk__in=done).delete()
    return len(links), pending[-1].pk, len(pending) == limit


def chain_sequence(*, limit: int = CHAIN_SEQUENCE_LIMIT, max_batches: int = CHAIN_SEQUENCE_MAX_BATCHES) -> int:
    """Append the links of every committed pending row (docs/decisions/0007). Returns the links added.

    Runs after commit (beat, archive.tasks.chain_sequence_task), never inside a business transaction. Each
    batch is its own transaction under the chain lock, so a run that dies leaves a valid chain and the
    rows not yet linked still pending; the next run continues from the head.
    """
    total, after = 0, 0
    for _ in range(max_batches):
        added, after, more = _chain_sequence_batch(limit=limit, after=after)
        total += added
        if not more:
            break
    if total:
        logger.info("chain: %s link(s) appended", total)
    return total


@dataclass
class ChainBreak:
    link_id: int
    table: str
    row_pk: str
    problem: str  # row_altered | row_missing | link_altered | link_order | table_unknown
    expected: str
    found: str


@dataclass
class ChainReport:
    ok: bool
    links_checked: int
    first_break: ChainBreak | None = None
    head_hash: str = CHAIN_GENESIS
    unchained: dict[str, int] = field(default_factory=dict)
    # Committed rows waiting for the sequencer (normal for a few seconds after commit); not a break.
    pending: dict[str, int] = field(default_factory=dict)
    pending_oldest: datetime.datetime | None = None


def chain_tables() -> list[type]:
    from .immutability import history_models

    return [*history_models(), Document]


def chain_verify(*, batch_size: int = 2000) -> ChainReport:
    """Walk the chain in order; recompute every link and every row hash. Reports the first broken link.

    Also counts rows of chained tables waiting for the sequencer ("pending", not a fault) and rows with
    neither a link nor a pending entry ("unchained": written around the services, or before the chain
    existed). Reads only: it never runs the sequencer.
    """
    prev_hash = CHAIN_GENESIS
    checked = 0
    last_pk = 0
    while True:
        links = list(ChainLink.objects.filter(pk__gt=last_pk).order_by("pk")[:batch_size])
        if not links:
            break
        rows: dict[str, dict[str, dict]] = {}
        by_table: dict[str, list[str]] = {}
        for link in links:
            by_table.setdefault(link.table, []).append(link.row_pk)
        for table, pks in by_table.items():
            try:
                rows[table] = _chain_rows(apps.get_model(table), pks)
            except LookupError:
                rows[table] = {}
        for link in links:
            brk = None
            row = rows[link.table].get(link.row_pk)
            if link.prev_hash != prev_hash:
                brk = ChainBreak(link.pk, link.table, link.row_pk, "link_order", prev_hash, link.prev_hash)
            elif row is None:
                brk = ChainBreak(link.pk, link.table, link.row_pk, "row_missing", link.row_hash, "")
            else:
                found = chain_row_hash(row)
                if found != link.row_hash:
                    brk = ChainBreak(link.pk, link.table, link.row_pk, "row_altered", link.row_hash, found)
                else:
                    expected = chain_link_hash(
                        prev_hash=prev_hash, table=link.table, row_pk=link.row_pk, row_hash=link.row_hash
                    )
                    if expected != link.link_hash:
                        brk = ChainBreak(link.pk, link.table, link.row_pk, "link_altered", expected, link.link_hash)
            if brk is not None:
                return ChainReport(ok=False, links_checked=checked, first_break=brk, head_hash=prev_hash)
            prev_hash = link.link_hash
            checked += 1
        last_pk = links[-1].pk
    unchained = {}
    existing = set(connection.introspection.table_names())
    for model in chain_tables():
        if model._meta.db_table not in existing:  # its app's migrations have not created it yet
            continue
        label = model._meta.label
        linked = ChainLink.objects.filter(table=label).values("row_pk")
        waiting = ChainPending.objects.filter(table=label).values("row_pk")
        pk_field = model._meta.pk
        if isinstance(pk_field, models.AutoField | models.BigAutoField | models.IntegerField):
            linked = linked.annotate(as_int=Cast("row_pk", models.BigIntegerField())).values("as_int")
            waiting = waiting.annotate(as_int=Cast("row_pk", models.BigIntegerField())).values("as_int")
        # One statement, one snapshot: the sequencer moves a row from pending to linked atomically.
        missing = model._default_manager.exclude(pk__in=linked).exclude(pk__in=waiting).count()
        if missing:
            unchained[label] = missing
    pending = dict(ChainPending.objects.values_list("table").annotate(n=models.Count("id")).order_by("table"))
    oldest = ChainPending.objects.order_by("pk").values_list("recorded_at", flat=True).first()
    return ChainReport(
        ok=not unchained,
        links_checked=checked,
        head_hash=prev_hash,
        unchained=unchained,
        pending=pending,
        pending_oldest=oldest,
    )


# ---------------------------------------------------------------------------------------------------------
# Dossier export (compliance): one ZIP with every document, a manifest, a summary PDF and the history CSV.
# ---------------------------------------------------------------------------------------------------------


@transaction.atomic
def dossier_export_request(*, actor, client_id: int, ip: str | None = None) -> DossierExport:
    """Queue a dossier export of one client; the request is logged and the build runs after commit."""
    from .models import DossierEventAction, DossierExport, DossierExportEvent
    from .tasks import dossier_export_build_task

    require_perm(actor, "archive.export_dossier")
    client = Client.objects.get(pk=client_id)
    export = DossierExport.objects.create(client=client, requested_by=actor)
    DossierExportEvent.objects.create(export=export, actor=actor, action=DossierEventAction.REQUEST, ip=ip or None)
    transaction.on_commit(lambda: dossier_export_build_task.delay(export.pk))
    logger.info("dossier export requested: id=%s client=%s by=%s", export.pk, client.pk, actor.pk)
    return export


def _dossier_progress(export_id: int, progress: int) -> None:
    from .models import DossierExport

    with transaction.atomic():
        DossierExport.objects.filter(pk=export_id, status="running").update(progress=min(progress, 99))


def _zip_name(name: str) -> str:
    return _filename_clean(name).replace("/", "_")


def dossier_client_fields(client: Client, *, reveal: bool) -> list[list[str]]:
    from accounts import masking

    def shown(value: str, mask) -> str:
        return value if reveal else mask(value)

    return [
        [str(Client._meta.get_field("client_no").verbose_name), client.client_no],
        [str(Client._meta.get_field("name").verbose_name), client.name],
        [str(Client._meta.get_field("kind").verbose_name), client.get_kind_display()],
        [str(Client._meta.get_field("status").verbose_name), client.get_status_display()],
        [str(Client._meta.get_field("branch").verbose_name), str(client.branch.name)],
        [str(Client._meta.get_field("id_type").verbose_name), client.get_id_type_display()],
        [str(Client._meta.get_field("id_number").verbose_name), shown(client.id_number, masking.mask_id_number)],
        [str(Client._meta.get_field("phone").verbose_name), shown(client.phone or "", masking.mask_phone)],
        [str(Client._meta.get_field("email").verbose_name), client.email],
        [str(Client._meta.get_field("address").verbose_name), shown(client.address or "", masking.mask_address)],
        [str(Client._meta.get_field("relationship_ended_on").verbose_name), str(client.relationship_ended_on or "")],
    ]


def dossier_export_build(*, export_id: int) -> DossierExport:
    """Build the ZIP of a queued export. Idempotent: a finished export is left as it is; a crashed one
    is built again from the start (the file of a crashed attempt is never referenced)."""
    import csv
    import io
    import tempfile
    import zipfile

    from .models import DossierExport, DossierStatus
    from .pdf import render_pdf
    from .selectors_audit import audit_csv_rows, client_timeline

    with transaction.atomic():
        export = DossierExport.objects.select_for_update().select_related("client", "requested_by").get(pk=export_id)
        if export.status == DossierStatus.DONE:
            return export
        export.status = DossierStatus.RUNNING
        export.progress = 1
        export.error = ""
        export.started_at = timezone.now()
        export.save(update_fields=["status", "progress", "error", "started_at"])
    client = export.client
    # The dossier is for whoever requested it: full personal data only if they may reveal it.
    reveal = export.requested_by.has_perm("accounts.reveal_personal_data")
    try:
        documents = list(Document.objects.filter(client=client).select_related("stored_by").order_by("stored_at", "pk"))
        files: list[dict] = []
        manifest_documents: list[dict] = []
        with tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024) as spool:
            with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                for i, document in enumerate(documents, start=1):
                    with default_storage.open(document.storage_name, "rb") as handle:
                        content = handle.read()
                    found = hashlib.sha256(content).hexdigest()
                    path = f"documents/{document.kind}/{document.pk}-{_zip_name(document.original_filename)}"
                    zf.writestr(path, content)
                    manifest_documents.append(
                        {
                            "id": document.pk,
                            "kind": document.kind,
                            "kind_label": str(document.get_kind_display()),
                            "source": document.source,
                            "original_filename": document.original_filename,
                            "stored_at": document.stored_at.isoformat(),
                            "stored_by": document.stored_by.username if document.stored_by else None,
                            "sha256": document.sha256,
                            "sha256_verified": found == document.sha256,
                            "size": document.size,
                            "content_type": document.content_type,
                            "retention_until": document.retention_until.isoformat()
                            if document.retention_until
                            else None,
                            "legal_hold": document.legal_hold,
                            "path": path,
                        }
                    )
                    _dossier_progress(export.pk, 5 + int(70 * i / max(len(documents), 1)))

                entries = client_timeline(client_id=client.pk, reveal=reveal, limit=None)
                text = io.StringIO()
                csv.writer(text).writerows(audit_csv_rows(entries))
                history_csv = ("\ufeff" + text.getvalue()).encode()  # BOM: opens correctly in Excel
                zf.writestr("history.csv", history_csv)
                files.append({"path": "history.csv", "sha256": hashlib.sha256(history_csv).hexdigest()})
                _dossier_progress(export.pk, 80)

                summary = render_pdf(
                    "archive/pdf/dossier_summary.html",
                    {
                        "title": f"客户档案汇总 {client.client_no}",
                        "branch_name": client.branch.name,
                        "document_ref": f"DOSSIER-{export.pk}",
                        "client_fields": dossier_client_fields(client, reveal=reveal),
                        "documents": [
                            {**m, "stored_at_local": timezone.localtime(d.stored_at)}
                            for m, d in zip(manifest_documents, documents, strict=True)
                        ],
                        "entries": entries[:300],
                        "entries_total": len(entries),
                        "generated_at": timezone.localtime(),
                        "requested_by": export.requested_by.username,
                        "masked": not reveal,
                    },
                )
                zf.writestr("summary.pdf", summary)
                files.append({"path": "summary.pdf", "sha256": hashlib.sha256(summary).hexdigest()})
                _dossier_progress(export.pk, 95)

                manifest = {
                    "export_id": export.pk,
                    "client_id": client.pk,
                    "client_no": client.client_no,
                    "requested_by": export.requested_by.username,
                    "requested_at": export.requested_at.isoformat(),
                    "generated_at": timezone.now().isoformat(),
                    "personal_data": "full" if reveal else "masked",
                    "documents": manifest_documents,
                    "files": files,
                }
                zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
            spool.seek(0)
            digest = hashlib.sha256()
            size = 0
            for chunk in iter(lambda: spool.read(1024 * 1024), b""):
                digest.update(chunk)
                size += len(chunk)
            spool.seek(0)
            sha256 = digest.hexdigest()
            name = f"dossiers/{sha256[:2]}/{client.client_no}-{export.pk}-{secrets.token_hex(8)}.zip"
            storage_name = default_storage.save(name, spool)
    except Exception as exc:
        with transaction.atomic():
            DossierExport.objects.filter(pk=export.pk).update(
                status=DossierStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=timezone.now()
            )
        logger.exception("dossier export failed: id=%s", export.pk)
        raise
    with transaction.atomic():
        export = DossierExport.objects.select_for_update().get(pk=export.pk)
        if export.status == DossierStatus.DONE:  # another run finished first; keep its file
            return export
        export.status = DossierStatus.DONE
        export.progress = 100
        export.storage_name = storage_name
        export.sha256 = sha256
        export.size = size
        export.finished_at = timezone.now()
        export.save(update_fields=["status", "progress", "storage_name", "sha256", "size", "finished_at"])
    logger.info("dossier export done: id=%s sha256=%s size=%s", export.pk, sha256, size)
    return export


@transaction.atomic
def dossier_export_open(*, actor, export_id: int, ip: str | None = None):
    """Open a finished export for download, and log it. Returns (export, file handle)."""
    from .models import DossierEventAction, DossierExport, DossierExportEvent, DossierStatus

    require_perm(actor, "archive.export_dossier")
    export = DossierExport.objects.select_related("client").get(pk=export_id)
    if export.status != DossierStatus.DONE:
        raise ApplicationError(ArchiveError.DOSSIER_NOT_READY, status=export.status)
    DossierExportEvent.objects.create(export=export, actor=actor, action=DossierEventAction.DOWNLOAD, ip=ip or None)
    return export, default_storage.open(export.storage_name, "rb")


# ---------------------------------------------------------------------------------------------------------
# Client data change confirmation slips (SPEC §4; docs/decisions/0009-key-data-change.md). accounts owns the
# change request and cannot import archive: this sweeper acts on accounts' state through its ports.
# ---------------------------------------------------------------------------------------------------------


def change_slip_generate(*, request_id: int) -> int | None:
    """File the 客户普通/重要资料修改确认单 of one applied change request, once."""
    from accounts import services as account_services

    def make(req) -> int:
        document = document_generate(
            actor=req.reviewed_by,
            client=req.client,
            kind=DocumentKind.CHANGE_SLIP,
            template_name="archive/pdf/change_slip.html",
            data=account_services.change_slip_data(req),
            related=req,
        )
        return document.pk

    return account_services.change_request_slip_attach(request_id=request_id, make=make)


def change_slips_generate() -> int:
    from accounts import services as account_services

    filed = 0
    for request_id in account_services.change_requests_without_slip():
        try:
            if change_slip_generate(request_id=request_id):
                filed += 1
        except Exception:  # one bad slip must not stop the others; the next sweep tries again
            logger.exception("change slip failed: request=%s", request_id)
    return filed


# Supporting documents of a change request, for accounts' client-file port (accounts/ports.py, ADR 0010).


def change_document_kinds(client_id: int, ids: list[int]) -> dict[int, str]:
    """{id: kind} of the given documents that exist and belong to this client (others are left out)."""
    rows = Document.objects.filter(client_id=client_id, pk__in=list(ids)).values_list("pk", "kind")
    return dict(rows)


def change_document_ingest(*, actor, client: Client, upload) -> int:
    """Store one file the clerk handed in with a change request; returns the document id."""
    document = document_store(
        actor=actor, client=client, kind=upload.kind, content=upload.content, filename=upload.filename
    )
    return document.pk
