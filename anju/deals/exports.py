"""The deals lists as export jobs (issue 12 item 10, issue 8 item 3): queue numbers,
subscriptions, overdue instalments and sales changes.

The same FilterSet and columns as each list's page export (``views.export``,
``contract_views.overdue_export``, ``views_changes.change_export``): the job's file is the
page's file for the same filters, masked per row and logged (``core.export_jobs``). The
overdue list is for who may view reports, as its page.
"""

from django.utils.translation import gettext_lazy as _


def list_exports():
    """{kind: (its FilterSet, its columns, its rows wrapper, its label, reports only)}."""
    from . import export_columns as columns
    from .change_filters import SalesChangeFilter
    from .contract_filters import OverdueFilter
    from .filters import QueueFilter, SubscriptionFilter

    def same(rows):
        return rows

    return {
        "deals_queue_numbers": (
            QueueFilter,
            "queue",
            columns.queue_columns,
            same,
            _("Queue numbers"),
            False,
        ),
        "deals_subscriptions": (
            SubscriptionFilter,
            "subscriptions",
            columns.subscription_columns,
            same,
            _("Subscriptions"),
            False,
        ),
        "deals_overdue_instalments": (
            OverdueFilter,
            "overdue_instalments",
            columns.overdue_columns,
            columns.overdue_rows,
            _("Overdue payments"),
            True,
        ),
        "deals_sales_changes": (
            SalesChangeFilter,
            "sales_changes",
            columns.change_columns,
            same,
            _("Sales changes"),
            False,
        ),
    }


def register_export_kinds():
    """Called from ``wiring.wire()``: one export kind per deals list."""
    from anju.core.export_jobs import ExportKind, register_export_kind
    from anju.customers.filters import export_check, export_filter_names, export_rows

    for name, (filter_class, filename, columns, wrap, label, reports) in list_exports().items():
        check, rows = export_check(filter_class), export_rows(filter_class)
        register_export_kind(
            ExportKind(
                name=name,
                filename=filename,
                columns=columns,
                rows=_rows(rows, wrap, reports),
                check=_check(check, reports),
                filters=export_filter_names(filter_class),
                label=label,
                filter_schema=_schema_of(filter_class, name),
            )
        )


def _require_reports(user) -> None:
    """The overdue list's page rule (``contract_views._require_reports``), for its job too."""
    from anju.core.errors import NotPermitted
    from anju.core.permissions import has_perm
    from anju.core.roles import Perm

    if not has_perm(user, Perm.VIEW_REPORTS):
        raise NotPermitted()


def _check(check, reports):
    def checked(user, filters, params):
        if reports:
            _require_reports(user)
        check(user, filters, params)

    return checked


def _rows(rows, wrap, reports):
    def read(user, filters, params):
        if reports:
            _require_reports(user)  # a role withdrawn since the request: the job fails
        found, description = rows(user, filters, params)
        return wrap(found), description

    return read


def _schema_of(filter_class, name):
    def build():
        from anju.core.api_types import Input

        camel = "".join(part.title() for part in name.split("_"))
        return filter_class.api_schema(f"{camel}ExportFilters", __base__=Input)

    return build
