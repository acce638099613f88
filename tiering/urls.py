from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="tiering-dashboard"),
    path("migration/", views.migration, name="tiering-migration"),
    path("recompute/", views.recompute_start, name="tiering-recompute"),
    path("policies/", views.policy_list, name="tiering-policies"),
    path("policies/<int:policy_id>/", views.policy_detail, name="tiering-policy"),
    path("policies/<int:policy_id>/<str:action>/", views.policy_action, name="tiering-policy-action"),
    path("clients/<int:client_id>/", views.client_tier, name="tiering-client"),
]
