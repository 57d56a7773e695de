"""Strict scope for the whole request (issue 7 item 6): pages, the API, templates, exports.

Inside a request a scoped model is read only after a scope decision (``core.scope``): a
view, API handler, template tag or export that forgot ``visible_to(user)`` raises
``ScopeNotDecided`` — a 500 in every test that opens it — instead of showing other
people's rows.
"""

from django.http import FileResponse

from .scope import strict_scope, unscoped_reads


class ScopeMiddleware:
    """Turn strict scope on around the view, its template rendering and a streamed body.

    Sits after AuthenticationMiddleware: the session's user is looked up first, as system
    work (Django's backend reads ``User._default_manager``; who is asking is not scoped).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None:
            with unscoped_reads("the session's user identifies the request"):
                user.is_authenticated  # noqa: B018 -- resolves the lazy user now
        with strict_scope():
            response = self.get_response(request)
        # A FileResponse's body is built before it is returned; a generator's is not.
        if (
            getattr(response, "streaming", False)
            and not isinstance(response, FileResponse)
            and not getattr(response, "is_async", False)
        ):
            response.streaming_content = _strict_stream(response.streaming_content)
        return response


def _strict_stream(chunks):
    """A streamed export is read after the middleware returned: keep it strict while it is."""
    iterator = iter(chunks)
    while True:
        with strict_scope():
            try:
                chunk = next(iterator)
            except StopIteration:
                return
        yield chunk
