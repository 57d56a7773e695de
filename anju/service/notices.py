"""Who is told what (issue 13 item 7).

The customer: received, solution carried out, closed — service SMS through the messaging
outbox (``message_enqueue`` in the caller's transaction, so a rolled-back step sends
nothing; the idempotency key makes each notice once per ticket and loop).
Staff: assignment and escalation — the in-app list (``core.notifications``), one notice
per person and key, so the every-minute sweep tells each person once.
"""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.core.notifications import Notice, notify, notify_many
from anju.core.roles import Role

from .models import EscalationStage, Level

CUSTOMER_TEXTS = {
    "received": "您好，您反映的问题已受理，工单号{编号}，我们会尽快处理并与您联系。【{公司}】",
    "done": "您好，工单{编号}的处理方案已实施，客服将在近日回访，感谢您的耐心。【{公司}】",
    "closed": "您好，工单{编号}已办结：{答复}感谢您对我们工作的支持。【{公司}】",
}


def _customer_phone(ticket) -> str:
    if ticket.customer_id and ticket.customer.phone:
        return ticket.customer.phone
    return ticket.contact_phone


def _tell_customer(ticket, what: str, extra: str = "") -> None:
    from anju.messaging.models import Channel, Kind
    from anju.messaging.services import message_enqueue

    phone = _customer_phone(ticket)
    if not phone:
        return
    reply = (extra or "").strip()
    if reply and not reply.endswith(("。", "！", ".", "!")):
        reply += "。"
    body = (
        CUSTOMER_TEXTS[what]
        .replace("{编号}", str(ticket))
        .replace("{公司}", ticket.company.name)
        .replace("{答复}", reply[:120])
    )
    message_enqueue(
        by=None,
        company=ticket.company,
        channel=Channel.SMS,
        kind=Kind.SERVICE,
        to=phone,
        body=body,
        idempotency_key=f"service:{ticket.pk}:{what}:{ticket.loops}",
        customer=ticket.customer if ticket.customer_id else None,
        source=f"service:{what}",
        project=ticket.project,
    )


def ticket_received(ticket) -> None:
    _tell_customer(ticket, "received")


def solution_done(ticket) -> None:
    _tell_customer(ticket, "done")


def ticket_closed(ticket) -> None:
    _tell_customer(ticket, "closed", ticket.reply or ticket.summary)


def _url(ticket) -> str:
    return reverse("service:ticket_detail", args=[ticket.pk])


def assigned(ticket) -> None:
    notify(
        [ticket.responsible],
        key=f"service:{ticket.pk}:assigned:{ticket.responsible_id}:{ticket.loops}",
        title=_("Ticket %(number)s is yours: %(subject)s")
        % {"number": ticket, "subject": ticket.subject},
        url=_url(ticket),
        body=ticket.project.name,
    )


def solution_decided(ticket, *, approved: bool) -> None:
    title = (
        _("The solution of %(number)s was approved: carry it out")
        if approved
        else _("The solution of %(number)s was rejected: propose another")
    )
    notify(
        [ticket.responsible],
        key=f"service:{ticket.pk}:solution:{ticket.solutions.count()}:{approved}",
        title=title % {"number": ticket},
        url=_url(ticket),
    )


LEVEL_ROLES = {
    Level.AGENT: (),
    Level.SERVICE_MANAGER: (Role.SERVICE_MANAGER,),
    Level.MANAGEMENT: (Role.SERVICE_MANAGER, Role.COMPANY_MANAGEMENT),
}


def people_at_level(ticket, level: int):
    """The company's service managers (level 1), and its management too (level 2)."""
    from anju.org.models import User

    roles = LEVEL_ROLES.get(level, ())
    if not roles:
        return []
    return list(
        User.objects.unscoped("who answers for a ticket at this level")
        .filter(
            is_active=True,
            role_assignments__role__in=roles,
            role_assignments__company_id=ticket.company_id,
        )
        .distinct()
        .order_by("pk")
    )


STAGE_TITLES = {
    EscalationStage.RECEIPT: gettext_lazy("Sensitive ticket %(number)s: %(subject)s"),
    EscalationStage.FIRST_RESPONSE: gettext_lazy(
        "No first response yet on %(number)s: %(subject)s"
    ),
    EscalationStage.SOLUTION: gettext_lazy("Solution late on %(number)s: %(subject)s"),
    EscalationStage.CLOSURE: gettext_lazy("Closure late on %(number)s: %(subject)s"),
    EscalationStage.REVISIT: gettext_lazy("Revisit late on %(number)s: %(subject)s"),
    EscalationStage.UNSATISFIED: gettext_lazy("Customer not satisfied on %(number)s: %(subject)s"),
}


def escalated(ticket, stage: str, *, due_at, step: int = 0) -> None:
    """Tell the responsible and everyone at the ticket's (new) level, once per stage."""
    notify_many([_escalation_notice(ticket, stage, step, people_at_level(ticket, ticket.level))])


def escalated_all(escalations) -> None:
    """``escalated`` for a batch of new ``TicketEscalation`` rows (the sweep): the people of
    each company and level read once, every notice written at once."""
    people = {}
    notices = []
    for escalation in escalations:
        ticket = escalation.ticket
        at = (ticket.company_id, ticket.level)
        if at not in people:
            people[at] = people_at_level(ticket, ticket.level)
        notices.append(_escalation_notice(ticket, escalation.stage, escalation.step, people[at]))
    notify_many(notices)


def _escalation_notice(ticket, stage, step, people) -> Notice:
    return Notice(
        users=(ticket.responsible, *people),
        key=f"service:{ticket.pk}:{stage}:{ticket.loops}:{step}",
        title=str(STAGE_TITLES[stage]) % {"number": ticket, "subject": ticket.subject},
        url=_url(ticket),
        body=f"{ticket.project.name} · {ticket.get_level_display()}",
    )
