"""Reads of the suitability stage that more than one caller needs."""

from dataclasses import dataclass

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from accounts.models import Client
from accounts.prepared import BIGINT_MAX, BIGINT_MIN, PreparedQuery, instance

from .models import (
    Assessment,
    InvestorClass,
    InvestorClassification,
    Option,
    Product,
    Question,
    Questionnaire,
    QuestionnaireStatus,
)


def questionnaire_current(*, audience: str) -> Questionnaire | None:
    """The published questionnaire for an audience, with its questions and options (3 queries)."""
    return (
        Questionnaire.objects.filter(audience=audience, status=QuestionnaireStatus.PUBLISHED)
        .prefetch_related(
            Prefetch(
                "questions",
                queryset=Question.objects.order_by("order").prefetch_related(
                    Prefetch("options", queryset=Option.objects.order_by("order"))
                ),
            )
        )
        .first()
    )


def assessment_current(*, client_id: int) -> Assessment | None:
    """The client's latest assessment, whatever its validity (one indexed query)."""
    return Assessment.objects.filter(client_id=client_id).order_by("-assessed_at", "-id").first()


def assessments_for_client(*, client_id: int) -> QuerySet[Assessment]:
    return Assessment.objects.filter(client_id=client_id).select_related("assessed_by").order_by("-assessed_at", "-id")


def investor_class_current(*, client_id: int) -> str:
    """The client's current investor class; a client never classified is an ordinary investor."""
    found = (
        InvestorClassification.objects.filter(client_id=client_id, is_current=True)
        .values_list("investor_class", flat=True)
        .first()
    )
    return found or InvestorClass.ORDINARY


@dataclass(frozen=True)
class MatchSubject:
    """What a match decision depends on besides the product, read together (one snapshot)."""

    client: Client
    investor_class: str
    assessment: Assessment | None


# The columns the match reads (services._match_inputs); the rest stays deferred.
MATCH_CLIENT_FIELDS = ("id", "kind", "birth_date", "data_changed_at")
MATCH_ASSESSMENT_FIELDS = (
    "id",
    "client_id",
    "risk_level",
    "lowest_category",
    "horizon",
    "varieties",
    "valid_until",
    "assessed_at",
)
MATCH_PRODUCT_FIELDS = ("id", "code", "name", "risk", "horizon", "variety")
_ID, _CODE = -7_340_000_000_000_000_001, "\x1fproduct-code\x1f"  # parameter sentinels (accounts.prepared)


def _class_current_of(client_ref: str) -> Subquery:
    return Subquery(
        InvestorClassification.objects.filter(client_id=OuterRef(client_ref), is_current=True)
        .order_by("-effective_at", "-id")
        .values("investor_class")[:1]
    )


# The hottest read (the match API), compiled once: the latest assessment with its client and the
# client's current class in one statement; the client and class alone for a client never assessed.
_ASSESSED_SUBJECT = PreparedQuery(
    lambda client_id: (
        Assessment.objects.filter(client_id=client_id)
        .annotate(current_class=_class_current_of("client_id"))
        .order_by("-assessed_at", "-id")
        .values_list(*MATCH_ASSESSMENT_FIELDS, *(f"client__{f}" for f in MATCH_CLIENT_FIELDS[1:]), "current_class")[:1]
    ),
    _ID,
    server_side=True,
)
_UNASSESSED_SUBJECT = PreparedQuery(
    lambda client_id: (
        Client.objects.filter(pk=client_id)
        .annotate(current_class=_class_current_of("pk"))
        .values_list(*MATCH_CLIENT_FIELDS, "current_class")[:1]
    ),
    _ID,
    server_side=True,
)
_PRODUCT_ACTIVE = PreparedQuery(
    lambda code: Product.objects.filter(code=code, active=True).values_list(*MATCH_PRODUCT_FIELDS)[:1],
    _CODE,
    server_side=True,
)


def match_subject(*, client_id: int) -> MatchSubject | None:
    """The client with its current investor class and latest assessment (as `investor_class_current` and
    `assessment_current` read them), or None if there is no such client. One query; a second one only for
    a client who was never assessed. Only the columns the match uses are loaded."""
    if not BIGINT_MIN <= client_id <= BIGINT_MAX:
        return None
    rows = _ASSESSED_SUBJECT.rows(client_id)
    if rows:
        row = rows[0]
        n = len(MATCH_ASSESSMENT_FIELDS)
        assessment = instance(Assessment, dict(zip(MATCH_ASSESSMENT_FIELDS, row[:n], strict=True)))
        client = instance(Client, dict(zip(MATCH_CLIENT_FIELDS, [client_id, *row[n:-1]], strict=True)))
        assessment.client = client
    else:
        rows = _UNASSESSED_SUBJECT.rows(client_id)
        if not rows:
            return None
        row, assessment = rows[0], None
        client = instance(Client, dict(zip(MATCH_CLIENT_FIELDS, row[:-1], strict=True)))
    return MatchSubject(client=client, investor_class=row[-1] or InvestorClass.ORDINARY, assessment=assessment)


def product_active_by_code(*, code: str) -> Product | None:
    """An active product of the catalogue by its code (unique index), with the columns a match stores."""
    rows = _PRODUCT_ACTIVE.rows(code)
    return instance(Product, dict(zip(MATCH_PRODUCT_FIELDS, rows[0], strict=True))) if rows else None


def products_list() -> QuerySet[Product]:
    return Product.objects.order_by("code")
