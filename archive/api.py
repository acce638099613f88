from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import perm_class
from accounts.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from accounts.models import Client
from accounts.serializers import ErrorSerializer

from . import selectors, services
from .http import document_response
from .models import AccessAction, Document
from .serializers import DocumentSerializer, DocumentUploadSerializer


class ClientDocumentListApi(generics.ListAPIView):
    serializer_class = DocumentSerializer
    # Reading needs view_document; uploading needs add_document (internal systems upload without reading).
    permission_classes = [perm_class("archive.add_document", safe_perms=("archive.view_document",))]
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no URL arguments
            return Document.objects.none()
        client = get_object_or_404(Client, pk=self.kwargs["client_id"])
        return selectors.client_documents(client_id=client.pk).select_related("related_type")

    @extend_schema(summary="List the documents in a client's file (客户档案)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Upload one document to a client's file (PDF, JPEG or PNG, judged by content)",
        description="Stored write-once. Supporting documents of a change request (new ID scan, signed "
        "securities-account application form, ...) are uploaded here first; the change request then names "
        "their ids in `documents`.",
        request={"multipart/form-data": DocumentUploadSerializer},
        responses={201: DocumentSerializer, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @idempotent
    def post(self, request, client_id: int):
        client = get_object_or_404(Client, pk=client_id)
        serializer = DocumentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        document = services.document_store(
            actor=request.user, client=client, kind=serializer.validated_data["kind"], content=upload.read(),
            filename=upload.name,
        )  # fmt: skip
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)


class DocumentDownloadApi(APIView):
    permission_classes = [perm_class("archive.view_document")]

    @extend_schema(
        summary="Download one document (the access is logged)",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="PDF, JPEG or PNG"),
            (200, "image/jpeg"): OpenApiTypes.BINARY,
            (200, "image/png"): OpenApiTypes.BINARY,
        },
    )
    def get(self, request, document_id: int):
        return document_response(request, document_id, action=AccessAction.DOWNLOAD)


# Audit history (audit explorer, compliance)
from .selectors_audit import AuditFilter, client_timeline  # noqa: E402
from .serializers_audit import AuditEntrySerializer, AuditQuerySerializer  # noqa: E402


class ClientHistoryApi(generics.ListAPIView):
    """Audit history of a client (SPEC §8): the client, records pointing at it, and its documents."""

    permission_classes = [perm_class("archive.view_audit")]
    serializer_class = AuditEntrySerializer
    filter_backends = []  # entries are merged from many history tables, filtered by AuditQuerySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no URL arguments
            return []
        client = get_object_or_404(Client, pk=self.kwargs["client_id"])
        query = AuditQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        flt = AuditFilter(data.get("date_from"), data.get("date_to"), data.get("change_type", ""))
        return client_timeline(client_id=client.pk, flt=flt, reveal=False, limit=None)

    @extend_schema(
        summary="Read a client's audit history (newest first; personal data masked)",
        parameters=[AuditQuerySerializer],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
