"""The ticket's steps (SVC-4), each posted to its own URL and done by its one service.

Who may: the desk (HANDLE_TICKETS where the ticket is) judges, assigns, revisits, closes,
reclassifies; the responsible person — or the desk — finds the cause, proposes a solution,
carries it out and adds photos. Anyone else: 403 before the form is read; a ticket out of
sight: 404. A refused step (ApplicationError, Conflict) is shown on the ticket's page as
the form's error — nothing is written — and a done step goes back to the ticket.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.core.errors import NotPermitted
from anju.core.forms import submit_step

from . import attachments, selectors, services
from .forms import (
    CauseForm,
    CloseForm,
    ImplementForm,
    JudgeForm,
    PhotoForm,
    ReclassifyForm,
    RevisitForm,
    SolutionForm,
)
from .views import assign_form, detail_context, may_desk


def _require_desk(user, ticket):
    if not may_desk(user, ticket):
        raise NotPermitted()


def _require_worker(user, ticket):
    if not services.may_work(user, ticket):
        raise NotPermitted()


def _step(request, service_ticket_id, *, name, check, make_form, run, done):
    """Read the visible ticket, check who acts, validate the form, run the service."""
    ticket = selectors.ticket_detail(request.user, service_ticket_id)
    check(request.user, ticket)

    def failed_page(form, status):
        context = detail_context(request, ticket, bound=(name, form))
        context["failed"] = name
        return render(request, "service/ticket_detail.html", context, status=status)

    return submit_step(
        request,
        make_form(request, ticket),
        lambda data: run(request.user, ticket, data),
        done=done,
        success_url=reverse("service:ticket_detail", kwargs={"service_ticket_id": ticket.pk}),
        failed_page=failed_page,
    )


def _plain(form_class):
    def make(request, ticket):
        return form_class(request.POST, request.FILES or None, prefix=_prefix(form_class))

    return make


def _prefix(form_class) -> str:
    return {
        JudgeForm: "judge",
        CauseForm: "cause",
        SolutionForm: "solution",
        ImplementForm: "implement",
        RevisitForm: "revisit",
        CloseForm: "close",
        ReclassifyForm: "reclassify",
        PhotoForm: "photos",
    }[form_class]


@login_required
@require_POST
def ticket_judge(request, service_ticket_id):
    def run(user, ticket, data):
        return services.ticket_judge(
            by=user, ticket=ticket, valid=data["valid"], explanation=data["explanation"]
        )

    return _step(
        request,
        service_ticket_id,
        name="judge",
        check=_require_desk,
        make_form=_plain(JudgeForm),
        run=run,
        done=lambda t: (
            _("Judged valid: assign it next.")
            if t.is_open
            else _("Not valid: the customer is told and the ticket closed.")
        ),
    )


@login_required
@require_POST
def ticket_assign(request, service_ticket_id):
    def run(user, ticket, data):
        return services.ticket_assign(
            by=user, ticket=ticket, responsible=data["responsible"], department=data["department"]
        )

    return _step(
        request,
        service_ticket_id,
        name="assign",
        check=_require_desk,
        make_form=lambda request, ticket: assign_form(request.user, ticket, request.POST),
        run=run,
        done=lambda t: _("Assigned to %(name)s.") % {"name": t.responsible},
    )


@login_required
@require_POST
def ticket_cause(request, service_ticket_id):
    return _step(
        request,
        service_ticket_id,
        name="cause",
        check=_require_worker,
        make_form=_plain(CauseForm),
        run=lambda user, ticket, d: services.ticket_analyse(
            by=user, ticket=ticket, cause=d["cause"]
        ),
        done=_("Cause recorded: propose a solution next."),
    )


@login_required
@require_POST
def ticket_solution(request, service_ticket_id):
    def run(user, ticket, data):
        return services.solution_propose(
            by=user,
            ticket=ticket,
            kind=data["kind"],
            description=data["description"],
            compensation=data["compensation"] or 0,
        )

    return _step(
        request,
        service_ticket_id,
        name="solution",
        check=_require_worker,
        make_form=_plain(SolutionForm),
        run=run,
        done=_("Solution proposed: a manager approves it."),
    )


@login_required
@require_POST
def ticket_implement(request, service_ticket_id):
    return _step(
        request,
        service_ticket_id,
        name="implement",
        check=_require_worker,
        make_form=_plain(ImplementForm),
        run=lambda user, ticket, d: services.ticket_implement(
            by=user, ticket=ticket, note=d["note"]
        ),
        done=_("Carried out: the customer is told; revisits are due."),
    )


@login_required
@require_POST
def ticket_revisit(request, service_ticket_id):
    def done(revisit):
        if revisit.satisfaction == "unsatisfied":
            return _("Not satisfied: back to cause analysis, one level up.")
        return _("Revisit recorded.")

    return _step(
        request,
        service_ticket_id,
        name="revisit",
        check=_require_desk,
        make_form=_plain(RevisitForm),
        run=lambda user, ticket, d: services.revisit_record(
            by=user, ticket=ticket, satisfaction=d["satisfaction"], comment=d["comment"]
        ),
        done=done,
    )


@login_required
@require_POST
def ticket_close(request, service_ticket_id):
    return _step(
        request,
        service_ticket_id,
        name="close",
        check=_require_desk,
        make_form=_plain(CloseForm),
        run=lambda user, ticket, d: services.ticket_close(
            by=user, ticket=ticket, summary=d["summary"]
        ),
        done=_("Ticket closed."),
    )


@login_required
@require_POST
def ticket_reclassify(request, service_ticket_id):
    def run(user, ticket, data):
        return services.ticket_reclassify(
            by=user,
            ticket=ticket,
            category=data["category"],
            severity=data["severity"],
            sensitive_reason=data["sensitive_reason"],
            complainant_type=data["complainant_type"],
        )

    return _step(
        request,
        service_ticket_id,
        name="reclassify",
        check=_require_desk,
        make_form=_plain(ReclassifyForm),
        run=run,
        done=_("Ticket details saved."),
    )


@login_required
@require_POST
def ticket_photos(request, service_ticket_id):
    return _step(
        request,
        service_ticket_id,
        name="photos",
        check=_require_worker,
        make_form=_plain(PhotoForm),
        run=lambda user, ticket, d: attachments.attachment_add(
            by=user, ticket=ticket, uploads=d["photos"]
        ),
        done=lambda added: _("%(n)s photo(s) added.") % {"n": len(added)},
    )
