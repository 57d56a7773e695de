"""Project middleware: the UI language (RUN-3) and stray ApplicationErrors (SEC-4)."""

from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers

from .errors import ApplicationError


class LanguageMiddleware:
    """Chinese unless the user chose otherwise (RUN-3); replaces Django's LocaleMiddleware.

    The language comes only from the language cookie that the switcher (``set_language``)
    sets; the browser's Accept-Language is ignored, so an English browser still gets
    zh-hans until its user picks English.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = language_from_cookie(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


def language_from_cookie(request) -> str:
    """The chosen supported language from the cookie, else settings.LANGUAGE_CODE."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen and translation.check_for_language(chosen):
        try:
            return translation.get_supported_language_variant(chosen)
        except LookupError:
            pass
    return settings.LANGUAGE_CODE


class ApplicationErrorMiddleware:
    """Turn a stray ApplicationError into a clear 4xx page instead of a server error (SEC-4).

    Views normally catch ApplicationError and show it on the form; this is the safety net.
    """

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
