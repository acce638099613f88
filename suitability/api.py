from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.utils.serializer_helpers import ReturnDict
from rest_framework.views import APIView

from accounts.access import perm_class
from accounts.errors import ApplicationError
from accounts.idempotency import idempotent
from accounts.models import Client

from . import selectors, services
from .errors import SuitabilityError
from .models import Assessment, Audience, ClassificationRequest, MatchDecision
from .serializers import (
    AssessmentSerializer,
    AssessmentSubmitSerializer,
    ClassificationRequestCreateSerializer,
    ClassificationRequestSerializer,
    MatchDecisionSerializer,
    MatchRequestSerializer,
    MismatchConfirmationSerializer,
    MismatchConfirmSerializer,
    ProductSerializer,
    QuestionnaireSerializer,
    ReviewSerializer,
    match_request_fast,
)


class QuestionnaireCurrentApi(APIView):
    permission_classes = [perm_class("suitability.view_questionnaire")]

    @extend_schema(
        summary="The current questionnaire with its questions and options",
        parameters=[OpenApiParameter("audience", enum=Audience.values, default=Audience.INDIVIDUAL)],
        responses=QuestionnaireSerializer,
    )
    def get(self, request):
        audience = request.query_params.get("audience", Audience.INDIVIDUAL)
        questionnaire = selectors.questionnaire_current(audience=audience)
        if questionnaire is None:
            raise ApplicationError(SuitabilityError.NO_PUBLISHED_QUESTIONNAIRE, audience=audience)
        return Response(QuestionnaireSerializer(questionnaire).data)


class ClientAssessmentsApi(generics.GenericAPIView):
    permission_classes = [perm_class("suitability.add_assessment", safe_perms=("suitability.view_assessment",))]
    serializer_class = AssessmentSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Assessment.objects.none()
        return selectors.assessments_for_client(client_id=self.kwargs["client_id"])

    @extend_schema(summary="A client's assessments, newest first", responses=AssessmentSerializer(many=True))
    def get(self, request, client_id: int):
        get_object_or_404(Client, pk=client_id)
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(AssessmentSerializer(page, many=True).data)

    @extend_schema(
        summary="Submit a client's answers to the current questionnaire",
        request=AssessmentSubmitSerializer,
        responses={201: AssessmentSerializer},
    )
    @idempotent
    def post(self, request, client_id: int):
        client = get_object_or_404(Client, pk=client_id)
        serializer = AssessmentSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assessment = services.assessment_submit(actor=request.user, client=client, **serializer.validated_data)
        return Response(AssessmentSerializer(assessment).data, status=status.HTTP_201_CREATED)


class ProductListCreateApi(generics.ListCreateAPIView):
    queryset = selectors.products_list()
    serializer_class = ProductSerializer
    permission_classes = [perm_class("suitability.add_product", safe_perms=("suitability.view_product",))]

    @extend_schema(summary="The product catalogue")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(summary="Add a product to the catalogue (administrators)")
    @idempotent
    def post(self, request, *args, **kwargs):
        serializer = ProductSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product = services.product_create(actor=request.user, **serializer.validated_data)
        return Response(ProductSerializer(product).data, status=status.HTTP_201_CREATED)


class MatchApi(APIView):
    permission_classes = [perm_class("suitability.match_product")]
    # DRF builds a serializer's fields anew for every instance (≈ 15 % of a match's CPU). The output
    # serializer keeps no per-request state, so one instance per process renders every decision.
    decision_output = MatchDecisionSerializer()

    @extend_schema(
        summary="Suitability check: may this client buy this product? (stored and replayable)",
        request=MatchRequestSerializer,
        responses=MatchDecisionSerializer,
    )
    @idempotent
    def post(self, request):
        data = match_request_fast(request.data)
        if data is None:  # anything unusual: the serializer decides, with its error messages
            serializer = MatchRequestSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        subject = selectors.match_subject(client_id=data["client_id"])  # client, class, assessment: one query
        if subject is None:
            raise Http404
        product = None
        if data.get("product_code"):
            product = selectors.product_active_by_code(code=data["product_code"])
            if product is None:
                raise ApplicationError(
                    SuitabilityError.PRODUCT_NOT_FOUND,
                    fields={"product_code": [data["product_code"]]},
                    code=data["product_code"],
                )
        attrs = {k: data[k] for k in ("risk", "horizon", "variety") if k in data}
        decision = services.product_match(
            client=subject.client,
            product=product,
            product_attrs=attrs or None,
            actor=request.user,
            record=data["record"],
            subject=subject,
        )
        output = self.decision_output
        return Response(ReturnDict(output.to_representation(decision), serializer=output))


class ClientClassificationRequestsApi(generics.GenericAPIView):
    permission_classes = [
        perm_class("suitability.add_classificationrequest", safe_perms=("suitability.view_classificationrequest",))
    ]
    serializer_class = ClassificationRequestSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ClassificationRequest.objects.none()
        return ClassificationRequest.objects.filter(client_id=self.kwargs["client_id"]).select_related(
            "requested_by", "reviewed_by"
        )

    @extend_schema(
        summary="A client's investor-class change requests", responses=ClassificationRequestSerializer(many=True)
    )
    def get(self, request, client_id: int):
        get_object_or_404(Client, pk=client_id)
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ClassificationRequestSerializer(page, many=True).data)

    @extend_schema(
        summary="Enter a request: ordinary → professional C, or professional → ordinary (reviewed by a second person)",
        request=ClassificationRequestCreateSerializer,
        responses={201: ClassificationRequestSerializer},
    )
    @idempotent
    def post(self, request, client_id: int):
        client = get_object_or_404(Client, pk=client_id)
        serializer = ClassificationRequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = services.classification_request_create(actor=request.user, client=client, **serializer.validated_data)
        return Response(ClassificationRequestSerializer(created).data, status=status.HTTP_201_CREATED)


class ClassificationRequestReviewApi(APIView):
    permission_classes = [perm_class("suitability.change_classificationrequest")]

    @extend_schema(
        summary="Approve or reject a class change request (never by the person who entered it)",
        request=ReviewSerializer,
        responses=ClassificationRequestSerializer,
    )
    @idempotent
    def post(self, request, request_id: int):
        get_object_or_404(ClassificationRequest, pk=request_id)
        serializer = ReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reviewed = services.classification_request_review(
            actor=request.user, request_id=request_id, **serializer.validated_data
        )
        return Response(ClassificationRequestSerializer(reviewed).data)


class MismatchConfirmApi(APIView):
    permission_classes = [perm_class("suitability.add_mismatchconfirmation")]

    @extend_schema(
        summary="Record the client's confirmation of the special risk warning of a mismatch",
        request=MismatchConfirmSerializer,
        responses={201: MismatchConfirmationSerializer},
    )
    @idempotent
    def post(self, request, decision_id: int):
        get_object_or_404(MatchDecision, pk=decision_id)
        serializer = MismatchConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        confirmation = services.mismatch_confirm(
            actor=request.user, decision_id=decision_id, **serializer.validated_data
        )
        return Response(MismatchConfirmationSerializer(confirmation).data, status=status.HTTP_201_CREATED)
