from django.urls import include, path

from . import views

urlpatterns = [
    path("audit/", include("archive.urls_audit")),
    path("clients/", views.client_search, name="archive-client-search"),
    path("clients/<int:client_id>/", views.client_file, name="archive-client-file"),
    path("clients/<int:client_id>/upload", views.client_file_upload, name="archive-client-file-upload"),
    path("clients/<int:client_id>/reveal", views.client_file_reveal, name="archive-client-file-reveal"),
    path("documents/<int:document_id>/download", views.document_download, name="archive-document-download"),
    path("documents/<int:document_id>/view", views.document_view, name="archive-document-view"),
    path("documents/<int:document_id>/thumbnail", views.document_thumbnail, name="archive-document-thumbnail"),
]
