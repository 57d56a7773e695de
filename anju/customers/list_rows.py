"""The customer list's table rows (issue 10 item 2: no template work per row)."""

from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.timezone import localtime

from anju.core.masking import mask_phone
from anju.core.rows import dash, rows_html, url_maker

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
    return rows_html(
        _ROW,
        (
            (
                detail(c.pk),
                c.code,
                detail(c.pk),
                c.name,
                mask_phone(c.phone),
                c.get_status_display(),
                dash(c.grade),
                c.get_source_display(),
                dash(c.owner),
                dash(c.project),
                c.completeness,
                date_format(localtime(c.created_at), "Y-m-d"),
            )
            for c in customers
        ),
    )
