from django.urls import path

from . import api

urlpatterns = [
    path("clients/<int:client_id>/documents/", api.ClientDocumentListApi.as_view(), name="api-client-documents"),
    path("documents/<int:document_id>/download", api.DocumentDownloadApi.as_view(), name="api-document-download"),
    path("clients/<int:client_id>/history/", api.ClientHistoryApi.as_view(), name="api-client-history"),
]
