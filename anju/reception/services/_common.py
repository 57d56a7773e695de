"""Helpers shared by the reception services: input checks, scope checks, customer registration.

Private to the package: the service modules import them from here, nobody else should.
"""

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.permissions import has_perm, require_perm
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


def _optional_count(value, *, field_name, maximum):
    """A measure the consultant may leave blank: None (or "") stays None, "not recorded"."""
    if value is None or value == "":
        return None
    return _count(value, field_name=field_name, maximum=maximum)


def _form_opened_at(value, *, now):
    """When the entry form was opened (issue 9 item 6): kept as entered, never in the future."""
    value = _aware(value, field_name="form_opened_at")
    if value is not None:
        _not_in_future(value, field_name="form_opened_at", now=now)
    return value


def _require_project(by, project):
    """The acting user works on this project (it is in his scope)."""
    from anju.org.models import Project

    if by is not None and not Project.objects.visible_to(by).filter(pk=project.pk).exists():
        raise NotPermitted(_("This project is outside your scope."))


def _require_reception(by, project, perm):
    """Reception is sales work (issue 9 item 5): an engineer, a steward or a service agent
    who sees the project may not log its sales calls or visits and appear as consultant."""
    if by is not None:
        require_perm(by, perm, company=project.company_id, project=project)


def _consultant_for(by, project, consultant):
    consultant = consultant or by
    if consultant is None:
        raise ApplicationError(_("Choose the consultant."), field="consultant")
    if consultant != by:
        _require_project(consultant, project)
        if not has_perm(consultant, Perm.LOG_VISITS, company=project.company_id, project=project):
            raise ApplicationError(
                _("Choose a sales consultant of this project."), field="consultant"
            )
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
