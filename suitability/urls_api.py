from django.urls import path

from . import api

urlpatterns = [
    path("questionnaires/current/", api.QuestionnaireCurrentApi.as_view(), name="api-questionnaire-current"),
    path("clients/<int:client_id>/assessments/", api.ClientAssessmentsApi.as_view(), name="api-client-assessments"),
    path("products/", api.ProductListCreateApi.as_view(), name="api-products"),
    path("suitability/match/", api.MatchApi.as_view(), name="api-suitability-match"),
    path(
        "clients/<int:client_id>/classification-requests/",
        api.ClientClassificationRequestsApi.as_view(),
        name="api-client-classification-requests",
    ),
    path(
        "classification-requests/<int:request_id>/review/",
        api.ClassificationRequestReviewApi.as_view(),
        name="api-classification-request-review",
    ),
    path(
        "suitability/decisions/<int:decision_id>/confirm/",
        api.MismatchConfirmApi.as_view(),
        name="api-suitability-decision-confirm",
    ),
]
