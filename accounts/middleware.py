"""Pages: an ApplicationError raised by a service becomes a page that says what was refused and why."""

import logging

from django.conf import settings
from django.shortcuts import render

from .errors import ApplicationError

security_log = logging.getLogger("security")


class ApplicationErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, ApplicationError) and not request.path.startswith("/api/"):
            return render(request, "refused.html", {"error": exception}, status=exception.status)
        return None


class DenialLogMiddleware:
    """Every refused request (401/403, or a page sending an anonymous visitor to the login) writes one line
    to the `security` log, whichever layer refused it (DRF, a decorator, CSRF, a service)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        status = response.status_code
        location = response.get("Location", "")
        to_login = status == 302 and location.startswith(_login_path()) and not request.user.is_authenticated
        to_admin_login = status == 302 and location.startswith("/admin/login/")  # not staff enough for the admin
        if status in (401, 403) or to_login or to_admin_login:
            security_log.warning(
                "denied %s: user=%s method=%s path=%s",
                status,
                getattr(request.user, "pk", None),
                request.method,
                request.path,
            )
        return response


def _login_path() -> str:
    from django.shortcuts import resolve_url

    return str(resolve_url(settings.LOGIN_URL))


class PagesInChineseMiddleware:
    """Staff pages are Chinese unless the user picks English with the language switch (a cookie); the
    browser's Accept-Language is not consulted for pages. The API still honours Accept-Language.
    Must come before django.middleware.locale.LocaleMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
