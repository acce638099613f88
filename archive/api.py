from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.views import APIView

from accounts.access import perm_class
from accounts.models import Client

from . import selectors
from .http import document_response
from .models import AccessAction, Document
from .serializers import DocumentSerializer


class ClientDocumentListApi(generics.ListAPIView):
    serializer_class = DocumentSerializer
    permission_classes = [perm_class("archive.view_document")]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no URL arguments
            return Document.objects.none()
        client = get_object_or_404(Client, pk=self.kwargs["client_id"])
        return selectors.client_documents(client_id=client.pk).select_related("related_type")

    @extend_schema(summary="List the documents in a client's file (客户档案)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


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
