"""What a request looks like in a list: its kind's label, description and link.

The kind's ``describe``/``target_url`` read the request (its payload, its ids) and must not
query per row: lists call them for every row of a page.
"""

from django.utils.translation import gettext as _

from .registry import approval_kind


def decorate(requests) -> None:
    """Set ``kind_label``, ``description`` and ``target_link`` on each loaded request."""
    for request in requests:
        kind = approval_kind(request.kind)
        request.kind_label = kind.label if kind else request.kind
        request.description = (kind.describe(request) if kind and kind.describe else "") or ""
        request.target_link = kind.target_url(request) if kind and kind.target_url else None
        if not kind:
            request.description = _("This kind of approval is no longer available.")
