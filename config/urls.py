from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import views as accounts_views

api_v1 = [
    path("", include("accounts.urls_api")),
    path("", include("archive.urls_api")),
    path("", include("suitability.urls_api")),
    path("", include("callbacks.urls_api")),
    path("", include("onboarding.urls_api")),
    path("", include("tiering.urls_api")),
]

urlpatterns = [
    path("", accounts_views.home, name="home"),
    path("healthz", accounts_views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("staff/", include("accounts.urls")),
    path("archive/", include("archive.urls")),
    path("suitability/", include("suitability.urls")),
    path("onboarding/", include("onboarding.urls")),
    path("callbacks/", include("callbacks.urls")),
    path("tiering/", include("tiering.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
]

if settings.BENCH_FLOOR_VIEWS:  # the benchmark's floor (bench/run.py); never enabled otherwise
    urlpatterns.append(path("bench/", include("bench.floor_urls")))
