from rest_framework import serializers

from accounts.masking import mask_name

from .models import AttemptChannel, AttemptOutcome, CallbackAttempt, CallbackTask


class CallbackAttemptSerializer(serializers.ModelSerializer):
    agent = serializers.CharField(source="agent.username", read_only=True)

    class Meta:
        model = CallbackAttempt
        fields = [
            "id", "number", "agent", "started_at", "recorded_at", "channel", "outcome", "identity_confirmed",
            "agent_confirmed", "disclosures_understood", "true_wish", "password_reminder_given",
            "channel_confirmed", "notes", "recording_ref", "record_document_id",
        ]  # fmt: skip
        read_only_fields = fields


class CallbackTaskSerializer(serializers.ModelSerializer):
    client_no = serializers.CharField(source="client.client_no", read_only=True)
    client_name = serializers.SerializerMethodField()
    assigned_to = serializers.CharField(source="assigned_to.username", read_only=True, allow_null=True)

    class Meta:
        model = CallbackTask
        fields = [
            "id", "application", "client", "client_no", "client_name", "reason", "status", "assigned_to", "due_at",
            "expires_at", "attempts_count", "next_attempt_at", "escalated_at", "closed_at", "outcome_reason",
            "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_client_name(self, task) -> str:
        return mask_name(task.client.name)


class CallbackTaskDetailSerializer(CallbackTaskSerializer):
    attempts = CallbackAttemptSerializer(many=True, read_only=True)

    class Meta(CallbackTaskSerializer.Meta):
        fields = [*CallbackTaskSerializer.Meta.fields, "attempts"]
        read_only_fields = fields


class CallbackAttemptRecordSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=AttemptChannel.choices)
    outcome = serializers.ChoiceField(choices=AttemptOutcome.choices)
    started_at = serializers.DateTimeField(required=False)
    identity_confirmed = serializers.BooleanField(required=False, allow_null=True, default=None)
    agent_confirmed = serializers.BooleanField(required=False, allow_null=True, default=None)
    disclosures_understood = serializers.BooleanField(required=False, allow_null=True, default=None)
    true_wish = serializers.BooleanField(required=False, allow_null=True, default=None)
    password_reminder_given = serializers.BooleanField(required=False, allow_null=True, default=None)
    channel_confirmed = serializers.BooleanField(required=False, allow_null=True, default=None)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    recording_ref = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)


class CallbackAttemptResultSerializer(serializers.Serializer):
    attempt = CallbackAttemptSerializer()
    task = CallbackTaskSerializer()
