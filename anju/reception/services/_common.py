"""Helpers shared by the reception services: input checks, scope checks, customer registration.

Private to the package: the service modules import them from here, nobody else should.
"""

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.permissions import has_perm
from anju.core.roles import Perm
from anju.core.scope import can_see
from anju.customers.models import Gender, Source
from anju.customers.services import customer_register
from anju.customers.sources import check_source

FUTURE_SLACK = timedelta(minutes=10)
PLAUSIBLE_YEARS = (2000, 2099)


# --- helpers ---------------------------------------------------------------------------------


def _aware(value, *, field_name):
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise ApplicationError(_("Enter a valid date and time."), field=field_name)
    if not PLAUSIBLE_YEARS[0] <= value.year <= PLAUSIBLE_YEARS[1]:
        # A typo like 0001 or 9999 would overflow date arithmetic (the day before, time zones).
        raise ApplicationError(
            _("Enter a date between %(first)s and %(last)s.")
            % {"first": PLAUSIBLE_YEARS[0], "last": PLAUSIBLE_YEARS[1]},
            field=field_name,
        )
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _not_in_future(value, *, field_name, now):
    if value > now + FUTURE_SLACK:
        raise ApplicationError(_("This time is in the future."), field=field_name)


def _count(value, *, field_name, maximum):
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ApplicationError(_("Enter a whole number."), field=field_name) from exc
    if number < 0 or number > maximum:
        raise ApplicationError(
            _("Enter a number between 0 and %(max)s.") % {"max": maximum}, field=field_name
        )
    return number


def _require_project(by, project):
    """The acting user works on this project (it is in his scope)."""
    from anju.org.models import Project

    if by is not None and not Project.objects.visible_to(by).filter(pk=project.pk).exists():
        raise NotPermitted(_("This project is outside your scope."))


def _consultant_for(by, project, consultant):
    consultant = consultant or by
    if consultant is None:
        raise ApplicationError(_("Choose the consultant."), field="consultant")
    if consultant != by:
        _require_project(consultant, project)
    return consultant


def _require_handler(by, obj, *, owner_id):
    """The consultant who owns the record, or a manager of its project, may change it."""
    if by is None:
        return
    if not can_see(by, obj):
        raise NotPermitted()
    if owner_id != by.pk and not has_perm(
        by, Perm.VIEW_REPORTS, company=obj.company_id, project=obj.project_id
    ):
        raise NotPermitted(_("Only the consultant in charge or a manager can change this."))


def _register_customer(*, by, project, consultant, phone, name, gender, source):
    if source:
        source = check_source(project.company_id, source)  # the company's list (item 12)
    if gender and gender not in Gender.values:
        raise ApplicationError(_("Unknown salutation."), field="gender")
    profile = {"source": source or Source.OTHER}
    if gender in Gender.values:
        profile["gender"] = gender
    registration = customer_register(
        by=by,
        company=project.company,
        phone=phone,
        name=name,
        project=project,
        owner=consultant if consultant != by else None,
        **profile,
    )
    return registration
