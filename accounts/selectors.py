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


def client_display(client, user) -> dict:
    """A client's profile as every page shows it: personal data masked for everyone (revealing it is an
    explicit, logged action: services.client_pii_reveal). `can_reveal` says whether `user` may do that."""
    from .masking import mask_address, mask_id_number, mask_phone
    from .models import ClientKind

    is_institution = client.kind == ClientKind.INSTITUTION
    masked = {
        "id_number": mask_id_number(client.id_number),
        "phone": mask_phone(client.phone),
        "address": mask_address(client.address),
    }
    if is_institution:
        masked["legal_rep_id_number"] = mask_id_number(client.legal_rep_id_number)
    return {
        "client_no": client.client_no,
        "name": client.name,
        "kind": client.kind,
        "kind_label": client.get_kind_display(),
        "id_type_label": client.get_id_type_display(),
        "legal_rep_name": client.legal_rep_name,
        **masked,
        "revealable": [f for f, v in masked.items() if v],
        "can_reveal": bool(
            user is not None and user.is_authenticated and user.has_perm("accounts.reveal_personal_data")
        ),
    }


def client_search(*, query: str, limit: int = 50):
    """Clients by exact ID number or phone (through the blind indexes: never a LIKE on an encrypted column),
    exact client number, exact fund account number, or name prefix. Every branch is an index lookup
    (benchmark 4 of bench/run.py checks the plan at 1,000,000 clients)."""
    from django.db.models import Q

    from .crypto import blind_index
    from .errors import ApplicationError
    from .models import Client, FundAccount
    from .services import phone_normalise

    query = (query or "").strip()
    if not query:
        return Client.objects.none()
    indexes = {blind_index(query), blind_index("".join(query.split()).upper())}
    if query.lstrip("+").isdigit():
        try:
            indexes.add(blind_index(phone_normalise(query)))
        except ApplicationError:
            pass
    # The account's client ids as a literal list, so PostgreSQL can OR primary-key lookups into one bitmap scan
    # (an IN (subquery) inside an OR would be a filter over every client).
    by_account = (
        list(FundAccount.objects.filter(account_no=query).values_list("client_id", flat=True)[:limit])
        if query.isascii() and query.isalnum()  # account numbers are ASCII letters and digits: skip for names
        else []
    )
    condition = (
        Q(id_number_index__in=indexes)
        | Q(phone_index__in=indexes)
        | Q(client_no=query.upper())
        | Q(name__startswith=query)
        | Q(pk__in=by_account)
    )
    return Client.objects.filter(condition).select_related("branch").order_by("name", "pk")[:limit]


def client_pii_reveals(*, client_id: int, limit: int = 50):
    """The log of who revealed (or tried to reveal) a client's personal data, newest first."""
    from .models import PiiReveal

    return PiiReveal.objects.filter(client_id=client_id).select_related("actor").order_by("-at", "-pk")[:limit]


# --- Client data changes -------------------------------------------------------------------------------


def change_value_shown(field: str, value: str) -> str:
    """One old or new value of a change as pages and the slip show it: ID types by name, a blank ID validity
    as 长期 (long-term), personal values (ID numbers, phone, address) masked."""
    from .masking import mask_address, mask_id_number, mask_phone
    from .models import IdTypeChoices

    if field in ("id_type", "legal_rep_id_type"):
        return str(dict(IdTypeChoices.choices).get(value, value))
    if field == "id_valid_until" and not value:
        return "长期"
    masks = {"id_number": mask_id_number, "legal_rep_id_number": mask_id_number, "phone": mask_phone,
             "address": mask_address}  # fmt: skip
    return masks.get(field, lambda v: v)(value or "")


def change_request_rows(req) -> list[dict]:
    """Side-by-side old/new of a change request, personal values masked (revealing is the client page's
    logged action)."""
    from .services import CHANGE_FIELD_LABELS, KEY_FIELDS

    show = change_value_shown
    old, new = req.old_values, req.new_values
    return [
        {
            "field": f,
            "label": CHANGE_FIELD_LABELS.get(f, f),
            "old": show(f, old.get(f, "")),
            "new": show(f, new.get(f, "")),
            "key": f in KEY_FIELDS,
        }  # fmt: skip
        for f in req.fields_changed
    ]


def change_requests(*, status: list[str] | None = None, client_id: int | None = None):
    from .models import ChangeRequest

    qs = ChangeRequest.objects.select_related("client", "created_by__staff", "reviewed_by__staff")
    if status:
        qs = qs.filter(status__in=status)
    if client_id is not None:
        qs = qs.filter(client_id=client_id)
    return qs.order_by("-created_at", "-pk")


def change_requests_for_review(*, user):
    """Submitted requests a reviewer may decide: never their own."""
    from .models import ChangeStatus

    return change_requests(status=[ChangeStatus.SUBMITTED]).exclude(created_by=user).order_by("created_at", "pk")


def change_requests_manual():
    """Requests that need a person: retries exhausted, a link to confirm, or refused by CSDC."""
    from .models import ChangeStatus

    return change_requests(status=[ChangeStatus.MANUAL, ChangeStatus.BLOCKED_LINK, ChangeStatus.FAILED])
