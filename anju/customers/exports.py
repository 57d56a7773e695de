"""The customer export (CUS-9): its columns and its kind for export jobs (issue 8 item 3).

One definition for the streamed page export (``import_views.export``) and the API's export
job (``core.export_jobs``): same columns, same FilterSet, same masking.
"""

from django.utils.translation import gettext_lazy

from anju.core.exports import Column
from anju.core.masking import mask_id_number, mask_phone


def customer_export_columns():
    """The export's columns: headers the import recognises, so a file can round-trip."""

    def display(field):
        return lambda c: getattr(c, f"get_{field}_display")() if getattr(c, field) else ""

    return [
        Column(gettext_lazy("Customer code"), "code"),
        Column(gettext_lazy("Name"), "name", personal=True),
        Column(gettext_lazy("Mobile phone"), "phone", mask=mask_phone),
        Column(gettext_lazy("Gender"), display("gender")),
        Column(gettext_lazy("Birth date"), "birth_date", personal=True),
        Column(gettext_lazy("ID document number"), "id_number", mask=mask_id_number),
        Column(gettext_lazy("Status"), display("status")),
        Column(gettext_lazy("Intention grade"), "grade"),
        Column(gettext_lazy("Source channel"), display("source")),
        Column(gettext_lazy("Life stage"), display("life_stage")),
        Column(gettext_lazy("Payment ability"), display("payment_ability")),
        Column(gettext_lazy("Project"), lambda c: c.project.name if c.project_id else ""),
        Column(gettext_lazy("Consultant"), lambda c: str(c.owner) if c.owner_id else ""),
        Column(gettext_lazy("Protected until"), "protected_until"),
        Column(gettext_lazy("Completeness (%)"), "completeness"),
        Column(gettext_lazy("Last activity"), "last_activity_at"),
        Column(gettext_lazy("Registered at"), "created_at"),
    ]


def register_export_kinds():
    from anju.core.export_jobs import ExportKind, register_export_kind

    from .filters import CustomerFilter, export_check, export_filter_names, export_rows

    register_export_kind(
        ExportKind(
            name="customers",
            filename="customers",
            columns=customer_export_columns,
            rows=export_rows(CustomerFilter),
            check=export_check(CustomerFilter),
            filters=export_filter_names(CustomerFilter),
            label=gettext_lazy("Customers"),
            filter_schema=_filter_schema,
        )
    )


def _filter_schema():
    """The export's filters: those of ``POST /customers/search`` (a phone may be searched in
    a body, never in a URL)."""
    from .api import CustomerSearchIn

    return CustomerSearchIn
