from django.urls import path

from . import views

urlpatterns = [
    path("", views.application_list, name="onboarding-list"),
    path("new/", views.application_new, name="onboarding-new"),
    path("queue/", views.review_queue, name="onboarding-queue"),
    path("clients/<int:client_id>/", views.client_overview, name="client-overview"),
    path("<int:application_id>/", views.application_wizard, name="onboarding-wizard"),
    path("<int:application_id>/identity-check", views.identity_check, name="onboarding-identity-check"),
    path("<int:application_id>/disclose", views.disclose, name="onboarding-disclose"),
    path("<int:application_id>/assess", views.assess, name="onboarding-assess"),
    path("<int:application_id>/submit", views.submit, name="onboarding-submit"),
    path("<int:application_id>/review", views.review, name="onboarding-review"),
    path("<int:application_id>/open-accounts", views.open_accounts, name="onboarding-open-accounts"),
    path("<int:application_id>/close", views.close, name="onboarding-close"),
]
