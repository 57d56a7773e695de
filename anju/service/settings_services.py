"""The service desk's settings (SVC-5): a company's time limits per ticket type and severity,
and who takes unassigned tickets / within how many working days a revisit is due.

Writes of the page ``/service/sla/``, for service managers and management (MANAGE_SERVICE).
A limit equal to the default keeps no row; every change is an event with before and after.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError
from anju.core.events import record_event
from anju.core.permissions import has_perm, require_perm
from anju.core.roles import Perm
from anju.core.validation import validate_fields

from . import sla
from .models import ServiceSettings, Severity, SlaPolicy, TicketType

LIMIT_FIELDS = ("first_response_minutes", "solution_minutes", "closure_minutes")


def _minutes(value, field) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ApplicationError(_("Enter a whole number of minutes."), field=field) from None
    return number


@transaction.atomic
def sla_policy_set(
    *,
    by,
    company,
    ticket_type: str,
    severity: str,
    first_response_minutes,
    solution_minutes,
    closure_minutes,
):
    """One company's limits for one type and severity; returns the row (None: the defaults
    apply and no row is kept). The clocks of tickets already received keep their limits."""
    require_perm(by, Perm.MANAGE_SERVICE, company=company.pk)
    return _policy_set(
        by,
        company,
        ticket_type,
        severity,
        first_response_minutes,
        solution_minutes,
        closure_minutes,
    )[0]


def _policy_set(by, company, ticket_type, severity, first_response, solution, closure):
    """(the row, whether it changed)."""
    if ticket_type not in TicketType.values:
        raise ApplicationError(_("Choose a ticket type."), field="ticket_type")
    if severity not in Severity.values:
        raise ApplicationError(_("Choose a severity."), field="severity")
    values = {
        "first_response_minutes": _minutes(first_response, "first_response_minutes"),
        "solution_minutes": _minutes(solution, "solution_minutes"),
        "closure_minutes": _minutes(closure, "closure_minutes"),
    }
    probe = SlaPolicy(company=company, ticket_type=ticket_type, severity=severity, **values)
    validate_fields(probe, ["ticket_type", "severity", *LIMIT_FIELDS])
    if not values["first_response_minutes"] <= values["solution_minutes"]:
        raise ApplicationError(
            _("The first response cannot be due after the solution."),
            field="first_response_minutes",
        )
    if not values["solution_minutes"] <= values["closure_minutes"]:
        raise ApplicationError(
            _("The solution cannot be due after the closure."), field="solution_minutes"
        )
    row = (
        SlaPolicy.objects.unscoped("the company's own limits; MANAGE_SERVICE checked")
        .select_for_update()
        .filter(company=company, ticket_type=ticket_type, severity=severity)
        .first()
    )
    default = sla.default_limits(ticket_type, severity)
    before = (
        {f: getattr(row, f) for f in LIMIT_FIELDS}
        if row
        else dict(
            zip(
                LIMIT_FIELDS,
                (default.first_response, default.solution, default.closure),
                strict=True,
            )
        )
    )
    if before == values:
        return row, False  # nothing changes: no write, no event
    if row is None:
        row = probe
    else:
        for field, value in values.items():
            setattr(row, field, value)
    row.save()
    record_event(
        by=by,
        verb="service.sla_policy_set",
        target=row,
        details={
            "ticket_type": ticket_type,
            "severity": severity,
            "before": before,
            "after": values,
        },
    )
    return row, True


@transaction.atomic
def sla_policies_set(*, by, company, limits: dict) -> int:
    """The whole table at once: ``{(type, severity): {field: minutes}}``. One refused row
    stores none (the error names the row's field, ``<type>__<severity>__<field>``).
    Returns how many rows changed."""
    require_perm(by, Perm.MANAGE_SERVICE, company=company.pk)
    changed = 0
    for (ticket_type, severity), values in limits.items():
        try:
            _row, did = _policy_set(
                by,
                company,
                ticket_type,
                severity,
                values.get("first_response_minutes"),
                values.get("solution_minutes"),
                values.get("closure_minutes"),
            )
        except ApplicationError as exc:
            if exc.field in LIMIT_FIELDS:
                exc.field = f"{ticket_type}__{severity}__{exc.field}"
            raise
        changed += int(did)
    return changed


@transaction.atomic
def service_settings_update(*, by, company, intake_user, revisit_working_days) -> ServiceSettings:
    """Who takes tickets nobody is named for (the public form's), and within how many
    working days a revisit is due (SVC-4: 5)."""
    require_perm(by, Perm.MANAGE_SERVICE, company=company.pk)
    row = (
        ServiceSettings.objects.unscoped("the company's own desk settings; MANAGE_SERVICE checked")
        .select_for_update()
        .filter(company=company)
        .first()
    ) or ServiceSettings(company=company)
    if intake_user is not None and not (
        intake_user.is_active and has_perm(intake_user, Perm.HANDLE_TICKETS, company=company.pk)
    ):
        raise ApplicationError(
            _("This person cannot handle this company's service tickets."), field="intake_user"
        )
    try:
        days = int(revisit_working_days)
    except (TypeError, ValueError):
        raise ApplicationError(
            _("Enter a whole number of days."), field="revisit_working_days"
        ) from None
    before = {"intake_user": row.intake_user_id, "revisit_working_days": row.revisit_working_days}
    row.intake_user = intake_user
    row.revisit_working_days = days
    validate_fields(row, ["revisit_working_days"])
    after = {"intake_user": row.intake_user_id, "revisit_working_days": row.revisit_working_days}
    if before == after:
        return row  # nothing changes (a company without a row keeps the defaults)
    row.save()
    record_event(
        by=by,
        verb="service.settings_updated",
        target=row,
        company=company,
        details={"before": before, "after": after},
    )
    return row
