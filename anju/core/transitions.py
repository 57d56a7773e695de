"""The one state-transition helper: a workflow is a table of allowed moves in its model module."""

from collections.abc import Mapping

from django.utils.translation import gettext as _

from .errors import Conflict


def check_transition(*, allowed: Mapping, current, to, label=None) -> None:
    """Raise Conflict (409, code invalid_transition) unless ``current → to`` is in ``allowed`` (state → set of states)."""
    if to not in allowed.get(current, ()):
        choices = getattr(type(current), "choices", None) or getattr(type(to), "choices", None)
        names = dict(choices or [])
        raise Conflict(
            _("%(what)s cannot change from “%(current)s” to “%(to)s”.")
            % {
                "what": label or _("The status"),
                "current": names.get(current, current),
                "to": names.get(to, to),
            },
            code="invalid_transition",
        )
