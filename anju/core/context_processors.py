from .navigation import nav_for
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
        "nav_items": nav_for(user, request.path),
        # "销售经理·王磊 · 销售经理" says it twice: leave out roles the name already states
        "user_role_labels": [label for label in role_labels if label not in shown_name],
    }
