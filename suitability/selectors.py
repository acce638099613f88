"""Reads of the suitability stage that more than one caller needs."""

from django.db.models import Prefetch, QuerySet

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


def product_active_by_code(*, code: str) -> Product | None:
    return Product.objects.filter(code=code, active=True).first()


def products_list() -> QuerySet[Product]:
    return Product.objects.order_by("code")
