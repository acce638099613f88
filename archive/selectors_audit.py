"""Reads for the audit explorer (compliance): history rows of every regulated model as one timeline.

Every django-simple-history model is covered, including those later apps add: the registry is built
from the historical models that exist. A client's timeline is the client's own history, the history of
every record with a foreign key to the client, and the documents stored in their file.
"""

import datetime
from dataclasses import dataclass, field

from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import masking
from accounts.fields import EncryptedTextField
from accounts.models import Client

from .immutability import history_models
from .models import Document

CHANGE_TYPES = {"+": gettext_lazy("新增"), "~": gettext_lazy("修改"), "-": gettext_lazy("删除")}
CSV_CHANGE = {"+": "create", "~": "update", "-": "delete"}
DEFAULT_LIMIT = 500
_MASKERS = {
    "id_number": masking.mask_id_number,
    "legal_rep_id_number": masking.mask_id_number,
    "phone": masking.mask_phone,
    "address": masking.mask_address,
}
_HIDDEN_SUFFIXES = ("_index",)  # blind indexes: hashes, never useful to a reader


@dataclass
class FieldChange:
    field: str
    label: str
    old: str
    new: str


@dataclass
class AuditEntry:
    at: datetime.datetime
    model: str  # tracked model label, e.g. "accounts.Client"
    model_name: str
    object_id: str
    object_repr: str
    change_type: str  # + ~ -
    user_id: int | None
    username: str
    reason: str
    history_id: int | None
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def change_label(self) -> str:
        return CHANGE_TYPES.get(self.change_type, self.change_type)


@dataclass
class AuditFilter:
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    change_type: str = ""


def audited_models() -> dict[str, type]:
    """Tracked model label -> its historical model, for the history tables that exist."""
    existing = set(connection.introspection.table_names())
    return {
        h.instance_type._meta.label: h
        for h in history_models()
        if h._meta.db_table in existing and hasattr(h, "instance_type")
    }


def _client_links(tracked) -> list[str]:
    """attnames of the tracked model's foreign keys to Client (the client itself: its pk)."""
    if tracked is Client:
        return ["id"]
    return [
        f.attname
        for f in tracked._meta.concrete_fields
        if isinstance(f, models.ForeignKey) and f.related_model is Client
    ]


def _display(field_obj, value, *, reveal: bool) -> str:
    if value is None or value == "":
        return ""
    if isinstance(field_obj, EncryptedTextField) and not reveal:
        return _MASKERS.get(field_obj.name, lambda v: "****")(str(value))
    if field_obj.flatchoices:
        return str(dict(field_obj.flatchoices).get(value, value))
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if timezone.is_aware(value) else str(value)
    return str(value)


def _tracked_fields(tracked) -> dict[str, models.Field]:
    return {
        f.name: f
        for f in tracked._meta.concrete_fields
        if not f.name.endswith(_HIDDEN_SUFFIXES) and f.name not in ("id",)
    }


def _entry(record, tracked, *, reveal: bool) -> AuditEntry:
    fields = _tracked_fields(tracked)
    changes: list[FieldChange] = []
    if record.history_type == "~":
        prev = record.prev_record
        if prev is not None:
            for change in record.diff_against(prev).changes:
                f = fields.get(change.field)
                if f is None:
                    continue
                changes.append(
                    FieldChange(
                        change.field,
                        str(f.verbose_name),
                        _display(f, change.old, reveal=reveal),
                        _display(f, change.new, reveal=reveal),
                    )
                )
    elif record.history_type == "+":
        for name, f in fields.items():
            value = getattr(record, f.attname, None)
            if value not in (None, ""):
                changes.append(FieldChange(name, str(f.verbose_name), "", _display(f, value, reveal=reveal)))
    user = record.history_user
    object_id = str(getattr(record, tracked._meta.pk.attname))
    return AuditEntry(
        at=record.history_date,
        model=tracked._meta.label,
        model_name=str(tracked._meta.verbose_name),
        object_id=object_id,
        object_repr=f"{tracked._meta.verbose_name} #{object_id}",
        change_type=record.history_type,
        user_id=record.history_user_id,
        username=user.username if user is not None else _("系统"),
        reason=record.history_change_reason or "",
        history_id=record.history_id,
        changes=changes,
    )


def _filtered(qs, flt: AuditFilter, date_field: str):
    if flt.date_from:
        qs = qs.filter(**{f"{date_field}__date__gte": flt.date_from})
    if flt.date_to:
        qs = qs.filter(**{f"{date_field}__date__lte": flt.date_to})
    return qs


def _history_entries(history_model, tracked, *, filters: dict, flt: AuditFilter, reveal: bool, limit: int | None):
    qs = history_model.objects.filter(**filters).select_related("history_user")
    qs = _filtered(qs, flt, "history_date")
    if flt.change_type:
        qs = qs.filter(history_type=flt.change_type)
    qs = qs.order_by("-history_date", "-history_id")
    if limit:
        qs = qs[:limit]
    return [_entry(r, tracked, reveal=reveal) for r in qs]


def _document_entries(*, filters: dict, flt: AuditFilter, limit: int | None) -> list[AuditEntry]:
    if flt.change_type and flt.change_type != "+":
        return []
    qs = _filtered(Document.objects.filter(**filters).select_related("stored_by"), flt, "stored_at")
    qs = qs.order_by("-stored_at", "-pk")
    if limit:
        qs = qs[:limit]
    return [
        AuditEntry(
            at=d.stored_at,
            model="archive.Document",
            model_name=str(Document._meta.verbose_name),
            object_id=str(d.pk),
            object_repr=f"{d.get_kind_display()} {d.original_filename}",
            change_type="+",
            user_id=d.stored_by_id,
            username=d.stored_by.username if d.stored_by else _("系统"),
            reason=_("存入档案（%(source)s）") % {"source": d.get_source_display()},
            history_id=None,
            changes=[
                FieldChange("kind", _("类型"), "", d.get_kind_display()),
                FieldChange("sha256", "SHA-256", "", d.sha256),
                FieldChange("size", _("大小（字节）"), "", str(d.size)),
            ],
        )
        for d in qs
    ]


def _merge(entries: list[AuditEntry], limit: int | None) -> list[AuditEntry]:
    entries.sort(key=lambda e: (e.at, e.history_id or 0), reverse=True)
    return entries[:limit] if limit else entries


def client_timeline(
    *, client_id: int, flt: AuditFilter | None = None, reveal: bool = False, limit: int | None = DEFAULT_LIMIT
) -> list[AuditEntry]:
    """History of the client and of every record pointing at the client, plus their documents; newest first."""
    flt = flt or AuditFilter()
    entries: list[AuditEntry] = []
    for history_model in audited_models().values():
        tracked = history_model.instance_type
        for attname in _client_links(tracked):
            entries += _history_entries(
                history_model, tracked, filters={attname: client_id}, flt=flt, reveal=reveal, limit=limit
            )
    entries += _document_entries(filters={"client_id": client_id}, flt=flt, limit=limit)
    return _merge(entries, limit)


def staff_timeline(
    *, user_id: int, flt: AuditFilter | None = None, reveal: bool = False, limit: int | None = DEFAULT_LIMIT
) -> list[AuditEntry]:
    """Every change the staff member made (history_user), and every document they stored; newest first."""
    flt = flt or AuditFilter()
    entries: list[AuditEntry] = []
    for history_model in audited_models().values():
        entries += _history_entries(
            history_model,
            history_model.instance_type,
            filters={"history_user_id": user_id},
            flt=flt,
            reveal=reveal,
            limit=limit,
        )
    entries += _document_entries(filters={"stored_by_id": user_id}, flt=flt, limit=limit)
    return _merge(entries, limit)


def model_timeline(
    *, model_label: str, flt: AuditFilter | None = None, reveal: bool = False, limit: int | None = DEFAULT_LIMIT
) -> list[AuditEntry]:
    """Every history row of one regulated model (tracked label, e.g. `accounts.Client`); newest first."""
    flt = flt or AuditFilter()
    if model_label == "archive.Document":
        return _document_entries(filters={}, flt=flt, limit=limit)
    history_model = audited_models()[model_label]  # KeyError: unknown model, the caller answers 404
    return _history_entries(history_model, history_model.instance_type, filters={}, flt=flt, reveal=reveal, limit=limit)


def audit_model_choices() -> list[tuple[str, str]]:
    choices = [(label, str(h.instance_type._meta.verbose_name)) for label, h in audited_models().items()]
    return [*choices, ("archive.Document", str(Document._meta.verbose_name))]


CSV_HEADER = ["time", "model", "object_id", "object", "change", "user", "reason", "field", "old", "new", "history_id"]


def _csv_cell(value) -> str:
    # A cell a spreadsheet would run as a formula is prefixed so it stays text (CSV injection).
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def audit_csv_rows(entries: list[AuditEntry]):
    """One CSV row per changed field (an entry without field changes gives one row)."""
    yield CSV_HEADER
    for e in entries:
        base = [e.at.isoformat(), e.model, e.object_id, e.object_repr, CSV_CHANGE.get(e.change_type), e.username]
        base.append(e.reason)
        if not e.changes:
            yield [_csv_cell(v) for v in [*base, "", "", "", e.history_id or ""]]
        for c in e.changes:
            yield [_csv_cell(v) for v in [*base, c.field, c.old, c.new, e.history_id or ""]]
