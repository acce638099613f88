from django.urls import path

from . import api

urlpatterns = [
    path("applications/", api.ApplicationListCreateApi.as_view(), name="api-applications"),
    path("applications/<int:application_id>/", api.ApplicationDetailApi.as_view(), name="api-application"),
    path("applications/<int:application_id>/identity-check/", api.IdentityCheckApi.as_view(),
         name="api-application-identity-check"),
    path("applications/<int:application_id>/disclose/", api.DiscloseApi.as_view(), name="api-application-disclose"),
    path("applications/<int:application_id>/assess/", api.AssessApi.as_view(), name="api-application-assess"),
    path("applications/<int:application_id>/submit/", api.SubmitApi.as_view(), name="api-application-submit"),
    path("applications/<int:application_id>/review/", api.ReviewApi.as_view(), name="api-application-review"),
    path("applications/<int:application_id>/open-accounts/", api.OpenAccountsApi.as_view(),
         name="api-application-open-accounts"),
    path("applications/<int:application_id>/withdraw/", api.WithdrawApi.as_view(), name="api-application-withdraw"),
    path("applications/<int:application_id>/reject/", api.RejectApi.as_view(), name="api-application-reject"),
    path("disclosures/", api.DisclosureListApi.as_view(), name="api-disclosures"),
]  # fmt: skip
