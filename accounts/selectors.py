from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from .models import Branch, Client, FundAccount, WorkerHeartbeat
from .prepared import PreparedQuery, instance, like_prefix


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


def _search_terms(query: str, limit: int) -> tuple[list[str], str, list[int]]:
    """What a client search looks for: blind indexes of the query (as typed, without spaces in upper case,
    and as a phone number), the client number, and the clients whose fund account number it is."""
    from .crypto import blind_index
    from .errors import ApplicationError
    from .services import phone_normalise

    indexes = {blind_index(query), blind_index("".join(query.split()).upper())}
    if query.lstrip("+").isdigit():
        try:
            indexes.add(blind_index(phone_normalise(query)))
        except ApplicationError:
            pass
    # The account's client ids as a literal list, so PostgreSQL can OR primary-key lookups into one bitmap scan
    # (an IN (subquery) inside an OR would be a filter over every client).
    holders = (
        sorted({row[0] for row in _ACCOUNT_HOLDERS.rows(query)})[:limit]
        if query.isascii() and query.isalnum()  # account numbers are ASCII letters and digits: skip for names
        else []
    )
    return sorted(indexes), query.upper(), holders


def _search_queryset(id_indexes, phone_indexes, client_no: str, name: str, holders, limit: int):
    condition = (
        Q(id_number_index__in=id_indexes)
        | Q(phone_index__in=phone_indexes)
        | Q(client_no=client_no)
        | Q(name__startswith=name)
        | Q(pk__in=holders)
    )
    return (
        Client.objects.filter(condition)
        .select_related("branch")
        .only(*SEARCH_FIELDS, *(f"branch__{f}" for f in SEARCH_BRANCH_FIELDS))
        .order_by("name", "pk")[:limit]
    )


def client_search_queryset(*, query: str, limit: int = 50):
    """client_search as a queryset that the ORM compiles on every call (for EXPLAIN and tests)."""
    query = (query or "").strip()
    if not query:
        return Client.objects.none()
    indexes, client_no, holders = _search_terms(query, limit)
    return _search_queryset(indexes, indexes, client_no, query, holders, limit)


def client_search(*, query: str, limit: int = 50) -> list:
    """Clients by exact ID number or phone (through the blind indexes: never a LIKE on an encrypted column),
    exact client number, exact fund account number, or name prefix; ordered by name, with their branch.
    Only SEARCH_FIELDS are loaded (the rest on access).

    Every branch of the condition is an index lookup (benchmark 4 of bench/run.py checks the plan at
    1,000,000 clients). The statement is compiled once per process (accounts.prepared) for the usual
    shapes — up to three blind indexes, no or one account holder; anything else goes through the ORM.
    The results equal client_search_queryset's (tests/accounts/test_client_search.py).
    """
    query = (query or "").strip()
    if not query:
        return []
    indexes, client_no, holders = _search_terms(query, limit)
    if len(holders) > 1 or len(indexes) > _SEARCH_INDEXES:
        return list(_search_queryset(indexes, indexes, client_no, query, holders, limit))
    prepared = _SEARCH_PREPARED.get((len(holders), limit))
    if prepared is None:
        prepared = _SEARCH_PREPARED[(len(holders), limit)] = _search_prepared(len(holders), limit)
    padded = indexes + indexes[:1] * (_SEARCH_INDEXES - len(indexes))  # a repeated value changes nothing
    n = len(_CLIENT_COLUMNS)
    found, branches = [], {}  # a page holds a few branches: one instance each, shared by its clients
    for row in prepared.rows(*padded, *padded, client_no, query, *holders):
        client = instance(Client, dict(zip(_CLIENT_COLUMNS, row[:n], strict=True)))
        key = tuple(row[n:])
        branch = branches.get(key)
        if branch is None:
            branch = branches[key] = instance(Branch, dict(zip(_BRANCH_COLUMNS, key, strict=True)))
        Client.branch.field.set_cached_value(client, branch)
        found.append(client)
    return found


_SEARCH_INDEXES = 3  # at most three blind indexes per query (_search_terms)
_SEARCH_PREPARED: dict[tuple[int, int], PreparedQuery] = {}
# What a result list shows (the search pages: number, name, kind, ID type, masked ID number, branch). Only
# these are read — one decryption per row instead of four; other fields load when accessed, as with .only().
SEARCH_FIELDS = ("id", "client_no", "kind", "status", "name", "id_type", "id_number", "branch_id")
SEARCH_BRANCH_FIELDS = ("id", "code", "name")
_CLIENT_COLUMNS = list(SEARCH_FIELDS)
_BRANCH_COLUMNS = list(SEARCH_BRANCH_FIELDS)
_ACCOUNT_HOLDERS = PreparedQuery(
    lambda account_no: FundAccount.objects.filter(account_no=account_no).values_list("client_id")[:50],
    "\x1faccount-no\x1f",
    server_side=True,
)


def _search_prepared(holders: int, limit: int) -> PreparedQuery:
    sentinels = [f"\x1fsearch-{i}\x1f" for i in range(2 * _SEARCH_INDEXES + 2)]
    sentinels += [-7_340_000_000_000_000_002 - i for i in range(holders)]
    name_at = 2 * _SEARCH_INDEXES + 1

    def build(*values):
        ids, phones = values[:_SEARCH_INDEXES], values[_SEARCH_INDEXES : 2 * _SEARCH_INDEXES]
        client_no, name, holder_ids = values[name_at - 1], values[name_at], values[name_at + 1 :]
        queryset = _search_queryset(list(ids), list(phones), client_no, name, list(holder_ids), limit)
        return queryset.values_list(*_CLIENT_COLUMNS, *(f"branch__{c}" for c in _BRANCH_COLUMNS))

    return PreparedQuery(build, *sentinels, encode={name_at: like_prefix})


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
