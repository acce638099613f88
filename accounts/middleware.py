"""Pages: an ApplicationError raised by a service becomes a page that says what was refused and why."""

from django.shortcuts import render

from .errors import ApplicationError


class ApplicationErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, ApplicationError) and not request.path.startswith("/api/"):
            return render(request, "refused.html", {"error": exception}, status=exception.status)
        return None
