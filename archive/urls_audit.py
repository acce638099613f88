from django.urls import path

from . import views_audit

urlpatterns = [
    path("", views_audit.audit_index, name="audit-index"),
    path("clients/<int:client_id>/", views_audit.audit_client, name="audit-client"),
    path("clients/<int:client_id>/dossier/", views_audit.dossier_request, name="audit-dossier-request"),
    path("staff/<int:user_id>/", views_audit.audit_staff, name="audit-staff"),
    path("models/<str:model_label>/", views_audit.audit_model, name="audit-model"),
    path("chain/", views_audit.audit_chain, name="audit-chain"),
    path("dossiers/<int:export_id>/", views_audit.dossier_page, name="audit-dossier"),
    path("dossiers/<int:export_id>/status", views_audit.dossier_status, name="audit-dossier-status"),
    path("dossiers/<int:export_id>/download", views_audit.dossier_download, name="audit-dossier-download"),
]
