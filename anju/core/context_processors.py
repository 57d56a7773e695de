from .navigation import LazyBadge, nav_for
from .notifications import unread_count
from .permissions import user_roles
from .roles import Role


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    labels = dict(Role.choices)
    shown_name = str(user)
    role_labels = [str(labels[r]) for r in sorted(user_roles(user)) if r in labels]
    return {
        "nav_items": _nav_once(request, user),
        # "销售经理·王磊 · 销售经理" says it twice: leave out roles the name already states
        "user_role_labels": [label for label in role_labels if label not in shown_name],
        # the bell's number: one COUNT, only when a template shows it (issue 13 item 7)
        "notifications_unread": _unread_once(request, user),
    }


def _nav_once(request, user):
    """The menu, built once per request however many templates render (its badges count
    at most once per request: ``navigation.LazyBadge``)."""
    items = getattr(request, "_anju_nav_items", None)
    if items is None:
        items = request._anju_nav_items = nav_for(user, request.path)
    return items


def _unread_once(request, user):
    badge = getattr(request, "_anju_unread", None)
    if badge is None:
        badge = request._anju_unread = LazyBadge(unread_count, user)
    return badge
