from django.urls import path

from . import api, api_clients

urlpatterns = [
    path("me/", api.MeApi.as_view(), name="api-me"),
    path("branches/", api.BranchListCreateApi.as_view(), name="api-branches"),
    path("clients/", api_clients.ClientListApi.as_view(), name="api-clients"),
    path("clients/<int:client_id>/", api_clients.ClientDetailApi.as_view(), name="api-client"),
    path("clients/<int:client_id>/reveal/", api.ClientPiiRevealApi.as_view(), name="api-client-reveal"),
]
