"""Kernel reads."""

from .models import ApiToken
from .roles import Role


def tokens_of(user):
    return ApiToken.objects.filter(user=user)


def role_places_of(user) -> list[tuple[str, str]]:
    """Every role ``user`` holds and where — (role label, "company · project"), for his profile.

    The profile lists them all, even a role the display name already states (the header
    leaves those out to avoid saying it twice).
    """
    labels = dict(Role.choices)
    assignments = (
        user.role_assignments.unscoped("a user's own roles, shown on his profile")
        .select_related("company", "project")
        .order_by("company__code", "role", "project__name")
    )
    return [
        (
            str(labels.get(a.role, a.role)),
            " · ".join(str(place) for place in (a.company, a.project) if place is not None),
        )
        for a in assignments
    ]
