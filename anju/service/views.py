"""Pages of the service desk (SVC-1 … SVC-5): the ticket list and its export, receiving a
ticket, the ticket's page with the step that fits its status and the viewer, its photos.

Thin: writes through services.py / attachments.py, reads through selectors.py /
page_selectors.py. A refused action is a 403 before any input is read; a step the service
refuses (a wrong value, an illegal transition) is a form error on the ticket's page, never
a 500, and nothing is written. The steps' own pages are in ``views_actions.py``; time limits
and group cases in ``views_settings.py``.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from anju.core.api_types import MAX_ID
from anju.core.errors import ApplicationError, NotPermitted
from anju.core.exports import can_export, export_response
from anju.core.pagination import paginate
from anju.core.permissions import has_perm
from anju.core.roles import Perm
from anju.customers.selectors import customer_detail, customer_list
from anju.customers.services import may_reveal
from anju.inventory.selectors import units_visible_to
from anju.org.selectors import projects_visible_to

from . import attachments, export_columns, page_selectors, selectors, services
from .filters import TicketFilter
from .forms import (
    AssignForm,
    CaseOpenForm,
    CauseForm,
    CloseForm,
    ImplementForm,
    JudgeForm,
    PhotoForm,
    ReceiveForm,
    ReclassifyForm,
    RevisitForm,
    SolutionForm,
)
from .models import Satisfaction, Severity, Status, TicketType

PAGE_SIZE = 50
SEARCH_MAX = 50
SEARCH_RESULTS = 10


def _int_or_404(raw) -> int:
    text = str(raw or "").strip()
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_ID:
        raise Http404("not found")
    return int(text)


def may_desk(user, ticket_or_project) -> bool:
    """The service desk of the ticket's project (HANDLE_TICKETS)."""
    project = getattr(ticket_or_project, "project", ticket_or_project)
    return has_perm(user, Perm.HANDLE_TICKETS, company=project.company_id, project=project.pk)


# --- the list and its export --------------------------------------------------------------------


@login_required
def ticket_list(request):
    filterset = TicketFilter(request.GET, user=request.user)
    rows = filterset.rows()
    if rows is None:  # never the whole list on bad input
        rows = filterset.queryset.none()
    params = request.GET.copy()
    params.pop("page", None)
    query = params.urlencode()
    may_handle = has_perm(request.user, Perm.HANDLE_TICKETS)
    return render(
        request,
        "service/ticket_list.html",
        {
            "page": paginate(rows, request.GET.get("page"), per_page=PAGE_SIZE),
            "form": filterset.form,
            "extra_query": query + "&" if query else "",
            "export_query": query,
            "may_receive": may_handle,
            "may_export": can_export(request.user),
            "case_form": CaseOpenForm(prefix="case") if may_handle else None,
        },
        status=400 if filterset.errors else 200,
    )


@login_required
def ticket_export(request, fmt):
    """The list as .xlsx or .csv with the page's filters (phones masked, logged)."""
    filterset = TicketFilter(request.GET, user=request.user)
    rows = filterset.rows_or_error()
    used = " ".join(f"{k}={v}" for k, v in filterset.used().items())
    return export_response(
        by=request.user,
        rows=rows,
        columns=export_columns.ticket_columns(),
        fmt=fmt,
        filename="service-tickets",
        description=used[:200],
        request=request,
    )


# --- receiving a ticket --------------------------------------------------------------------------


def _desk_projects(user):
    return [
        p
        for p in projects_visible_to(user)
        if has_perm(user, Perm.HANDLE_TICKETS, company=p.company_id, project=p.pk)
    ]


def _chosen_customer(request):
    """The customer the form was given: from his 360° page (``?customer=``) or chosen after a
    search; one the user may not see is a 404, like any record."""
    raw = request.POST.get("choose") or request.POST.get("customer") or request.GET.get("customer")
    if not raw or request.POST.get("action") == "clear":
        return None
    return customer_detail(request.user, _int_or_404(raw))


def _find_customers(request, project):
    """Name, pinyin, customer code or phone (the full number or its last 4 digits unless the
    role may unmask; each phone search logged) — a POST, so no number lands in a URL."""
    q = (request.POST.get("q") or "").strip()
    if not q:
        return [], _("Enter a name, pinyin, the full mobile number or its last 4 digits.")
    if len(q) > SEARCH_MAX:
        return [], _("Enter at most %(n)s characters.") % {"n": SEARCH_MAX}
    try:
        found = customer_list(request.user, q=q).filter(company_id=project.company_id)
        return list(found[:SEARCH_RESULTS]), ""
    except ApplicationError as exc:  # a refused prefix search, too many searches
        return [], str(exc.message)


@login_required
def ticket_new(request):
    """受理 at the desk (or from the customer's 360° page, the customer already chosen)."""
    if not has_perm(request.user, Perm.HANDLE_TICKETS):
        raise NotPermitted()
    customer = _chosen_customer(request)
    projects = _desk_projects(request.user)
    if customer is not None:
        projects = [p for p in projects if p.company_id == customer.company_id]
    if not projects:
        raise NotPermitted(_("No project's service desk is yours."))
    raw = request.POST.get("project") or request.GET.get("project")
    if raw:
        project = next((p for p in projects if str(p.pk) == str(raw).strip()), None)
        if project is None:
            raise Http404("not found")
    else:
        own = customer.project_id if customer is not None else None
        project = next((p for p in projects if p.pk == own), projects[0])
    units = units_visible_to(request.user, project=project)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if request.method == "POST" and "choose" in request.POST:
        action = "choose"
    results, search_error, searched = [], "", False
    if action == "find":
        results, search_error = _find_customers(request, project)
        searched = True
    if action:  # the search, a choice or "another customer": the form starts afresh
        form = ReceiveForm(units=units, customer=customer)
    else:
        form = ReceiveForm(
            request.POST or None, request.FILES or None, units=units, customer=customer
        )
    if request.method == "POST" and not action and form.is_valid():
        ticket = _receive(request, form, project, customer)
        if ticket is not None:
            messages.success(request, _("Ticket %(number)s received.") % {"number": ticket})
            return redirect("service:ticket_detail", service_ticket_id=ticket.pk)
    bound = request.method == "POST" and not action
    return render(
        request,
        "service/ticket_new.html",
        {
            "form": form,
            "project": project,
            "projects": projects,
            "customer": customer,
            "results": results,
            "searched": searched,
            "search_error": search_error,
        },
        status=400 if bound or search_error else 200,
    )


def _receive(request, form, project, customer):
    """The ticket and its photos in one transaction: a refused photo receives nothing."""
    data = form.cleaned_data
    try:
        with transaction.atomic():
            ticket = services.ticket_receive(
                by=request.user,
                project=project,
                customer=customer,
                unit=data["unit"],
                ticket_type=data["ticket_type"],
                channel=data["channel"],
                category=data["category"],
                severity=data["severity"],
                sensitive_reason=data["sensitive_reason"],
                complainant_type=data["complainant_type"],
                subject=data["subject"],
                description=data["description"],
                demand=data["demand"],
                contact_name=data.get("contact_name", ""),
                contact_phone=data.get("contact_phone", ""),
            )
            if data["photos"]:
                attachments.attachment_add(by=request.user, ticket=ticket, uploads=data["photos"])
    except NotPermitted:
        raise
    except ApplicationError as exc:
        form.add_service_error(exc)
        return None
    return ticket


# --- the ticket's page ---------------------------------------------------------------------------


@login_required
def ticket_detail(request, service_ticket_id):
    ticket = selectors.ticket_detail(request.user, service_ticket_id)
    return render(request, "service/ticket_detail.html", detail_context(request, ticket))


def detail_context(request, ticket, bound=None) -> dict:
    """Everything the ticket's page shows, and the forms of the steps the viewer may take
    now; ``bound`` = (name, form) re-shows a refused step with its error."""
    user = request.user
    desk = may_desk(user, ticket)
    worker = services.may_work(user, ticket)
    forms = available_forms(user, ticket, desk=desk, worker=worker)
    if bound is not None:
        forms[bound[0]] = bound[1]
    revisits = list(ticket.revisits.all())
    this_loop = [r for r in revisits if r.loop == ticket.loops]
    return {
        "ticket": ticket,
        "forms": forms,
        "may_desk": desk,
        "may_work": worker,
        "history": history(user, ticket),
        "solutions": list(ticket.solutions.all()),
        "revisits": revisits,
        "revisits_done": len(this_loop),
        "photos": list(ticket.attachments.all()),
        "may_reveal_phone": bool(ticket.customer_id)
        and ticket.customer.anonymised_at is None
        and may_reveal(user, ticket.customer, "phone"),
        "clocks": clocks(ticket),
        "assign_first": ticket.status in (Status.RECEIVED, Status.ACCEPTED),
        "statuses": Status,
    }


def clocks(ticket, now=None) -> list[dict]:
    """The time limits (SVC-5) as the desk reads them: each limit, when it was met, or the
    time left / how late it is now."""
    from .sla import end_of_day
    from .templatetags.service_tags import due_text

    now = now or timezone.now()
    rows = [
        (_("First response"), ticket.first_response_due, ticket.responded_at),
        (_("Solution carried out"), ticket.solution_due, ticket.implemented_at),
        (_("Closure"), ticket.closure_due, ticket.closed_at),
    ]
    if ticket.revisit_due_on:
        rows.append((_("Next revisit"), end_of_day(ticket.revisit_due_on), None))
    out = []
    for label, due, done in rows:
        if done is not None:
            state = "late" if done > due else "met"
            text = ""
        elif not ticket.is_open:
            state, text = "none", ""
        else:
            state = "overdue" if due <= now else "running"
            text = due_text(due, now)
        out.append({"label": label, "due": due, "done": done, "state": state, "text": text})
    return out


def available_forms(user, ticket, *, desk, worker) -> dict:
    """The steps that fit the ticket's status (its type's flow) and the viewer: the desk
    judges, assigns, revisits, closes and corrects; the responsible person (or the desk)
    finds the cause, proposes the solution and carries it out."""
    if not ticket.is_open:
        return {}
    nexts = ticket.flow.get(ticket.status, set())
    complaint = ticket.ticket_type == TicketType.COMPLAINT
    received = ticket.status == Status.RECEIVED
    forms = {}
    if desk and complaint and received:
        forms["judge"] = JudgeForm(prefix="judge")
    if desk and (
        Status.ASSIGNED in nexts or ticket.status not in (Status.RECEIVED, Status.ACCEPTED)
    ):
        forms["assign"] = assign_form(user, ticket)
    if worker and complaint and Status.ANALYSED in nexts and ticket.status == Status.ASSIGNED:
        forms["cause"] = CauseForm(prefix="cause")
    if worker and Status.SOLUTION_PENDING in nexts:
        forms["solution"] = SolutionForm(prefix="solution")
    if worker and Status.IMPLEMENTED in nexts:
        forms["implement"] = ImplementForm(prefix="implement")
    if desk and ticket.status == Status.IMPLEMENTED:
        forms["revisit"] = RevisitForm(prefix="revisit")
    if desk and Status.CLOSED in nexts and not (complaint and received):
        forms["close"] = CloseForm(prefix="close")
    if desk:
        forms["reclassify"] = ReclassifyForm(
            prefix="reclassify",
            initial={
                "category": ticket.category,
                "severity": ticket.severity,
                "sensitive_reason": ticket.sensitive_reason,
                "complainant_type": ticket.complainant_type,
            },
        )
    if worker:
        forms["photos"] = PhotoForm(prefix="photos")
    return forms


def assign_form(user, ticket, data=None):
    return AssignForm(
        data,
        prefix="assign",
        departments=page_selectors.departments_for(user, ticket),
        staff=page_selectors.assignable_staff(user, ticket),
        initial={"department": ticket.department_id, "responsible": ticket.responsible_id},
    )


def _history_text(event, people) -> str:
    d = event.details or {}
    verb = event.verb
    if verb == "service.ticket_received":
        return _("Received")
    if verb == "service.ticket_judged":
        return _("Judged valid") if d.get("valid") else _("Judged not valid; replied and closed")
    if verb == "service.ticket_assigned":
        person = people.get(d.get("to"))
        return _("Assigned to %(name)s") % {"name": person or "—"}
    if verb == "service.cause_found":
        return _("Cause found")
    if verb == "service.solution_proposed":
        return _("Solution proposed, awaiting approval")
    if verb == "service.solution_approved":
        return _("Solution approved")
    if verb == "service.solution_rejected":
        return _("Solution not approved: back to cause analysis")
    if verb == "service.ticket_implemented":
        return _("Carried out; the customer was told")
    if verb == "service.revisited":
        label = dict(Satisfaction.choices).get(d.get("satisfaction"), "")
        return _("Revisit: %(answer)s") % {"answer": label}
    if verb == "service.revisit_unsatisfied":
        return _("Revisit: unsatisfied; back to cause analysis, escalated")
    if verb == "service.ticket_closed":
        return _("Closed")
    if verb == "service.ticket_reclassified":
        severity = dict(Severity.choices).get(d.get("severity"), "")
        return _("Reclassified (%(severity)s)") % {"severity": severity}
    if verb == "service.ticket_linked":
        return _("Linked to a group case")
    if verb == "service.ticket_escalated":
        return _("Past its time limit: escalated")
    if verb == "service.photos_added":
        return _("%(n)s photo(s) added") % {"n": len(d.get("photos") or [])}
    return verb


def history(user, ticket) -> list[dict]:
    """The ticket's events in order, in words (two queries: the events, the people named)."""
    events = page_selectors.ticket_history(ticket)
    people = page_selectors.people_named(
        user, {(e.details or {}).get("to") for e in events if e.verb.endswith("_assigned")}
    )
    return [
        {"at": e.created_at, "actor": e.actor, "text": _history_text(e, people), "event": e}
        for e in events
    ]


# --- photos --------------------------------------------------------------------------------------


@login_required
def attachment(request, attachment_token):
    """One photo, streamed only to who sees its ticket (404 otherwise). The type is the one
    Pillow found when it was stored; the browser must not guess another."""
    photo = page_selectors.attachment_for(request.user, attachment_token)
    try:
        handle = photo.file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise Http404("not found") from None
    response = FileResponse(handle, content_type=photo.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = content_disposition_header(False, photo.name)
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
