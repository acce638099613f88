from django.core.validators import RegexValidator
from rest_framework import serializers

from .models import Branch, PiiField


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    code = serializers.CharField(help_text="Machine-readable error code, e.g. `permission_denied`, `invalid`.")
    message = serializers.CharField(help_text="Human-readable message in the request's language (zh-hans default).")
    fields = serializers.DictField(help_text="Per-field messages for invalid input; empty otherwise.")
    rule = serializers.CharField(allow_null=True, help_text="The regulation or policy a refusal enforces, if any.")


BRANCH_CODE_FORMAT = RegexValidator(r"^[A-Za-z0-9_-]+\Z", "营业部代码只能包含字母、数字、- 和 _。")


class BranchSerializer(serializers.ModelSerializer):
    class Meta:
        model = Branch
        fields = ["id", "code", "name", "address"]
        read_only_fields = ["id"]
        # Uniqueness is the service's job (409, not 400); the format is checked here: letters, digits, - and _.
        extra_kwargs = {"code": {"validators": [BRANCH_CODE_FORMAT]}}


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField(allow_blank=True)
    branch = BranchSerializer(allow_null=True)
    roles = serializers.ListField(child=serializers.CharField())
    permissions = serializers.ListField(child=serializers.CharField())


class PiiRevealRequestSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=PiiField.choices, help_text="Which personal data to reveal.")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class PiiRevealSerializer(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.CharField(allow_blank=True, help_text="The clear value; this reveal is logged.")
