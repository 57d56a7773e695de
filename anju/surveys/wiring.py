"""What the surveys app plugs into the kernel and the other apps at start-up."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def register() -> None:
    from anju.core.navigation import NavItem, register_nav
    from anju.core.roles import ROLE_PERMS, Perm
    from anju.messaging.sources import register_message_source

    survey_staff = frozenset(
        role
        for role, perms in ROLE_PERMS.items()
        if Perm.RUN_SURVEYS in perms or Perm.TAKE_SURVEYS in perms
    )
    reporters = frozenset(role for role, perms in ROLE_PERMS.items() if Perm.VIEW_REPORTS in perms)
    register_nav(NavItem(_("Surveys"), "surveys:list", survey_staff))
    register_nav(NavItem(_("Satisfaction figures"), "surveys:figures", reporters))
    register_message_source("survey", pgettext_lazy("message source", "Satisfaction survey"))
    _register_timeline()
    _register_responsibility()
    _register_audit_log()


def _register_audit_log() -> None:
    """SEC-3: who revised a questionnaire, and when (it has no company for an event row)."""
    from auditlog.registry import auditlog

    from .models import Survey, SurveyQuestion, SurveyTemplate

    for model in (SurveyTemplate, SurveyQuestion, Survey):
        auditlog.register(model)


def _register_responsibility() -> None:
    """Who asks a customer on the phone may reveal his number to call him (SUR-2)."""
    from anju.customers.responsibility import register_responsibility_provider

    from .selectors import owes_a_survey_call

    register_responsibility_provider(owes_a_survey_call)


def _register_timeline() -> None:
    from anju.customers.timeline import register_timeline_kind, register_timeline_provider

    from .models import SurveyResponse
    from .timeline import surveys_timeline

    register_timeline_kind("survey", _("Survey"))
    register_timeline_provider(surveys_timeline, covers=("surveys.",), sources=(SurveyResponse,))
