from django.urls import path

from . import api

urlpatterns = [
    path("clients/<int:client_id>/tier/", api.ClientTierApi.as_view(), name="api-client-tier"),
    path("clients/<int:client_id>/tier-overrides/", api.ClientOverrideApi.as_view(), name="api-client-tier-override"),
    path(
        "tiering/overrides/<int:override_id>/decide/", api.OverrideDecideApi.as_view(), name="api-tier-override-decide"
    ),
    path("tiering/distribution/", api.DistributionApi.as_view(), name="api-tier-distribution"),
    path("tiering/metrics/", api.MetricsImportApi.as_view(), name="api-tier-metrics"),
    path("tiering/recomputes/", api.RecomputeApi.as_view(), name="api-tier-recomputes"),
    path("tiering/recomputes/<int:run_id>/", api.RecomputeDetailApi.as_view(), name="api-tier-recompute"),
    path("tiering/policies/", api.PolicyListApi.as_view(), name="api-tier-policies"),
    path("tiering/policies/<int:policy_id>/", api.PolicyDetailApi.as_view(), name="api-tier-policy"),
    path("tiering/policies/<int:policy_id>/propose/", api.PolicyProposeApi.as_view(), name="api-tier-policy-propose"),
    path("tiering/policies/<int:policy_id>/approve/", api.PolicyApproveApi.as_view(), name="api-tier-policy-approve"),
    path("tiering/policies/<int:policy_id>/what-if/", api.PolicyWhatIfApi.as_view(), name="api-tier-policy-what-if"),
]
