from rest_framework import serializers

from .models import (
    Assessment,
    ClassificationRequest,
    ConfirmationChannel,
    Horizon,
    InvestorClass,
    MatchDecision,
    MismatchConfirmation,
    Option,
    Product,
    ProductRisk,
    Question,
    Questionnaire,
    Variety,
)


class OptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Option
        fields = ["code", "order", "text_zh", "text_en", "score", "lowest_category", "horizon", "variety"]


class QuestionSerializer(serializers.ModelSerializer):
    options = OptionSerializer(many=True, read_only=True)

    class Meta:
        model = Question
        fields = ["code", "order", "dimension", "multi_select", "text_zh", "text_en", "options"]


class ScoreBandSerializer(serializers.Serializer):
    level = serializers.CharField()
    max = serializers.IntegerField()


class QuestionnaireSerializer(serializers.ModelSerializer):
    questions = QuestionSerializer(many=True, read_only=True)
    score_bands = ScoreBandSerializer(many=True, read_only=True)

    class Meta:
        model = Questionnaire
        fields = [
            "id",
            "code",
            "version",
            "audience",
            "title_zh",
            "title_en",
            "status",
            "published_at",
            "validity_months",
            "score_bands",
            "questions",
        ]


class AssessmentSubmitSerializer(serializers.Serializer):
    questionnaire_id = serializers.IntegerField()
    answers = serializers.DictField(
        child=serializers.JSONField(),
        help_text='Question code → option code, or a list of option codes for a multi-select question, e.g. {"age": "B", "varieties": ["A", "C"]}.',
    )


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    zh = serializers.CharField()
    en = serializers.CharField()


class AssessmentSerializer(serializers.ModelSerializer):
    lowest_category_reasons = ReasonSerializer(many=True, read_only=True)
    varieties = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text=f"Variety codes: {', '.join(Variety.values)}."
    )
    score_level = serializers.CharField(
        read_only=True, help_text="The level by score alone, before the lowest-category rule."
    )
    answers = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), read_only=True)
    assessed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Assessment
        fields = [
            "id",
            "client",
            "questionnaire_code",
            "questionnaire_version",
            "total_score",
            "score_level",
            "risk_level",
            "lowest_category",
            "lowest_category_reasons",
            "horizon",
            "varieties",
            "valid_until",
            "assessed_at",
            "assessed_by",
            "answers",
        ]


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "code", "name", "risk", "horizon", "variety", "active"]
        read_only_fields = ["id"]
        extra_kwargs = {"code": {"validators": []}}  # uniqueness is the service's job (409, not 400)


class MatchRequestSerializer(serializers.Serializer):
    client_id = serializers.IntegerField()
    product_code = serializers.CharField(
        required=False, help_text="A product of the catalogue; or give risk, horizon and variety."
    )
    risk = serializers.ChoiceField(choices=ProductRisk.choices, required=False)
    horizon = serializers.ChoiceField(choices=Horizon.choices, required=False)
    variety = serializers.ChoiceField(choices=Variety.choices, required=False)
    record = serializers.BooleanField(default=True, help_text="Store the decision (default). False: a dry check.")


_MATCH_CHOICES = {"risk": set(ProductRisk.values), "horizon": set(Horizon.values), "variety": set(Variety.values)}


def match_request_fast(data) -> dict | None:
    """MatchRequestSerializer's validated_data for a body made of plainly valid JSON values, without building
    the serializer and its fields (a fifth of a match's CPU, docs/performance.md); None for anything else,
    which the caller then passes to the serializer for its verdict and error messages.

    `tests/suitability/test_match_request.py` checks that whatever this accepts, the serializer accepts
    with the same result.
    """
    if type(data) is not dict:
        return None
    client_id = data.get("client_id")
    if type(client_id) is not int:
        return None
    out: dict = {"client_id": client_id}
    if "product_code" in data:
        code = data["product_code"]
        if type(code) is not str or not code or not code.isprintable() or code != code.strip():
            return None
        out["product_code"] = code
    for name, allowed in _MATCH_CHOICES.items():
        if name in data:
            value = data[name]
            if type(value) is not str or value not in allowed:
                return None
            out[name] = value
    record = data.get("record", True)
    if type(record) is not bool:
        return None
    out["record"] = record
    return out


class MatchDecisionSerializer(serializers.ModelSerializer):
    product = serializers.JSONField(source="product_snapshot", read_only=True)
    dimensions = serializers.ListField(child=serializers.ChoiceField(choices=["risk", "horizon", "variety"]))
    reasons = ReasonSerializer(many=True)
    warnings = ReasonSerializer(many=True)

    class Meta:
        model = MatchDecision
        fields = [
            "id",
            "client",
            "product",
            "outcome",
            "dimensions",
            "reasons",
            "warnings",
            "requires_warning",
            "enhanced_care",
            "rule_version",
            "created_at",
        ]


class ClassificationRequestCreateSerializer(serializers.Serializer):
    to_class = serializers.ChoiceField(
        choices=InvestorClass.choices, help_text="ordinary → professional_c, or professional_* → ordinary."
    )
    evidence = serializers.CharField(required=False, allow_blank=True, default="")
    financial_assets = serializers.DecimalField(max_digits=16, decimal_places=2, required=False, allow_null=True)
    average_income = serializers.DecimalField(max_digits=16, decimal_places=2, required=False, allow_null=True)
    net_assets = serializers.DecimalField(max_digits=16, decimal_places=2, required=False, allow_null=True)
    experience_years = serializers.IntegerField(required=False, allow_null=True, min_value=0)


class ClassificationRequestSerializer(serializers.ModelSerializer):
    # Plain strings: one enum (to_class) in the schema is enough, and avoids an enum-name collision.
    from_class = serializers.CharField(read_only=True, help_text="The class when the request was entered.")
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    reviewed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = ClassificationRequest
        fields = [
            "id",
            "client",
            "from_class",
            "to_class",
            "financial_assets",
            "average_income",
            "net_assets",
            "experience_years",
            "evidence",
            "status",
            "requested_by",
            "requested_at",
            "reviewed_by",
            "reviewed_at",
            "review_note",
        ]


class ReviewSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class MismatchConfirmSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=ConfirmationChannel.choices)


class MismatchConfirmationSerializer(serializers.ModelSerializer):
    staff = serializers.SlugRelatedField(slug_field="username", read_only=True)
    warnings_shown = ReasonSerializer(many=True)

    class Meta:
        model = MismatchConfirmation
        fields = ["id", "decision", "channel", "confirmed_at", "staff", "warnings_shown"]
