"""Strict scope for the whole request (issue 7 item 6): pages, the API, templates, exports.

Inside a request a scoped model is read only after a scope decision (``core.scope``): a
view, API handler, template tag or export that forgot ``visible_to(user)`` raises
``ScopeNotDecided`` — a 500 in every test that opens it — instead of showing other
people's rows.
"""

from django.db.models import prefetch_related_objects
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
                if user.is_authenticated:
                    load_role_assignments_once(user)
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


def load_role_assignments_once(user) -> None:
    """Read the user's role assignments in one query for the whole request (issue 10 item 2).

    Scope grants, permission checks, navigation and masking all ask
    ``user.role_assignments.all()``; prefetched, each of them reads this one list instead
    of querying again (a page asked 6–9 times before). ``TokenAuth`` does the same for the
    user behind a bearer token, who is known only once ninja authenticates the request.
    """
    prefetch_related_objects([getattr(user, "_wrapped", user)], "role_assignments")


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
