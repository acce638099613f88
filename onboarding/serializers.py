from rest_framework import serializers

from accounts.masking import mask_id_number, mask_phone
from accounts.models import ClientKind, IdTypeChoices

from .models import Application, ApplicationEvent, ApplicationStatus, Channel, DisclosureDocument, IdentityCheck

# --- input -----------------------------------------------------------------------------------------


class ClientInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ClientKind.choices)
    name = serializers.CharField(max_length=100)
    id_type = serializers.ChoiceField(choices=IdTypeChoices.choices)
    id_number = serializers.CharField(max_length=40, help_text="Resident ID, credit code or other document no.")
    id_valid_until = serializers.DateField(required=False, allow_null=True, help_text="Empty: valid long-term.")
    phone = serializers.CharField(required=False, allow_blank=True, max_length=30)
    email = serializers.EmailField(required=False, allow_blank=True)
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    nationality = serializers.CharField(required=False, max_length=3)
    occupation = serializers.CharField(required=False, allow_blank=True, max_length=40)
    education = serializers.CharField(required=False, allow_blank=True, max_length=40)
    income_band = serializers.CharField(required=False, allow_blank=True, max_length=40)
    financial_assets = serializers.DecimalField(required=False, allow_null=True, max_digits=16, decimal_places=2)
    investment_years = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100)
    legal_rep_name = serializers.CharField(required=False, allow_blank=True, max_length=50)
    legal_rep_id_type = serializers.ChoiceField(choices=IdTypeChoices.choices, required=False, allow_blank=True)
    legal_rep_id_number = serializers.CharField(required=False, allow_blank=True, max_length=40)


class AgentInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    id_type = serializers.ChoiceField(choices=IdTypeChoices.choices)
    id_number = serializers.CharField(max_length=40)
    relationship = serializers.CharField(
        required=False, allow_blank=True, max_length=20, help_text="`guardian` for a minor client's guardian."
    )


class CertificateInputSerializer(serializers.Serializer):
    cert_serial = serializers.CharField(max_length=64)
    cert_issuer = serializers.CharField(max_length=200)
    cert_valid_from = serializers.DateTimeField()
    cert_valid_to = serializers.DateTimeField()


class ApplicationCreateSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    client = ClientInputSerializer()
    agent = AgentInputSerializer(required=False, allow_null=True, help_text="Only when an agent acts.")
    witness_id = serializers.IntegerField(
        required=False, allow_null=True, help_text="Witnessed channel: the user id of the witness."
    )
    met_by_ids = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="Witnessed channel: staff who met the client."
    )
    witness_by_video = serializers.BooleanField(required=False, default=False)
    certificate = CertificateInputSerializer(required=False, allow_null=True, help_text="Online channel only.")
    bank_code = serializers.CharField(required=False, allow_blank=True, max_length=10, default="")
    bank_account = serializers.CharField(required=False, allow_blank=True, max_length=40, default="")


class DiscloseSerializer(serializers.Serializer):
    risk_disclosure_id = serializers.IntegerField(help_text="Id of the current risk disclosure (GET disclosures/).")
    agreement_id = serializers.IntegerField(help_text="Id of the current opening agreement.")
    educator_id = serializers.IntegerField(
        required=False, allow_null=True, help_text="Staff who explained the rules; default: the caller."
    )


class ApplicationReviewSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="", help_text="Required to reject.")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, allow_blank=True)


class ApplicationQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ApplicationStatus.choices, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    branch = serializers.CharField(required=False, help_text="Branch code.")
    created_from = serializers.DateField(required=False, help_text="Created on or after (local date).")
    created_to = serializers.DateField(required=False, help_text="Created on or before (local date).")


# --- output ----------------------------------------------------------------------------------------


def _staff_name(user) -> str | None:
    if user is None:
        return None
    profile = getattr(user, "staff", None)
    return profile.full_name if profile else user.username


class ClientSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    client_no = serializers.CharField()
    kind = serializers.CharField()
    name = serializers.CharField()
    id_type = serializers.CharField()
    id_number_masked = serializers.SerializerMethodField(help_text="Masked; reveal via clients/{id}/reveal/.")
    phone_masked = serializers.SerializerMethodField()

    def get_id_number_masked(self, client) -> str:
        return mask_id_number(client.id_number)

    def get_phone_masked(self, client) -> str:
        return mask_phone(client.phone)


class DisclosureDocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = DisclosureDocument
        fields = ["id", "kind", "version", "title", "body", "active"]


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = ApplicationEvent
        fields = ["action", "from_status", "to_status", "actor", "reason", "payload", "created_at"]

    def get_actor(self, event) -> str | None:
        return _staff_name(event.actor)


class IdentityCheckSerializer(serializers.ModelSerializer):
    class Meta:
        model = IdentityCheck
        fields = ["subject", "result", "photo_similarity", "reference", "checked_at"]


class ChecklistItemSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    present = serializers.BooleanField()


class StepSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    state = serializers.ChoiceField(choices=["done", "current", "blocked", "todo"])


class ApplicationSerializer(serializers.ModelSerializer):
    client = ClientSummarySerializer()
    branch = serializers.CharField(source="branch.code")
    status_label = serializers.CharField(source="get_status_display")
    channel_label = serializers.CharField(source="get_channel_display")
    agent_id_number_masked = serializers.SerializerMethodField()
    witness = serializers.SerializerMethodField()
    created_by = serializers.SerializerMethodField()
    reviewed_by = serializers.SerializerMethodField()
    risk_disclosure = serializers.CharField(source="risk_disclosure.version", allow_null=True, default=None)
    agreement = serializers.CharField(source="agreement.version", allow_null=True, default=None)
    risk_level = serializers.CharField(source="assessment.risk_level", allow_null=True, default=None)
    fund_account = serializers.CharField(source="fund_account.account_no", allow_null=True, default=None)

    class Meta:
        model = Application
        fields = [
            "id", "status", "status_label", "channel", "channel_label", "client", "branch", "created_by",
            "created_at", "updated_at", "has_agent", "agent_name", "agent_id_type", "agent_id_number_masked",
            "agent_relationship", "witness", "witness_by_video", "cert_serial", "cert_issuer", "cert_valid_from",
            "cert_valid_to", "risk_disclosure", "agreement", "disclosed_at", "risk_level", "submitted_at",
            "reviewed_by", "reviewed_at", "review_note", "bank_code", "fund_account", "opened_at", "closed_reason",
        ]  # fmt: skip

    def get_agent_id_number_masked(self, app) -> str:
        return mask_id_number(app.agent_id_number)

    def get_witness(self, app) -> str | None:
        return _staff_name(app.witness)

    def get_created_by(self, app) -> str | None:
        return _staff_name(app.created_by)

    def get_reviewed_by(self, app) -> str | None:
        return _staff_name(app.reviewed_by)


class ApplicationDetailSerializer(ApplicationSerializer):
    events = EventSerializer(many=True)
    identity_checks = IdentityCheckSerializer(many=True)
    checklist = ChecklistItemSerializer(many=True, help_text="Documents this application type needs in the file.")
    steps = StepSerializer(many=True, help_text="What is done, what is next, what blocks.")

    class Meta(ApplicationSerializer.Meta):
        fields = [*ApplicationSerializer.Meta.fields, "events", "identity_checks", "checklist", "steps"]
