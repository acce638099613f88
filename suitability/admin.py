from django.contrib import admin

from accounts.admin import AuditedAdmin, ReadOnlyHistoryAdmin

from .models import (
    Assessment,
    ClassificationRequest,
    InvestorClassification,
    MatchDecision,
    MismatchConfirmation,
    Option,
    Product,
    Question,
    Questionnaire,
)


class QuestionnairePartAdmin(AuditedAdmin):
    """Questions and options are governed by the questionnaire's permissions, and only while it is a draft."""

    def _questionnaire(self, obj):
        return None if obj is None else obj.questionnaire if isinstance(obj, Question) else obj.question.questionnaire

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("suitability.view_questionnaire")

    def has_add_permission(self, request) -> bool:
        return request.user.has_perm("suitability.change_questionnaire")

    def has_change_permission(self, request, obj=None) -> bool:
        questionnaire = self._questionnaire(obj)
        draft = questionnaire is None or questionnaire.is_draft
        return draft and request.user.has_perm("suitability.change_questionnaire")


@admin.register(Questionnaire)
class QuestionnaireAdmin(AuditedAdmin):
    list_display = ["code", "version", "audience", "status", "published_at", "validity_months"]
    list_filter = ["audience", "status"]
    readonly_fields = ["status", "published_at"]

    def has_change_permission(self, request, obj=None) -> bool:
        # A published or superseded version never changes; publishing is a service, not an edit.
        return (obj is None or obj.is_draft) and super().has_change_permission(request, obj)


@admin.register(Question)
class QuestionAdmin(QuestionnairePartAdmin):
    list_display = ["questionnaire", "order", "code", "dimension", "multi_select", "text_zh"]
    list_filter = ["questionnaire", "dimension"]


@admin.register(Option)
class OptionAdmin(QuestionnairePartAdmin):
    list_display = ["question", "order", "code", "score", "lowest_category", "horizon", "variety", "text_zh"]
    list_filter = ["question__questionnaire"]


@admin.register(Product)
class ProductAdmin(AuditedAdmin):
    list_display = ["code", "name", "risk", "horizon", "variety", "active"]
    list_filter = ["risk", "horizon", "variety", "active"]
    search_fields = ["code", "name"]


class ReadOnlyAdmin(ReadOnlyHistoryAdmin):
    """Results of services: visible in the admin, never edited there."""


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ["client", "risk_level", "total_score", "lowest_category", "valid_until", "assessed_at"]
    list_select_related = ["client"]
    raw_id_fields = ["client"]


@admin.register(InvestorClassification)
class InvestorClassificationAdmin(ReadOnlyAdmin):
    list_display = ["client", "investor_class", "is_current", "effective_at"]
    list_select_related = ["client"]
    raw_id_fields = ["client"]


@admin.register(MatchDecision)
class MatchDecisionAdmin(ReadOnlyAdmin):
    list_display = ["client", "outcome", "rule_version", "created_at"]
    list_select_related = ["client"]
    raw_id_fields = ["client"]


@admin.register(MismatchConfirmation)
class MismatchConfirmationAdmin(ReadOnlyAdmin):
    list_display = ["decision", "channel", "confirmed_at", "staff"]
    raw_id_fields = ["decision"]


@admin.register(ClassificationRequest)
class ClassificationRequestAdmin(ReadOnlyAdmin):
    list_display = ["client", "from_class", "to_class", "status", "requested_by", "reviewed_by", "requested_at"]
    list_filter = ["status", "to_class"]
    list_select_related = ["client", "requested_by", "reviewed_by"]
    raw_id_fields = ["client"]
