from .navigation import nav_for
from .permissions import user_roles
from .roles import Role


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    labels = dict(Role.choices)
    return {
        "nav_items": nav_for(user, request.path),
        "user_role_labels": [labels[r] for r in sorted(user_roles(user)) if r in labels],
    }
