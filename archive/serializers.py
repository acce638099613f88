from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .forms import UPLOADABLE_KINDS
from .models import Document


class DocumentUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=UPLOADABLE_KINDS, help_text="Document kind (文件类型).")
    file = serializers.FileField(help_text="PDF, JPEG or PNG (recognised by content, not by name).")


class DocumentSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    stored_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    related_type = serializers.SerializerMethodField(help_text="`app_label.model` of the linked object, if any.")
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id",
            "client",
            "kind",
            "kind_label",
            "source",
            "stored_by",
            "stored_at",
            "original_filename",
            "content_type",
            "size",
            "sha256",
            "retention_until",
            "legal_hold",
            "related_type",
            "related_id",
            "download_url",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_related_type(self, document: Document) -> str | None:
        ct = document.related_type
        return f"{ct.app_label}.{ct.model}" if ct else None

    @extend_schema_field(OpenApiTypes.STR)
    def get_download_url(self, document: Document) -> str:
        return reverse("api-document-download", args=[document.pk])
