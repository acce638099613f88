from django.urls import path

from . import views

urlpatterns = [
    path("clients/<int:client_id>/", views.suitability_card, name="suitability-card"),
    path("clients/<int:client_id>/assess/", views.assessment_form, name="suitability-assess"),
    path("match/", views.match_check, name="suitability-match"),
    path("decisions/<int:decision_id>/confirm/", views.mismatch_confirm, name="suitability-mismatch-confirm"),
]
