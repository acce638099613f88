from rest_framework import serializers


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    old = serializers.CharField(allow_blank=True)
    new = serializers.CharField(allow_blank=True)


class AuditEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    model = serializers.CharField(help_text="Tracked model, `app_label.Model` (archive.Document for documents).")
    object_id = serializers.CharField()
    object_repr = serializers.CharField()
    change_type = serializers.ChoiceField(choices=["+", "~", "-"])
    user_id = serializers.IntegerField(allow_null=True)
    username = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    history_id = serializers.IntegerField(allow_null=True)
    changes = FieldChangeSerializer(many=True, help_text="Field-by-field diff; personal data masked.")


class AuditQuerySerializer(serializers.Serializer):
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    change_type = serializers.ChoiceField(choices=["+", "~", "-"], required=False)
