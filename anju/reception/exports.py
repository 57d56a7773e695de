"""Exports of the reception lists (CUS-9, SEC-2), through the kernel exporter.

Columns are what a sales manager puts in his weekly Excel; phones are masked unless the
role may see them in full (checked per row by core.exports), and every export is logged.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.core.exports import Column
from anju.core.masking import mask_name, mask_phone


def _local(attr):
    def value(row):
        moment = getattr(row, attr)
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""

    return value


def _display(field):
    return lambda row: getattr(row, f"get_{field}_display")()


def _customer_code(row):
    # A call on a colleague's protected customer does not name it (issue 7 item 1).
    if not row.customer_id or not getattr(row, "customer_visible", True):
        return ""
    return row.customer.code


def _customer_name(row):
    if not row.customer_id or not getattr(row, "customer_visible", True):
        return ""
    return row.customer.name


def _str(attr):
    return lambda row: str(getattr(row, attr) or "")


def call_columns():
    return [
        Column(_("Call time"), _local("called_at")),
        Column(_("Project"), _str("project")),
        Column(_("Consultant"), _str("consultant")),
        Column(_("Customer code"), _customer_code),
        Column(_("Caller's name"), "caller_name", personal=True),
        Column(_("Caller's number"), "phone", mask=mask_phone),
        Column(_("Rings before answer"), "rings"),
        Column(_("Seconds to answer"), "answer_seconds"),
        Column(_("Call duration (seconds)"), "duration_seconds"),
        Column(_("Repeat caller"), lambda r: _("Yes") if r.is_repeat else _("No")),
        Column(
            _("Declined to give details"), lambda r: _("Yes") if r.details_declined else _("No")
        ),
        Column(_("Questions asked"), "questions"),
        Column(_("Visit booked for"), _local("visit_booked_for")),
    ]


def _waiting_minutes(visit):
    """Blank when the reception start was not recorded (issue 9 item 6)."""
    return None if visit.waiting_seconds is None else round(visit.waiting_seconds / 60, 1)


def visit_columns():
    return [
        Column(_("Arrival"), _local("arrived_at")),
        Column(_("Project"), _str("project")),
        Column(_("Consultant"), _str("consultant")),
        Column(_("Customer code"), _customer_code),
        Column(_("Customer"), _customer_name, personal=True),
        Column(_("Waiting (minutes)"), _waiting_minutes),
        Column(_("Party size"), "party_size"),
        Column(_("Products shown"), "products_shown"),
        Column(_("Risk factors disclosed"), "risk_factors_disclosed_count"),
        Column(_("Risk factors to disclose"), "risk_factors_total"),
        Column(_("Invited to the club"), lambda r: _("Yes") if r.club_invited else _("No")),
        Column(_("Next step"), "next_step"),
    ]


def opportunity_columns():
    def reason(row):
        return str(row.win_reason or row.loss_reason or "")

    return [
        Column(_("Opened"), _local("created_at")),
        Column(_("Project"), _str("project")),
        Column(_("Consultant"), _str("consultant")),
        Column(_("Customer code"), _customer_code),
        Column(_("Customer"), _customer_name, personal=True),
        Column(_("Stage"), _display("stage")),
        Column(_("Products of interest"), "products_of_interest"),
        Column(_("Expected value (CNY)"), "expected_value"),
        Column(_("Expected close"), "expected_close"),
        Column(_("Win or loss reason"), reason),
        Column(_("Closed at"), _local("closed_at")),
    ]


def task_columns():
    return [
        Column(_("Due date"), "due_date"),
        Column(_("Kind"), _display("kind")),
        # the title names the customer ("电话回访 · 欧阳晓峰"): left out where he is not seen
        Column(_("Task"), "title", customer="customer"),
        Column(_("Status"), _display("status")),
        Column(_("Assignee"), _str("assignee")),
        Column(_("Project"), _str("project")),
        Column(_("Customer code"), "customer.code", customer="customer"),
        Column(
            _("Customer"), "customer.name", personal=True, customer="customer", unseen=mask_name
        ),
        Column(_("Done at"), _local("done_at")),
        Column(_("Outcome"), "outcome", customer="customer"),
    ]


def list_exports():
    """{list: (its FilterSet, its columns, its label)}: the page's exports and the jobs'."""
    from .filters import CallFilter, OpportunityFilter, TaskFilter, VisitFilter

    return {
        "calls": (CallFilter, call_columns, _("Calls")),
        "visits": (VisitFilter, visit_columns, _("Visits")),
        "opportunities": (OpportunityFilter, opportunity_columns, _("Opportunities")),
        "tasks": (TaskFilter, task_columns, _("Follow-up tasks")),
    }


def register_export_kinds():
    """The reception lists as export jobs (issue 8 item 3): ``reception_calls`` …"""
    from anju.core.export_jobs import ExportKind, register_export_kind
    from anju.customers.filters import export_check, export_filter_names, export_rows

    for what, (filter_class, columns, label) in list_exports().items():
        register_export_kind(
            ExportKind(
                name=f"reception_{what}",
                filename=what,
                columns=columns,
                rows=export_rows(filter_class),
                check=export_check(filter_class),
                filters=export_filter_names(filter_class),
                label=label,
                filter_schema=_schema_of(filter_class, what),
            )
        )


def _schema_of(filter_class, what):
    def build():
        from anju.core.api_types import Input

        return filter_class.api_schema(f"{what.title()}ExportFilters", __base__=Input)

    return build
