"""The service desk's links to the customer (issue 13 item 8, CUS-3/4/6, SEC-2), registered
from ``wiring.wire()``:

- CUS-6: the 360° timeline shows the customer's tickets and revisits (``timeline.py``);
- CUS-3: a merge moves the duplicate's tickets to the survivor;
- CUS-4/5: a hand-over moves **nothing**. A ticket belongs to the service desk, not to the
  customer's consultant: its responsible person was named by the desk for the matter
  (an engineer, a steward, a consultant for a sales promise) and stays until the desk
  assigns another (``ticket_assign``). So no hand-over handler is registered;
- SEC-2 (PIPL): the data package gains the person's tickets, solutions and revisits;
  erasure blanks the contact's name and phone and scrubs the free text of the tickets,
  their solutions (and the approval requests quoting them), revisits, photos' names, the
  staff notices about them and the service SMS sent to the contact. The rows stay as anonymous facts (the monthly report counts
  them).
"""

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy

from anju.customers.privacy import Erasure, model_rows

from .models import Ticket, TicketAttachment, TicketRevisit, TicketSolution

# --- CUS-3: merge ----------------------------------------------------------------------------------


def move_tickets(*, duplicate, survivor) -> dict:
    """The duplicate's tickets now concern the survivor (inside the merge's transaction)."""
    moved = (
        Ticket.objects.unscoped("merge: the merge service checked both customers")
        .filter(customer=duplicate)
        .update(customer=survivor)
    )
    return {"service_tickets": moved} if moved else {}


# --- SEC-2: PIPL -----------------------------------------------------------------------------------


def _tickets_of_person(customer_ids, phones, company_id):
    """The person's tickets: linked to him (or a merged duplicate), or made without a
    customer record by a contact with one of his numbers (the public form) in his company."""
    match = Q(customer_id__in=customer_ids)
    if phones:
        match |= Q(customer__isnull=True, company_id=company_id, contact_phone__in=phones)
    return Ticket.objects.unscoped("PIPL: one person's tickets").filter(match)


def _person(customer):
    from anju.customers.privacy_customers import person_ids, person_phones

    return _tickets_of_person(person_ids(customer), person_phones(customer), customer.company_id)


def ticket_rows(customer):
    tickets = (
        _person(customer)
        .select_related("project", "unit", "customer", "case", "department")
        .select_related("responsible", "received_by")
        .order_by("received_at", "pk")
    )
    return model_rows(tickets, exclude={"company"})


def solution_rows(customer):
    solutions = (
        TicketSolution.objects.unscoped("PIPL: one person's tickets' solutions")
        .filter(ticket__in=_person(customer))
        .select_related("ticket", "proposed_by")
        .order_by("created_at", "pk")
    )
    return model_rows(solutions, exclude={"approval"})


def revisit_rows(customer):
    revisits = (
        TicketRevisit.objects.unscoped("PIPL: one person's revisits")
        .filter(ticket__in=_person(customer))
        .select_related("ticket", "by")
        .order_by("revisited_at", "pk")
    )
    return model_rows(revisits)


TICKET_TEXT = ("subject", "description", "demand", "cause", "reply", "summary")


def erase_tickets(erasure: Erasure) -> None:
    tickets = list(
        _tickets_of_person(erasure.customer_ids, erasure.phones, erasure.company_id).only(
            "pk", "contact_name", "contact_phone", *TICKET_TEXT
        )
    )
    if not tickets:
        return
    ids = [t.pk for t in tickets]
    for t in tickets:
        t.contact_name, t.contact_phone = "", ""
        for name in TICKET_TEXT:
            setattr(t, name, erasure.scrub(getattr(t, name)))
    manager = Ticket.objects.unscoped("PIPL erasure")
    manager.bulk_update(tickets, ["contact_name", "contact_phone", *TICKET_TEXT], batch_size=500)
    erasure.touch(Ticket, ids, {"contact_name", "contact_phone", *TICKET_TEXT})
    erasure.count("service_tickets", len(tickets))
    solutions = _scrub(erasure, TicketSolution, ids, ("description",))
    _scrub_approvals(erasure, solutions)
    _scrub(erasure, TicketRevisit, ids, ("comment",))
    _scrub(erasure, TicketAttachment, ids, ("name",))
    _scrub_notices(erasure, ids)
    _scrub_messages(erasure, ids)


def _scrub(erasure, model, ticket_ids, fields) -> list[int]:
    rows = list(
        model.objects.unscoped("PIPL erasure").filter(ticket_id__in=ticket_ids).only("pk", *fields)
    )
    for row in rows:
        for name in fields:
            setattr(row, name, erasure.scrub(getattr(row, name)))
    model.objects.unscoped("PIPL erasure").bulk_update(rows, list(fields), batch_size=500)
    erasure.touch(model, [r.pk for r in rows], set(fields))
    return [r.pk for r in rows]


def _scrub_approvals(erasure, solution_ids) -> None:
    """A solution's approval request quotes it (summary) and may answer it (comment)."""
    from anju.approvals.models import ApprovalRequest

    from .services import SOLUTION_APPROVAL_KIND

    rows = list(
        ApprovalRequest.objects.unscoped("PIPL erasure: the solutions' approvals")
        .filter(kind=SOLUTION_APPROVAL_KIND, target_id__in=solution_ids)
        .only("pk", "summary", "comment")
    )
    for row in rows:
        row.summary, row.comment = erasure.scrub(row.summary), erasure.scrub(row.comment)
    ApprovalRequest.objects.unscoped("PIPL erasure").bulk_update(
        rows, ["summary", "comment"], batch_size=500
    )
    erasure.touch(ApprovalRequest, [r.pk for r in rows], {"summary", "comment"})


def _scrub_notices(erasure, ticket_ids) -> None:
    """Staff notices name the ticket's subject (which may name the person)."""
    from anju.core.models import Notification

    urls = [reverse("service:ticket_detail", args=[pk]) for pk in ticket_ids]
    rows = list(Notification.objects.filter(url__in=urls).only("pk", "title", "body"))
    for row in rows:
        row.title, row.body = erasure.scrub(row.title), erasure.scrub(row.body)
    Notification.objects.bulk_update(rows, ["title", "body"], batch_size=500)


def _scrub_messages(erasure, ticket_ids) -> None:
    """The service SMS to a contact without a customer record (messaging erases those
    linked to the customer): the address emptied, the text without the person."""
    from anju.messaging.models import Message, Status

    keys = Q()
    for pk in ticket_ids:
        keys |= Q(idempotency_key__startswith=f"service:{pk}:")
    rows = list(
        Message.objects.unscoped("PIPL erasure: the tickets' own SMS")
        .filter(keys, customer__isnull=True)
        .only("pk", "to", "body", "status", "error_code", "not_before")
    )
    for m in rows:
        m.to, m.body = "", erasure.scrub(m.body)
        if m.status in (Status.QUEUED, Status.HELD):
            m.status, m.error_code, m.not_before = Status.CANCELLED, "erased", None
    Message.objects.unscoped("PIPL erasure").bulk_update(
        rows, ["to", "body", "status", "error_code", "not_before"], batch_size=500
    )
    erasure.touch(Message, [m.pk for m in rows], {"to", "body"})


def register() -> None:
    from anju.customers.merging import register_merge_handler
    from anju.customers.privacy import register_erasure_handler, register_personal_data_provider
    from anju.customers.timeline import register_timeline_kind, register_timeline_provider

    from . import timeline

    register_timeline_kind("ticket", gettext_lazy("Service ticket"))
    register_timeline_kind("ticket_revisit", gettext_lazy("Revisit"))
    # a revisit is of a ticket of the customer
    register_timeline_provider(timeline.tickets_timeline, covers=timeline.COVERS, sources=(Ticket,))
    register_merge_handler(move_tickets)
    register_personal_data_provider(
        "service_tickets", ticket_rows, label=gettext_lazy("Service tickets"), model=Ticket
    )
    register_personal_data_provider(
        "service_solutions",
        solution_rows,
        label=gettext_lazy("Ticket solutions"),
        model=TicketSolution,
    )
    register_personal_data_provider(
        "service_revisits", revisit_rows, label=gettext_lazy("Revisits"), model=TicketRevisit
    )
    register_erasure_handler(erase_tickets)
