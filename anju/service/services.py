"""Every write of the service desk (SVC-1 … SVC-5), one service per business action.

The complaint loop (SVC-4): ``ticket_receive`` → ``ticket_judge`` (not valid: reply and
close) → ``ticket_assign`` → ``ticket_analyse`` → ``solution_propose`` (an approval of kind
``service.solution``; the handlers below apply the decision) → ``ticket_implement`` (the
customer is told) → ``revisit_record`` (不满意: back to cause analysis, one level up) →
``ticket_close``. Requests, repairs and praise take their shorter flows in the same engine
(``models.FLOWS``). Each step checks the move against the ticket's flow, runs in one
transaction with the ticket's row locked, records an event and keeps the clocks right: an
open ticket always has a responsible person and a next due time.
"""

from copy import copy
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, Conflict, NotFound, NotPermitted
from anju.core.events import record_event
from anju.core.numbering import allocate_number
from anju.core.permissions import has_perm, require_perm
from anju.core.roles import Perm
from anju.core.scope import can_see, sees_loaded
from anju.core.transitions import check_transition
from anju.core.validation import money_amount, validate_fields, validate_text

from . import notices, sla
from .models import (
    Category,
    Channel,
    EscalationStage,
    Handling,
    Level,
    Outcome,
    Satisfaction,
    ServiceCase,
    ServiceSettings,
    Severity,
    SolutionKind,
    Status,
    Ticket,
    TicketRevisit,
    TicketSolution,
    TicketType,
)

TICKET_NUMBER_KIND = "service_ticket"
SOLUTION_APPROVAL_KIND = "service.solution"

TICKET_FIELDS = [
    "ticket_type",
    "channel",
    "category",
    "severity",
    "sensitive_reason",
    "complainant_type",
    "contact_name",
    "contact_phone",
    "subject",
    "description",
    "demand",
]


# --- who may act -------------------------------------------------------------------------------


def require_desk(by, ticket_or_project) -> None:
    """The service desk of the ticket's project (HANDLE_TICKETS): receive, judge, assign,
    revisit, close."""
    project = getattr(ticket_or_project, "project", ticket_or_project)
    require_perm(by, Perm.HANDLE_TICKETS, company=project.company_id, project=project.pk)


def may_work(by, ticket) -> bool:
    """The responsible person works his own ticket (an engineer, a sales consultant given a
    sales-promise complaint); the desk may act on any ticket it sees."""
    if by is None:
        return True
    if ticket.responsible_id == by.pk:
        return True
    return has_perm(by, Perm.HANDLE_TICKETS, company=ticket.company_id, project=ticket.project_id)


def require_worker(by, ticket) -> None:
    if not may_work(by, ticket):
        raise NotPermitted()


def ticket_for_update(by, ticket_id) -> Ticket:
    """The ticket's row, locked, if ``by`` sees it (404 otherwise: never a hint it exists)."""
    rows = Ticket.objects.unscoped("locked for a write; scope checked next").select_for_update()
    ticket = rows.filter(pk=getattr(ticket_id, "pk", ticket_id)).first()
    if ticket is None or (by is not None and not can_see(by, ticket)):
        raise NotFound(_("No such ticket."))
    return ticket


def _move(ticket, to, *, label=None) -> str:
    check_transition(allowed=ticket.flow, current=ticket.status, to=to, label=label)
    before, ticket.status = ticket.status, to
    return before


def _save(ticket, by, verb, details=None, **extra) -> Ticket:
    """Keep the clocks right, save, record the event — the end of every step."""
    ticket.next_due_at = sla.next_due(ticket)
    if ticket.next_due_at is not None and ticket.next_due_at > timezone.now():
        ticket.overdue = False
    ticket.save()
    record_event(
        by=by,
        verb=verb,
        target=ticket,
        subject=ticket.customer,
        details={"status": ticket.status, **(details or {})},
    )
    return ticket


def _text(value, field, *, required=False, max_length=2000) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ApplicationError(_("This field is required."), field=field, code="required")
    validate_text(value, field=field, max_length=max_length)
    return value


def _responded(ticket, now) -> None:
    if ticket.responded_at is None:
        ticket.responded_at = now


# --- receipt -----------------------------------------------------------------------------------


@transaction.atomic
def ticket_receive(
    *,
    by,
    project,
    ticket_type: str,
    channel: str,
    subject: str,
    description: str,
    customer=None,
    unit=None,
    category: str = Category.OTHER,
    severity: str = Severity.NORMAL,
    sensitive_reason: str = "",
    complainant_type: str = "",
    demand: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    case=None,
    responsible=None,
    received_at=None,
) -> Ticket:
    """受理 Record a customer's matter (SVC-1/2/3): numbered per company, clocks started.

    ``by=None`` is the public form (``public.py`` has checked the phone); the ticket then goes
    to the company's intake person. A sensitive ticket (媒体/群诉) goes to management at once.
    """
    if by is not None:
        require_desk(by, project)
    if customer is not None:
        if by is not None and not can_see(by, customer):
            raise NotFound(_("No such customer."), field="customer_id")
        if customer.company_id != project.company_id or customer.merged_into_id:
            raise Conflict(  # rows named together that do not belong together
                _("The customer belongs to another company."),
                field="customer_id",
                code="other_company",
            )
    if unit is not None and unit.project_id != project.pk:
        raise NotFound(_("No such unit in this project."), field="unit_id")
    if case is not None and case.project_id != project.pk:
        raise NotFound(_("No such group case in this project."), field="case_id")
    if case is not None:
        severity, sensitive_reason = Severity.SENSITIVE, "group"
    if severity == Severity.SENSITIVE and not sensitive_reason:
        raise ApplicationError(
            _("Say why the ticket is sensitive (media or a group complaint)."),
            field="sensitive_reason",
            code="required",
        )
    if severity == Severity.NORMAL:
        sensitive_reason = ""
    now = received_at or timezone.now()
    ticket = Ticket(
        company_id=project.company_id,
        project=project,
        customer=customer,
        unit=unit,
        case=case,
        ticket_type=ticket_type,
        channel=channel,
        category=category or Category.OTHER,
        severity=severity,
        sensitive_reason=sensitive_reason,
        complainant_type=complainant_type or "",
        subject=(subject or "").strip(),
        description=(description or "").strip(),
        demand=(demand or "").strip(),
        contact_name=(contact_name or "").strip(),
        contact_phone=(contact_phone or "").strip(),
        customer_class=(customer.grade or "") if customer is not None else "",
        received_by=by,
        received_at=now,
        responsible=responsible or by or intake_user(project),
    )
    if not ticket.subject:
        raise ApplicationError(_("Give the ticket a subject."), field="subject", code="required")
    if not ticket.description:
        raise ApplicationError(_("Say what happened."), field="description", code="required")
    validate_fields(ticket, TICKET_FIELDS)
    if responsible is not None:
        _require_may_be_responsible(responsible, ticket)
    if severity == Severity.SENSITIVE:
        ticket.level = Level.MANAGEMENT
    sla.set_deadlines(ticket, sla.limits_for(ticket.company_id, ticket_type, severity))
    ticket.number = allocate_number(kind=TICKET_NUMBER_KIND, scope=f"company:{ticket.company_id}")
    _save(ticket, by, "service.ticket_received", {"channel": channel, "type": ticket_type})
    notices.ticket_received(ticket)
    if severity == Severity.SENSITIVE:
        notices.escalated(ticket, EscalationStage.RECEIPT, due_at=None)
    return ticket


def intake_user(project):
    """Who takes a ticket nobody is named for: the company's intake person, else a service
    manager, else a service agent, else management of the company (never nobody)."""
    from anju.core.roles import Role
    from anju.org.models import User

    settings_row = (
        ServiceSettings.objects.unscoped("the company's own desk settings")
        .filter(company_id=project.company_id)
        .select_related("intake_user")
        .first()
    )
    if settings_row and settings_row.intake_user and settings_row.intake_user.is_active:
        return settings_row.intake_user
    for role in (Role.SERVICE_MANAGER, Role.SERVICE_AGENT, Role.COMPANY_MANAGEMENT):
        user = (
            User.objects.unscoped("who takes the company's unassigned tickets")
            .filter(
                is_active=True,
                role_assignments__role=role,
                role_assignments__company_id=project.company_id,
            )
            .order_by("pk")
            .first()
        )
        if user:
            return user
    raise Conflict(
        _("Nobody in this company can take service tickets: name an intake person first."),
        code="no_intake_person",
    )


def _require_may_be_responsible(user, ticket) -> None:
    """He must see the ticket once it is his — a desk role covering the project, the
    project's engineer, or its consultant (a sales-promise complaint): decided on the row as
    it will be, not as it is (still someone else's, or not saved yet)."""
    will_be = copy(ticket)
    will_be.responsible_id = user.pk
    if not user.is_active or not sees_loaded(user, will_be):
        raise ApplicationError(
            _("This person cannot see tickets of this project."), field="responsible_id"
        )


def _responsible_department(person, chosen, ticket):
    """The department answering for the ticket: the person's own, which a choice may not
    contradict (seen: "客服专员·刘洋" assigned as 工程部, a department he is not in)."""
    own = person.department if person.department_id else None
    if own is None or own.company_id != ticket.company_id:
        return chosen
    if chosen is not None and chosen.pk != own.pk:
        raise ApplicationError(
            _("%(person)s is in %(own)s, not in %(chosen)s.")
            % {"person": person, "own": own.name, "chosen": chosen.name},
            field="department_id",
        )
    return own


# --- the complaint loop (SVC-4) -----------------------------------------------------------------


@transaction.atomic
def ticket_judge(*, by, ticket, valid: bool, explanation: str = "") -> Ticket:
    """Step 2: a valid complaint goes on to assignment; an invalid one is answered with the
    explanation and closed (the customer is told)."""
    ticket = ticket_for_update(by, ticket)
    require_desk(by, ticket)
    if ticket.ticket_type != TicketType.COMPLAINT:
        raise Conflict(_("Only complaints are judged valid or not."), code="not_a_complaint")
    now = timezone.now()
    if valid:
        _move(ticket, Status.ACCEPTED)
        _responded(ticket, now)
        return _save(ticket, by, "service.ticket_judged", {"valid": True})
    explanation = _text(explanation, "explanation", required=True)
    _move(ticket, Status.CLOSED)
    _responded(ticket, now)
    ticket.reply, ticket.outcome = explanation, Outcome.INVALID
    _close(ticket, now)
    _save(ticket, by, "service.ticket_judged", {"valid": False})
    notices.ticket_closed(ticket)
    return ticket


@transaction.atomic
def ticket_assign(*, by, ticket, responsible, department=None) -> Ticket:
    """Step 3: the responsible department and person (reassigning keeps the status). The
    department is the person's own; one is chosen only for a person the staff list puts in
    none (and without either, the ticket keeps the one it has)."""
    ticket = ticket_for_update(by, ticket)
    require_desk(by, ticket)
    if department is not None and department.company_id != ticket.company_id:
        raise NotFound(_("No such department."), field="department_id")
    _require_may_be_responsible(responsible, ticket)
    department = _responsible_department(responsible, department, ticket)
    before = ticket.responsible_id
    if ticket.status in (Status.RECEIVED, Status.ACCEPTED):
        _move(ticket, Status.ASSIGNED)
    elif not ticket.is_open:
        raise Conflict(_("The ticket is closed."), code="invalid_transition")
    _responded(ticket, timezone.now())
    ticket.responsible, ticket.department = responsible, department or ticket.department
    _save(
        ticket,
        by,
        "service.ticket_assigned",
        {"from": before, "to": responsible.pk, "department": getattr(department, "pk", None)},
    )
    if responsible.pk != getattr(by, "pk", None):
        notices.assigned(ticket)
    return ticket


@transaction.atomic
def ticket_analyse(*, by, ticket, cause: str) -> Ticket:
    """Step 4: the cause and who caused it, found by the responsible department."""
    ticket = ticket_for_update(by, ticket)
    require_worker(by, ticket)
    ticket.cause = _text(cause, "cause", required=True)
    _move(ticket, Status.ANALYSED)
    return _save(ticket, by, "service.cause_found")


@transaction.atomic
def solution_propose(
    *, by, ticket, kind: str, description: str, compensation=Decimal("0")
) -> TicketSolution:
    """Step 5 → 6: a solution (repair, replace, compensate, explain) for a manager to
    approve; the proposer may not approve it himself (the approvals kernel refuses)."""
    from anju.approvals.services import approval_request

    ticket = ticket_for_update(by, ticket)
    require_worker(by, ticket)
    amount = money_amount(compensation or 0, field="compensation")
    if kind not in SolutionKind.values:
        raise ApplicationError(_("Choose a kind of solution."), field="kind", code="invalid")
    if kind == SolutionKind.COMPENSATE and amount <= 0:
        raise ApplicationError(
            _("Say how much compensation is offered."), field="compensation", code="required"
        )
    _move(ticket, Status.SOLUTION_PENDING)
    solution = TicketSolution(
        ticket=ticket,
        kind=kind,
        description=_text(description, "description", required=True),
        compensation=amount,
        proposed_by=by,
    )
    validate_fields(solution, ["kind", "description", "compensation"])
    solution.save()
    solution.approval = approval_request(
        by=by,
        kind=SOLUTION_APPROVAL_KIND,
        company=ticket.company_id,
        project=ticket.project_id,
        target_id=solution.pk,
        payload={"ticket": ticket.pk, "compensation": str(amount)},
        summary=f"{ticket} {solution.get_kind_display()}: {solution.description[:80]}",
    )
    solution.save(update_fields=["approval"])
    _save(ticket, by, "service.solution_proposed", {"solution": solution.pk, "kind": kind})
    return solution


def _solution_and_ticket(request):
    solution = (
        TicketSolution.objects.unscoped("the approval kernel checked the approver's scope")
        .select_for_update()
        .get(pk=request.target_id)
    )
    ticket = (
        Ticket.objects.unscoped("the solution's own ticket")
        .select_for_update()
        .get(pk=solution.ticket_id)
    )
    return solution, ticket


def apply_approved_solution(*, by, request) -> None:
    """Step 6 (the approval's handler, in the deciding transaction): the responsible may
    now implement it."""
    solution, ticket = _solution_and_ticket(request)
    solution.decision = TicketSolution.Decision.APPROVED
    solution.save(update_fields=["decision", "updated_at"])
    _move(ticket, Status.SOLUTION_APPROVED)
    _save(ticket, by, "service.solution_approved", {"solution": solution.pk})
    notices.solution_decided(ticket, approved=True)


def back_to_analysis(*, by, request, decision=TicketSolution.Decision.REJECTED) -> None:
    """A rejected (or withdrawn) solution: the responsible proposes another."""
    solution, ticket = _solution_and_ticket(request)
    solution.decision = decision
    solution.save(update_fields=["decision", "updated_at"])
    if ticket.status == Status.SOLUTION_PENDING:
        _move(ticket, Status.ANALYSED)
        _save(ticket, by, "service.solution_rejected", {"solution": solution.pk})
        notices.solution_decided(ticket, approved=False)


def solution_withdrawn(*, by, request) -> None:
    back_to_analysis(by=by, request=request, decision=TicketSolution.Decision.WITHDRAWN)


@transaction.atomic
def ticket_implement(*, by, ticket, note: str = "") -> Ticket:
    """Step 7 (requests: answered / done): the customer is told; revisits fall due within
    the company's working days (5 by default) — a ticket needing none may close now."""
    ticket = ticket_for_update(by, ticket)
    require_worker(by, ticket)
    _move(ticket, Status.IMPLEMENTED)
    now = timezone.now()
    note = _text(note, "note", required=ticket.ticket_type != TicketType.COMPLAINT)
    if note:
        ticket.reply = note
    _responded(ticket, now)
    ticket.implemented_at = now
    ticket.revisit_due_on = _revisit_due(ticket, now)
    _save(ticket, by, "service.ticket_implemented")
    notices.solution_done(ticket)
    return ticket


def _revisit_due(ticket, after):
    done = _revisits_this_loop(ticket)
    if ticket.revisits_required <= done:
        return None
    days = revisit_working_days(ticket.company_id)
    return sla.revisit_due(after, days)


def revisit_working_days(company_id) -> int:
    row = (
        ServiceSettings.objects.unscoped("the company's own desk settings")
        .filter(company_id=company_id)
        .only("revisit_working_days")
        .first()
    )
    return row.revisit_working_days if row else 5


def _revisits_this_loop(ticket) -> int:
    return (
        TicketRevisit.objects.unscoped("the locked ticket's own revisits")
        .filter(ticket=ticket, loop=ticket.loops)
        .count()
    )


@transaction.atomic
def revisit_record(*, by, ticket, satisfaction: str, comment: str = "") -> TicketRevisit:
    """Step 8: 回访. 不满意 sends the ticket back to cause analysis and one level up
    (agent → service manager → company management); otherwise the next revisit is due, or
    the ticket may close."""
    ticket = ticket_for_update(by, ticket)
    require_desk(by, ticket)
    if ticket.status != Status.IMPLEMENTED:
        raise Conflict(
            _("A revisit comes after the solution was carried out."), code="not_implemented"
        )
    if satisfaction not in Satisfaction.values:
        raise ApplicationError(
            _("Choose how satisfied the customer is."), field="satisfaction", code="invalid"
        )
    now = timezone.now()
    revisit = TicketRevisit(
        ticket=ticket,
        loop=ticket.loops,
        satisfaction=satisfaction,
        comment=_text(comment, "comment"),
        revisited_at=now,
        due_on=ticket.revisit_due_on,
        by=by,
    )
    revisit.save()
    ticket.satisfaction = satisfaction
    if satisfaction == Satisfaction.UNSATISFIED:
        _move(ticket, Status.ASSIGNED)
        ticket.loops += 1
        ticket.level = min(ticket.level + 1, Level.MANAGEMENT)
        ticket.implemented_at, ticket.revisit_due_on = None, None
        limits = sla.limits_for(ticket.company_id, ticket.ticket_type, ticket.severity)
        ticket.solution_due = now + timedelta(minutes=limits.solution)
        _save(
            ticket, by, "service.revisit_unsatisfied", {"loop": ticket.loops, "level": ticket.level}
        )
        notices.escalated(ticket, EscalationStage.UNSATISFIED, due_at=None)
    else:
        ticket.revisit_due_on = _revisit_due(ticket, now)
        _save(ticket, by, "service.revisited", {"satisfaction": satisfaction})
    return revisit


@transaction.atomic
def ticket_close(*, by, ticket, summary: str = "") -> Ticket:
    """Step 9: closed with a summary — never before the revisits the ticket needs (2 for an
    engineering-quality complaint, 1 for any other complaint or a repair), nor while the
    customer's last word is 不满意."""
    ticket = ticket_for_update(by, ticket)
    require_desk(by, ticket)
    now = timezone.now()
    if ticket.status == Status.RECEIVED and ticket.ticket_type != TicketType.COMPLAINT:
        # answered at once (a consultation on the phone, a praise passed on)
        ticket.reply = _text(summary, "summary", required=True)
        ticket.outcome = Outcome.ANSWERED
        _move(ticket, Status.CLOSED)
        _responded(ticket, now)
        ticket.implemented_at = now
    else:
        if ticket.status == Status.RECEIVED:  # a complaint closes at receipt only as not valid
            raise Conflict(
                _("Judge the complaint first: a complaint that is not valid is closed there."),
                code="invalid_transition",
            )
        _move(ticket, Status.CLOSED)
        done = _revisits_this_loop(ticket)
        if done < ticket.revisits_required:
            raise Conflict(
                _("This ticket needs %(n)s revisit(s) before it closes; %(done)s made.")
                % {"n": ticket.revisits_required, "done": done},
                code="revisits_required",
            )
        ticket.outcome = Outcome.RESOLVED
    ticket.summary = _text(summary, "summary", required=True)
    _close(ticket, now)
    _save(ticket, by, "service.ticket_closed", {"handling": ticket.handling})
    notices.ticket_closed(ticket)
    return ticket


def _close(ticket, now) -> None:
    ticket.closed_at, ticket.revisit_due_on, ticket.overdue = now, None, False
    ticket.handling = handling_of(ticket)


def handling_of(ticket) -> str:
    """SVC-6 当即处理 / 期限内处理 / 超期 / 循环往复处理, decided at closure."""
    if ticket.loops:
        return Handling.REPEATED
    done = ticket.implemented_at or ticket.closed_at
    if done <= ticket.first_response_due:
        return Handling.AT_ONCE
    if done <= ticket.solution_due:
        return Handling.WITHIN_LIMIT
    return Handling.LATE


# --- ticket details, group cases ----------------------------------------------------------------


@transaction.atomic
def ticket_reclassify(
    *, by, ticket, category=None, severity=None, sensitive_reason="", complainant_type=None
) -> Ticket:
    """The desk corrects the category or rates the ticket sensitive (management is told at
    once); the clocks of a ticket rated sensitive are not restarted."""
    ticket = ticket_for_update(by, ticket)
    require_desk(by, ticket)
    if not ticket.is_open:
        raise Conflict(_("The ticket is closed."), code="invalid_transition")
    was_sensitive = ticket.severity == Severity.SENSITIVE
    if category is not None:
        ticket.category = category
    if complainant_type is not None:
        ticket.complainant_type = complainant_type
    if severity is not None:
        ticket.severity = severity
        ticket.sensitive_reason = sensitive_reason if severity == Severity.SENSITIVE else ""
        if severity == Severity.SENSITIVE and not ticket.sensitive_reason:
            raise ApplicationError(
                _("Say why the ticket is sensitive (media or a group complaint)."),
                field="sensitive_reason",
                code="required",
            )
    validate_fields(ticket, ["category", "severity", "sensitive_reason", "complainant_type"])
    becomes_sensitive = ticket.severity == Severity.SENSITIVE and not was_sensitive
    if becomes_sensitive:
        ticket.level = Level.MANAGEMENT
    _save(
        ticket,
        by,
        "service.ticket_reclassified",
        {"category": ticket.category, "severity": ticket.severity},
    )
    if becomes_sensitive:
        notices.escalated(ticket, EscalationStage.RECEIPT, due_at=None)
    return ticket


@transaction.atomic
def case_open(*, by, project, title: str, tickets=()) -> ServiceCase:
    """群诉: one case for several owners' tickets about one issue (each becomes sensitive)."""
    require_desk(by, project)
    case = ServiceCase(company_id=project.company_id, project=project, created_by=by)
    case.title = (title or "").strip()
    if not case.title:
        raise ApplicationError(_("Name the issue."), field="title", code="required")
    validate_fields(case, ["title"])
    case.save()
    record_event(by=by, verb="service.case_opened", target=case, details={"title": case.title})
    for ticket in tickets:
        case_link(by=by, case=case, ticket=ticket)
    return case


@transaction.atomic
def case_link(*, by, case, ticket) -> Ticket:
    ticket = ticket_for_update(by, ticket)
    require_desk(by, ticket)
    if ticket.project_id != case.project_id:
        raise ApplicationError(
            _("Only tickets of the case's project can join it."), field="ticket_ids"
        )
    ticket.case = case
    was_sensitive = ticket.severity == Severity.SENSITIVE
    ticket.severity, ticket.sensitive_reason = Severity.SENSITIVE, "group"
    ticket.level = Level.MANAGEMENT
    _save(ticket, by, "service.ticket_linked", {"case": case.pk})
    if not was_sensitive:
        notices.escalated(ticket, EscalationStage.RECEIPT, due_at=None)
    return ticket


__all__ = [
    "Channel",
    "ticket_receive",
    "ticket_judge",
    "ticket_assign",
    "ticket_analyse",
    "solution_propose",
    "ticket_implement",
    "revisit_record",
    "ticket_close",
    "ticket_reclassify",
    "case_open",
    "case_link",
]
