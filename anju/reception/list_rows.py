"""The calls, visits and opportunities lists' table rows (issue 10 item 2: no template work per row).

Same markup as the templates had, every value escaped by ``format_html``. Each list reads
only the columns its rows show (``CALL_COLUMNS``, ``VISIT_COLUMNS``): a page of 50 calls
with the caller's, the consultant's and the project's whole rows cost more to load than to
show. A customer is named only where the viewer may see him (issue 7 item 1, issue 9
item 3), linked only where he may open his page (issue 9 item 4).
"""

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from anju.core.masking import mask_phone
from anju.core.rows import choice_labels, person_columns, rows_html, url_maker
from anju.core.scope import sees_loaded

from .models import Opportunity
from .templatetags.reception_tags import mmss, yuan

_CUSTOMER = ("customer__name", "customer__company_id", "customer__project_id", "customer__owner_id")


CALL_COLUMNS = (
    "company_id",
    "project_id",
    "consultant_id",
    "customer_id",
    "called_at",
    "phone",
    "caller_name",
    "details_declined",
    "is_repeat",
    "rings",
    "duration_seconds",
    "visit_booked_for",
    "visit_wanted",
    "project__name",
    *person_columns("consultant"),
    *_CUSTOMER,
)
VISIT_COLUMNS = (
    "company_id",
    "project_id",
    "consultant_id",
    "customer_id",
    "received_by_id",
    "arrived_at",
    "waiting_seconds",
    "risk_factors_total",
    "risk_factors_disclosed_count",
    "club_invited",
    "next_step",
    "project__name",
    *person_columns("consultant"),
    *person_columns("received_by"),
    *_CUSTOMER,
)


OPPORTUNITY_COLUMNS = (
    "company_id",
    "project_id",
    "consultant_id",
    "customer_id",
    "products_of_interest",
    "stage",
    "expected_value",
    "created_at",
    "project__name",
    "win_reason__name",
    "loss_reason__name",
    *person_columns("consultant"),
    *_CUSTOMER,
)


def _minute(moment, fmt="%Y-%m-%d %H:%M") -> str:
    return localtime(moment).strftime(fmt) if moment else ""


class _Customer:
    """The customer cell: his name, linked to his page when the viewer may open it."""

    def __init__(self, user):
        self.user = user
        self.detail = url_maker("customers:detail")
        self.protected = _("Protected by another consultant")

    def cell(self, customer) -> str:
        if sees_loaded(self.user, customer):
            return format_html('<a href="{}">{}</a>', self.detail(customer.pk), customer.name)
        return format_html("{}", customer.name)

    def badge(self, testid) -> str:
        return format_html(
            '<span class="badge text-bg-warning" data-testid="{}">{}</span>', testid, self.protected
        )


_CALL_ROW = (
    '<tr><td class="text-nowrap">{}</td>'
    '<td>{} <span class="text-secondary small">{}</span> {}</td>'
    "<td>{}</td>"
    '<td class="text-end{}">{}</td>'
    '<td class="text-end{}">{}</td>'
    "<td>{}</td><td>{}</td>"
    '<td class="text-end"><a class="btn btn-sm btn-outline-secondary" href="{}">{}</a></td></tr>'
)
_RED = " text-danger fw-semibold"


def call_rows(user, calls) -> SafeString:
    customer = _Customer(user)
    detail = url_maker("reception:call_detail")
    declined = format_html('<span class="text-secondary">{}</span>', _("Declined to give details"))
    repeat = format_html('<span class="badge text-bg-info">{}</span>', _("Repeat caller"))
    first = format_html('<span class="badge text-bg-light border">{}</span>', _("First call"))
    wanted = format_html('<span class="text-secondary">{}</span>', _("wanted, no date"))
    details = _("Details")

    def caller(c):
        if c.details_declined:
            return declined
        if c.customer_visible:
            return customer.cell(c.customer)
        badge = customer.badge("protected-caller") if c.customer_id else ""
        return format_html("{} {}", c.caller_name, badge)

    def visit(c):
        if c.visit_booked_for:
            return _minute(c.visit_booked_for, "%m-%d %H:%M")
        return wanted if c.visit_wanted else ""

    return rows_html(
        _CALL_ROW,
        (
            (
                _minute(c.called_at),
                caller(c),
                mask_phone(c.phone) if c.phone else "",
                repeat if c.is_repeat else first,
                c.project.name,
                _RED if c.answered_in_time is False else "",
                "—" if c.rings is None else c.rings,
                _RED if c.too_long else "",
                mmss(c.duration_seconds),
                visit(c),
                c.consultant,
                detail(c.pk),
                details,
            )
            for c in calls
        ),
    )


_VISIT_ROW = (
    '<tr><td class="text-nowrap">{}</td><td>{}</td><td>{}</td>'
    '<td class="text-end{}">{}</td>'
    '<td><span class="badge text-bg-{}">{}/{}</span></td>'
    '<td>{}</td><td class="small">{}</td><td>{}{}</td>'
    '<td class="text-end"><a class="btn btn-sm btn-outline-secondary" href="{}">{}</a></td></tr>'
)


def visit_rows(user, visits) -> SafeString:
    customer = _Customer(user)
    detail = url_maker("reception:visit_detail")
    details = _("Details")

    def visitor(v):
        return (
            customer.cell(v.customer) if v.customer_visible else customer.badge("protected-visitor")
        )

    def received_by(v):
        if not v.received_by_id or v.received_by_id == v.consultant_id:
            return ""
        return format_html(
            '<div class="small text-secondary">{}</div>',
            _("received by %(who)s") % {"who": v.received_by},
        )

    return rows_html(
        _VISIT_ROW,
        (
            (
                _minute(v.arrived_at),
                visitor(v),
                v.project.name,
                _RED if v.waited_in_time is False else "",
                mmss(v.waiting_seconds),
                "success" if v.fully_disclosed else "warning",
                v.risk_factors_disclosed_count,
                v.risk_factors_total,
                "✓" if v.club_invited else "",
                Truncator(v.next_step).chars(40),
                v.consultant,
                received_by(v),
                detail(v.pk),
                details,
            )
            for v in visits
        ),
    )


_OPPORTUNITY_ROW = (
    "<tr><td>{}</td><td>{}</td><td>{}</td>"
    '<td><span class="badge {}">{}</span></td>'
    '<td class="text-end">{}</td><td>{}</td><td class="small">{}{}</td>'
    '<td class="text-end"><a class="btn btn-sm btn-outline-secondary" href="{}">{}</a></td></tr>'
)
_STAGE_BADGE = {"won": "text-bg-success", "lost": "text-bg-secondary"}


def opportunity_rows(user, opportunities) -> SafeString:
    customer = _Customer(user)
    detail = url_maker("reception:opportunity_detail")
    stage = choice_labels(Opportunity, "stage")
    details = _("Details")
    return rows_html(
        _OPPORTUNITY_ROW,
        (
            (
                customer.cell(o.customer)
                if o.customer_visible
                else customer.badge("protected-customer"),
                Truncator(o.products_of_interest).chars(40),
                o.project.name,
                _STAGE_BADGE.get(o.stage, "text-bg-light border"),
                stage(o.stage),
                yuan(o.expected_value),
                o.consultant,
                o.win_reason or "",
                o.loss_reason or "",
                detail(o.pk),
                details,
            )
            for o in opportunities
        ),
    )
