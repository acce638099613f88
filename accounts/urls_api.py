from django.urls import path

from . import api, api_changes, api_clients

urlpatterns = [
    path("me/", api.MeApi.as_view(), name="api-me"),
    path("branches/", api.BranchListCreateApi.as_view(), name="api-branches"),
    path("clients/", api_clients.ClientListApi.as_view(), name="api-clients"),
    path("clients/<int:client_id>/", api_clients.ClientDetailApi.as_view(), name="api-client"),
    path("clients/<int:client_id>/reveal/", api.ClientPiiRevealApi.as_view(), name="api-client-reveal"),
    path("change-requests/", api_changes.ChangeRequestListCreateApi.as_view(), name="api-change-requests"),
    path("change-requests/<int:request_id>/", api_changes.ChangeRequestDetailApi.as_view(), name="api-change-request"),
    path("change-requests/<int:request_id>/status/", api_changes.ChangeRequestStatusApi.as_view(),
         name="api-change-request-status"),
    path("change-requests/<int:request_id>/review/", api_changes.ChangeRequestReviewApi.as_view(),
         name="api-change-request-review"),
    path("change-requests/<int:request_id>/link-confirm/", api_changes.ChangeRequestLinkConfirmApi.as_view(),
         name="api-change-request-link-confirm"),
    path("change-requests/<int:request_id>/resume/", api_changes.ChangeRequestResumeApi.as_view(),
         name="api-change-request-resume"),
]  # fmt: skip
