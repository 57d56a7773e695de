"""The customer list's table rows (issue 10 item 2: no template work per row)."""

from django.utils.safestring import SafeString
from django.utils.timezone import localtime

from anju.core.masking import mask_phone
from anju.core.rows import choice_labels, dash, iso_date, rows_html, url_maker

from .models import Customer

_ROW = (
    '<tr><td><a href="{}">{}</a></td>'
    '<td><a class="text-body fw-semibold" href="{}">{}</a></td>'
    '<td class="font-monospace">{}</td>'
    '<td><span class="badge text-bg-light border">{}</span></td>'
    "<td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
    '<td class="text-end">{}%</td><td>{}</td></tr>'
)


def customer_rows(customers) -> SafeString:
    detail = url_maker("customers:detail")
    status = choice_labels(Customer, "status")
    # the source is a code of the company's managed list, not a model choice: its name is
    # annotated on the row (``sources.with_source_names``), the default names else
    return rows_html(
        _ROW,
        (
            (
                detail(c.pk),
                c.code,
                detail(c.pk),
                c.name,
                mask_phone(c.phone),
                status(c.status),
                dash(c.grade),
                c.get_source_display(),
                dash(c.owner),
                dash(c.project),
                c.completeness,
                iso_date(localtime(c.created_at).date()),
            )
            for c in customers
        ),
    )
