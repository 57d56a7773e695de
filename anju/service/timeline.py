"""Tickets and revisits on the customer 360° timeline (CUS-6, issue 13 item 8).

Whoever sees the customer sees his tickets and revisits there (the 360° shows a visible
customer's whole history, whoever logged it); an entry links to the ticket only for who may
open it (``sees_loaded``, no query per entry). **One query** whatever the history: a UNION
ALL of the tickets and the revisits, newest first, at most ``limit`` rows.
"""

from django.db.models import CharField, DateTimeField, F, IntegerField, Value
from django.db.models.functions import Cast, Coalesce, NullIf
from django.urls import reverse
from django.utils.translation import gettext as _

from anju.core.scope import sees_loaded
from anju.customers.timeline import TimelineEntry, merged_ids

from .models import Level, Satisfaction, Status, Ticket, TicketRevisit, TicketType

# The ticket's own steps: the ticket's entry stands for them (its page has each step), so
# the generic event provider does not list them again. Other service events stay.
COVERS = ("service.ticket_", "service.revisit", "service.solution_", "service.cause_found")

COLUMNS = tuple(
    f"t_{name}"
    for name in (
        "kind",
        "id",
        "when",
        "ticket",
        "number",
        "type",
        "state",
        "text",
        "level",
        "company",
        "project",
        "responsible",
        "project_name",
        "responsible_name",
        "actor",
    )
)


def _text(value):
    return Value(value, output_field=CharField())


def _name(path):
    """The staff member's display name, else his login name."""
    return Coalesce(NullIf(F(f"{path}__display_name"), _text("")), F(f"{path}__username"))


def _row(qs, **columns):
    return qs.order_by().annotate(**columns).values(*COLUMNS)


def _streams(ids):
    tickets = _row(
        Ticket.objects.unscoped("timeline_for checked the customer").filter(customer_id__in=ids),
        t_kind=_text("ticket"),
        t_id=F("pk"),
        t_when=Cast(F("received_at"), DateTimeField()),
        t_ticket=F("pk"),
        t_number=F("number"),
        t_type=F("ticket_type"),
        t_state=F("status"),
        t_text=Cast(F("subject"), CharField()),
        t_level=Cast(F("level"), IntegerField()),
        t_company=F("company_id"),
        t_project=F("project_id"),
        t_responsible=F("responsible_id"),
        t_project_name=F("project__name"),
        t_responsible_name=_name("responsible"),
        t_actor=_name("received_by"),
    )
    revisits = _row(
        TicketRevisit.objects.unscoped("timeline_for checked the customer").filter(
            ticket__customer_id__in=ids
        ),
        t_kind=_text("ticket_revisit"),
        t_id=F("pk"),
        t_when=Cast(F("revisited_at"), DateTimeField()),
        t_ticket=F("ticket_id"),
        t_number=F("ticket__number"),
        t_type=F("ticket__ticket_type"),
        t_state=F("satisfaction"),
        t_text=Cast(F("comment"), CharField()),
        t_level=Cast(F("ticket__level"), IntegerField()),
        t_company=F("ticket__company_id"),
        t_project=F("ticket__project_id"),
        t_responsible=F("ticket__responsible_id"),
        t_project_name=F("ticket__project__name"),
        t_responsible_name=_name("ticket__responsible"),
        t_actor=_name("by"),
    )
    return tickets, revisits


def tickets_timeline(user, customer, limit):
    """The customer's tickets and revisits, newest first (``timeline_for`` checked him)."""
    tickets, revisits = _streams(merged_ids(customer))
    rows = tickets.union(revisits, all=True).order_by("-t_when", "-t_id")
    for row in rows[:limit]:
        yield _entry(user, row)


def _entry(user, row) -> TimelineEntry:
    # The ticket as far as its scope goes: enough for sees_loaded, no query.
    ticket = Ticket(
        pk=row["t_ticket"],
        number=row["t_number"],
        company_id=row["t_company"],
        project_id=row["t_project"],
        responsible_id=row["t_responsible"],
    )
    url = reverse("service:ticket_detail", args=[ticket.pk]) if sees_loaded(user, ticket) else ""
    if row["t_kind"] == "ticket":
        title = _("%(type)s %(number)s · %(subject)s (%(status)s)") % {
            "type": TicketType(row["t_type"]).label,
            "number": ticket,
            "subject": row["t_text"],
            "status": Status(row["t_state"]).label,
        }
        body = _("%(project)s · responsible: %(name)s · %(level)s") % {
            "project": row["t_project_name"],
            "name": row["t_responsible_name"],
            "level": Level(row["t_level"]).label,
        }
        extra = {"type": row["t_type"], "status": row["t_state"], "level": row["t_level"]}
    else:
        title = _("Revisit of %(number)s: %(satisfaction)s") % {
            "number": ticket,
            "satisfaction": Satisfaction(row["t_state"]).label,
        }
        body = row["t_text"]
        extra = {"satisfaction": row["t_state"], "ticket": ticket.pk}
    return TimelineEntry(
        when=row["t_when"],
        kind=row["t_kind"],
        title=title,
        body=body,
        url=url,
        actor=row["t_actor"] or "",
        extra=extra,
        record_id=row["t_id"],
    )
