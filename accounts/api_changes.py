"""Client data change requests through the API (SPEC §4): create (Idempotency-Key honoured), read, review,
status, and the two hand-operated steps (confirm CSDC links, resume from the manual queue)."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors, services
from .access import perm_class
from .idempotency import IDEMPOTENCY_PARAMETER, idempotent
from .models import ChangeEvent, ChangeRequest, ChangeStatus, SyncTarget
from .serializers import ErrorSerializer

TAGS = ["change-requests"]
VIEW = "accounts.view_changerequest"
ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer}


class ChangeRowSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    old = serializers.CharField(allow_blank=True, help_text="Masked for personal data.")
    new = serializers.CharField(allow_blank=True, help_text="Masked for personal data.")
    key = serializers.BooleanField(help_text="Key information (art. 12).")


class ChangeEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)

    class Meta:
        model = ChangeEvent
        fields = ["action", "from_status", "to_status", "actor", "reason", "payload", "at"]


class ChangeRequestSerializer(serializers.ModelSerializer):
    client_no = serializers.CharField(source="client.client_no")
    status_display = serializers.CharField(source="get_status_display")
    created_by = serializers.CharField(source="created_by.username")
    reviewed_by = serializers.CharField(source="reviewed_by.username", allow_null=True, default=None)
    rows = serializers.SerializerMethodField()

    class Meta:
        model = ChangeRequest
        fields = ["id", "client", "client_no", "kind", "status", "status_display", "status_reason", "rows",
                  "sync_targets", "documents", "identity_result", "client_version", "note", "created_by",
                  "created_at", "reviewed_by", "reviewed_at", "review_reason", "ymt_no", "applied_at",
                  "slip_document_id", "callback_task_id"]  # fmt: skip

    @extend_schema_field(ChangeRowSerializer(many=True))
    def get_rows(self, req) -> list[dict]:
        return ChangeRowSerializer(selectors.change_request_rows(req), many=True).data


class ChangeRequestDetailSerializer(ChangeRequestSerializer):
    events = ChangeEventSerializer(many=True, read_only=True)

    class Meta(ChangeRequestSerializer.Meta):
        fields = [*ChangeRequestSerializer.Meta.fields, "events"]


class ChangeRequestCreateSerializer(serializers.Serializer):
    client_id = serializers.IntegerField()
    client_version = serializers.IntegerField(
        min_value=0, help_text="The client's `version` the clerk saw; a change made on older data is refused (409)."
    )
    changes = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        help_text="Field → new value: phone, email, address, occupation, education, income_band, id_valid_until "
        "(ordinary; `YYYY-MM-DD` or `长期` for long-term, optionally with id_valid_from, checked only; always "
        "synced to CSDC); name, id_type, id_number; institutions also legal_rep_name, legal_rep_id_type, "
        "legal_rep_id_number (key).",
    )
    sync_targets = serializers.ListField(child=serializers.ChoiceField(choices=SyncTarget.choices), required=False)
    documents = serializers.ListField(
        child=serializers.IntegerField(), required=False,
        help_text="Ids of supporting documents in this client's file, uploaded first with "
        "`POST /api/v1/clients/{client_id}/documents/`. Required: a new ID scan (`id_front`) for name/ID changes "
        "of individuals (`id_front` or `id_back` for the validity alone); for institutions the new "
        "`business_licence` (name, credit code, validity, legal representative) and `legal_rep_id` (legal "
        "representative); `account_application_signed` whenever CSDC is synced (always for key data). An id "
        "that is unknown, of another client or of another kind is refused (400 on `documents`).",
    )  # fmt: skip
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ChangeReviewSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="Required to reject.")


class ChangeStatusSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display")

    class Meta:
        model = ChangeRequest
        fields = ["id", "status", "status_display", "status_reason", "ymt_no", "applied_at", "updated_at",
                  "slip_document_id"]  # fmt: skip


class ChangeListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ChangeStatus.choices, required=False)
    client_id = serializers.IntegerField(required=False)


class ChangeRequestListCreateApi(generics.ListAPIView):
    serializer_class = ChangeRequestSerializer
    permission_classes = [perm_class("accounts.add_changerequest", safe_perms=(VIEW,))]
    filter_backends = []

    def get_queryset(self):
        query = ChangeListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        status_filter = query.validated_data.get("status")
        return selectors.change_requests(
            status=[status_filter] if status_filter else None, client_id=query.validated_data.get("client_id")
        )

    @extend_schema(tags=TAGS, parameters=[ChangeListQuerySerializer], summary="List change requests (masked)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=TAGS,
        request=ChangeRequestCreateSerializer,
        responses={201: ChangeRequestDetailSerializer, **ERRORS, 422: ErrorSerializer, 503: ErrorSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Enter a client data change (identity re-verified; reviewed by someone else)",
    )
    @idempotent
    def post(self, request, *args, **kwargs):
        serializer = ChangeRequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        req = services.change_request_create(actor=request.user, **serializer.validated_data)
        return Response(ChangeRequestDetailSerializer(req).data, status=status.HTTP_201_CREATED)


class ChangeRequestDetailApi(generics.RetrieveAPIView):
    serializer_class = ChangeRequestDetailSerializer
    permission_classes = [perm_class(VIEW)]
    queryset = ChangeRequest.objects.select_related("client", "created_by", "reviewed_by").prefetch_related(
        "events__actor"
    )
    lookup_url_kwarg = "request_id"

    @extend_schema(tags=TAGS, summary="Read a change request with its timeline (CSDC exchanges included)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ChangeRequestStatusApi(generics.RetrieveAPIView):
    serializer_class = ChangeStatusSerializer
    permission_classes = [perm_class(VIEW)]
    queryset = ChangeRequest.objects.all()
    lookup_url_kwarg = "request_id"

    @extend_schema(tags=TAGS, summary="The status of a change request")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ChangeRequestReviewApi(APIView):
    permission_classes = [perm_class("accounts.review_changerequest")]

    @extend_schema(
        tags=TAGS,
        request=ChangeReviewSerializer,
        responses={200: ChangeRequestDetailSerializer, **ERRORS},
        summary="Approve or reject (reviewer ≠ clerk; a second decision gets 409)",
    )
    @idempotent
    def post(self, request, request_id: int):
        serializer = ChangeReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        req = services.change_request_review(
            actor=request.user,
            request_id=request_id,
            approve=serializer.validated_data["decision"] == "approve",
            reason=serializer.validated_data["reason"],
        )
        req.refresh_from_db()
        return Response(ChangeRequestDetailSerializer(req).data)


class ChangeRequestLinkConfirmApi(APIView):
    permission_classes = [perm_class("accounts.handle_changerequest")]

    @extend_schema(
        tags=TAGS, request=None, responses={200: ChangeRequestDetailSerializer, **ERRORS, 503: ErrorSerializer},
        summary="Confirm the unconfirmed CSDC sub-account links of a blocked key change, and resume it",
    )  # fmt: skip
    @idempotent
    def post(self, request, request_id: int):
        req = services.change_request_link_confirm(actor=request.user, request_id=request_id)
        req.refresh_from_db()
        return Response(ChangeRequestDetailSerializer(req).data)


class ChangeRequestResumeApi(APIView):
    permission_classes = [perm_class("accounts.handle_changerequest")]

    @extend_schema(
        tags=TAGS, request=None, responses={200: ChangeRequestDetailSerializer, **ERRORS},
        summary="Send a request from the manual-handling queue through the CSDC workflow again",
    )  # fmt: skip
    @idempotent
    def post(self, request, request_id: int):
        req = services.change_request_resume(actor=request.user, request_id=request_id)
        req.refresh_from_db()
        return Response(ChangeRequestDetailSerializer(req).data)
