"""Project middleware: the UI language (RUN-3), stray ApplicationErrors and NUL in requests
(SEC-4)."""

import json

from django.conf import settings
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from .api_errors import error_response
from .errors import ApplicationError


class LanguageMiddleware:
    """Chinese unless the user chose otherwise (RUN-3); replaces Django's LocaleMiddleware.

    Pages take the language only from the language cookie that the switcher
    (``set_language``) sets; the browser's Accept-Language is ignored, so an English browser
    still gets zh-hans until its user picks English. The API (``/api/``) also honours
    Accept-Language when no cookie is sent: an integrator's program has no switcher.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        is_api = request.path.startswith("/api/")
        language = language_from_cookie(request)
        if is_api and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            language = language_from_accept_header(request) or language
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie", "Accept-Language") if is_api else ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


def language_from_accept_header(request) -> str | None:
    """The first supported language the Accept-Language header names, by its q-values."""
    header = request.headers.get("Accept-Language", "")
    for code, _quality in translation.trans_real.parse_accept_lang_header(header):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return None


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
        # A page answers a bad value with a plain 400 (422 is the API's word for it).
        status = 400 if exception.status_code == 422 else exception.status_code
        return render(request, template, {"message": exception.message}, status=status)


class NulCharacterMiddleware:
    """Answer 400 with a clear message to a request carrying NUL in its text (issue 7 item 4).

    PostgreSQL refuses NUL in any text, even a search parameter, so a NUL anywhere in the
    path, the query string, a form field or a JSON body would be a server error further
    down. Uploaded files are not looked at (a workbook is binary); the import checks their
    cells itself. Forms and services refuse the other control characters field by field.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            has_nul = _has_nul(request)
        except MultiPartParserError:  # "multipart/form-data" without a boundary, cut short…
            return _unreadable(request)
        if has_nul:
            return _nul_refused(request)
        return self.get_response(request)


def _has_nul(request) -> bool:
    if "\x00" in request.path or _query_dict_has_nul(request.GET):
        return True
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    content_type = request.content_type or ""
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        # the fields only: files are binary, and Django drops unprintable file-name characters
        return _query_dict_has_nul(request.POST)
    if request.path.startswith("/api/") and "json" in content_type:
        # The API's schemas refuse control characters field by field (422 naming the field)
        # and unknown fields; a body an operation does not read cannot hurt.
        return False
    body = request.body
    if b"\x00" in body:
        return True
    if b"\\u0000" in body and "json" in content_type:
        try:
            return _json_has_nul(json.loads(body))
        except ValueError:
            return False  # not JSON after all: the view answers that
    return False


def _query_dict_has_nul(data) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in data.lists())


def _json_has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_json_has_nul(k) or _json_has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_json_has_nul(v) for v in value)
    return False


def _unreadable(request):
    message = _("The request could not be read.")
    if request.path.startswith("/api/"):
        return error_response(400, "bad_request", message)
    return render(request, "core/error.html", {"message": message}, status=400)


def _nul_refused(request):
    message = _(
        "The request contains a NUL character (U+0000), which no text may hold. "
        "Remove it and try again."
    )
    if request.path.startswith("/api/") or "json" in (request.content_type or ""):
        return error_response(400, "bad_request", message)
    htmx = request.headers.get("HX-Request") == "true"  # runs before HtmxMiddleware
    template = "core/_error_fragment.html" if htmx else "core/error.html"
    return render(request, template, {"message": message}, status=400)
