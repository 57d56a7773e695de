"""Customer list searches kept out of URLs (issue 7 item 9, SEC-2).

A search may be a phone number. Put in a query string (``?q=13812345678``) it would end up
in browser history, proxies and server logs. The list's search form therefore POSTs; the
page keeps the filters in the user's session under a short random token and redirects to
``?s=<token>``, which pagination and export links carry instead of the query. A token means
nothing outside the session that made it.
"""

import secrets

from django.http import QueryDict
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError

from .selectors import is_phone_search

SESSION_KEY = "customer_searches"
KEEP = 20  # recent searches per session: enough for back/forward, small in the session
FIELDS = ("q", "status", "grade", "source", "owner", "project", "include_archived")


def _params(data) -> dict:
    return {k: str(data.get(k)) for k in FIELDS if data.get(k) not in (None, "")}


def remember_search(request, data) -> str:
    """Keep the list filters of ``data`` (a form's data) and return their token."""
    searches = dict(request.session.get(SESSION_KEY, {}))
    token = secrets.token_urlsafe(8)
    searches[token] = _params(data)
    for old in list(searches)[:-KEEP]:
        del searches[old]
    request.session[SESSION_KEY] = searches
    return token


def recall_search(request, token) -> QueryDict | None:
    """The filters kept under ``token`` in this session, as form data; None if unknown."""
    params = request.session.get(SESSION_KEY, {}).get(str(token or ""))
    if params is None:
        return None
    data = QueryDict(mutable=True)
    data.update(params)
    return data


def search_data(request):
    """The list filters a GET request asks for: its token's, or its query string's if that
    holds no phone search (the export link of the list page carries the token)."""
    if request.GET.get("s"):
        data = recall_search(request, request.GET["s"])
        if data is None:
            raise ApplicationError(_("That search has expired. Search again."), field="s")
        return data
    if is_phone_search(request.GET.get("q")):
        raise ApplicationError(
            _("Search phone numbers with the search form, not in the address."), field="q"
        )
    return request.GET
