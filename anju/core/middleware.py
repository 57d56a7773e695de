"""Turn a stray ApplicationError into a clear 4xx page instead of a server error (SEC-4).

Views normally catch ApplicationError and show it on the form; this is the safety net.
"""

from django.shortcuts import render

from .errors import ApplicationError


class ApplicationErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, ApplicationError):
            return None
        template = (
            "core/_error_fragment.html" if getattr(request, "htmx", False) else "core/error.html"
        )
        return render(
            request, template, {"message": exception.message}, status=exception.status_code
        )
