"""Deals pages (thin): the queue, subscriptions with their price explained, launch day.

Writes go through the services; a refused action raises NotPermitted (403) before any form
is read, bad input re-renders the page with the form's error.
"""

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.core.errors import ApplicationError, Conflict, NotPermitted
from anju.core.exports import export_response
from anju.core.pagination import paginate
from anju.core.permissions import has_perm
from anju.core.roles import Perm
from anju.core.scope import can_see
from anju.customers.models import Customer
from anju.customers.selectors import customer_detail
from anju.inventory.models import Building
from anju.inventory.selectors import unit_detail
from anju.org.selectors import projects_visible_to

from . import contract_selectors, documents, export_columns, selectors, services
from .filters import QueueFilter, SubscriptionFilter
from .forms import (
    DocumentTemplateForm,
    LaunchOpenForm,
    QueueCancelForm,
    QueueIssueForm,
    ReasonForm,
    TermsForm,
)
from .models import Contract, DocumentKind, SalesDiscount, SubscriptionStatus

PAGE_SIZE = 50


def _require_seller(user, project) -> None:
    """Refuse before reading any input, so a refused role learns nothing from the form."""
    if not has_perm(user, Perm.SELL_UNITS, company=project.company_id, project=project.pk):
        raise NotPermitted()


def _selling_projects(user):
    return [
        p
        for p in projects_visible_to(user).select_related("company")
        if has_perm(user, Perm.SELL_UNITS, company=p.company_id, project=p.pk)
    ]


def _query(request):
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# --- queue numbers ------------------------------------------------------------------------------


def _list_page(request, filter_class, template, extra=None):
    filterset = filter_class(request.GET, user=request.user)
    rows = filterset.rows()
    if rows is None:
        rows = filterset.queryset.none()
    query = _query(request)
    return render(
        request,
        template,
        {
            "page": paginate(rows, request.GET.get("page"), per_page=PAGE_SIZE),
            "form": filterset.form,
            "extra_query": query + "&" if query else "",
            "export_query": query,
            **(extra or {}),
        },
        status=400 if filterset.errors else 200,
    )


@login_required
def queue_list(request):
    return _list_page(
        request,
        QueueFilter,
        "deals/queue_list.html",
        {"may_sell": bool(_selling_projects(request.user))},
    )


@login_required
def queue_new(request, customer_id):
    customer = customer_detail(request.user, customer_id)
    projects = [p for p in _selling_projects(request.user) if p.company_id == customer.company_id]
    if not projects:
        raise NotPermitted()
    form = QueueIssueForm(
        request.POST or None,
        projects=projects_visible_to(request.user).filter(pk__in=[p.pk for p in projects]),
        initial={"project": customer.project_id if customer.project_id else projects[0].pk},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.queue_number_issue(
                by=request.user,
                project=data["project"],
                customer=customer,
                intention=data["intention"],
                deposit_amount=data["deposit_amount"] or 0,
                deposit_method=data["deposit_method"],
                deposit_receipt_no=data["deposit_receipt_no"],
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Queue number %(number)s issued.") % {"number": ticket})
            return redirect("deals:queue_detail", ticket_id=ticket.pk)
    status = 400 if form.is_bound else 200
    return render(
        request, "deals/queue_new.html", {"form": form, "customer": customer}, status=status
    )


@login_required
def queue_detail(request, ticket_id):
    ticket = selectors.queue_ticket_detail(request.user, ticket_id)
    form = QueueCancelForm(
        initial={
            "refund_amount": ticket.deposit_amount or None,
            "refund_method": ticket.deposit_method,
        }
    )
    return render(request, "deals/queue_detail.html", _queue_context(request, ticket, form))


@login_required
@require_POST
def queue_cancel(request, ticket_id):
    ticket = selectors.queue_ticket_detail(request.user, ticket_id)
    _require_seller(request.user, ticket.project)
    form = QueueCancelForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.queue_number_cancel(
                by=request.user,
                ticket=ticket,
                reason=data["reason"],
                refund_amount=data["refund_amount"],
                refund_method=data["refund_method"],
                refund_receipt_no=data["refund_receipt_no"],
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Queue number %(number)s cancelled.") % {"number": ticket})
            return redirect("deals:queue_detail", ticket_id=ticket.pk)
    return render(
        request, "deals/queue_detail.html", _queue_context(request, ticket, form), status=400
    )


def _queue_context(request, ticket, form):
    project = ticket.project
    return {
        "ticket": ticket,
        "cancel_form": form,
        "may_sell": has_perm(
            request.user, Perm.SELL_UNITS, company=project.company_id, project=project.pk
        ),
        "subscriptions": list(
            selectors.subscriptions_visible_to(request.user).filter(queue_ticket=ticket)
        ),
    }


# --- subscriptions ------------------------------------------------------------------------------


@login_required
def subscription_list(request):
    return _list_page(request, SubscriptionFilter, "deals/subscription_list.html")


EXPORTS = {
    "queue": (QueueFilter, "queue_columns"),
    "subscriptions": (SubscriptionFilter, "subscription_columns"),
}


@login_required
def export(request, what, fmt):
    """A deals list as .xlsx or .csv with the page's filters (masked and logged)."""
    if what not in EXPORTS:
        raise Http404
    filter_class, columns = EXPORTS[what]
    filterset = filter_class(request.GET, user=request.user)
    rows = filterset.rows_or_error()
    used = " ".join(f"{k}={v}" for k, v in filterset.used().items())
    return export_response(
        by=request.user,
        rows=rows,
        columns=getattr(export_columns, columns)(),
        fmt=fmt,
        filename=what,
        description=used[:200],
        request=request,
    )


@login_required
def subscription_new(request, ticket_id):
    """选房 outside a launch: the ticket's customer chooses one of the project's units."""
    ticket = selectors.queue_ticket_detail(request.user, ticket_id)
    _require_seller(request.user, ticket.project)
    units, launch, on_launch = selectors.units_to_choose(request.user, ticket)
    error, status = None, 200
    if request.method == "POST":
        try:
            unit = unit_detail(request.user, int(request.POST.get("unit") or 0))
            subscription = services.subscription_hold(
                by=request.user, unit=unit, customer=ticket.customer, queue_ticket=ticket
            )
        except (ApplicationError, ValueError) as exc:
            error = getattr(exc, "message", None) or _("Choose a unit.")
            status = 409 if isinstance(exc, Conflict) else 400
        else:
            return redirect("deals:subscription_detail", subscription_id=subscription.pk)
    return render(
        request,
        "deals/subscription_new.html",
        {
            "ticket": ticket,
            "units": units[:500],
            "error": error,
            "launch": launch,
            "on_launch": "、".join(b.name for b in on_launch),
        },
        status=status,
    )


@login_required
def subscription_detail(request, subscription_id):
    subscription = selectors.subscription_detail(request.user, subscription_id)
    form = None
    if subscription.status == SubscriptionStatus.DRAFT:
        posted = request.method == "POST"
        form = _terms_form(
            request,
            subscription,
            data=request.POST if posted else None,
            files=request.FILES if posted else None,
        )
        if request.method == "POST":
            _require_seller(request.user, subscription.project)
            if form.is_valid() and _set_terms(request, subscription, form):
                messages.success(request, _("The price was recalculated."))
                return redirect("deals:subscription_detail", subscription_id=subscription.pk)
    elif request.method == "POST":
        raise NotPermitted()
    return render(
        request,
        "deals/subscription_detail.html",
        _subscription_context(request, subscription, form),
        status=400 if form is not None and form.is_bound else 200,
    )


def _terms_form(request, subscription, data=None, files=None):
    discounts = SalesDiscount.objects.visible_to(request.user).filter(
        project=subscription.project_id, is_active=True
    )
    related_ids = [r.related_id for r in subscription.customer.relations.all()]
    relatives = Customer.objects.visible_to(request.user).filter(
        pk__in=related_ids, merged_into__isnull=True
    )
    claim = getattr(subscription, "relative_claim", None) if _has_claim(subscription) else None
    initial = {
        "payment_plan": subscription.payment_plan,
        "discount_codes": [
            line.code for line in subscription.price_lines.all() if line.step == "sales"
        ],
        "special_discount": subscription.special_discount,
        "co_buyers": [c.customer_id for c in subscription.co_buyers.all()],
        "points": subscription.points_used,
        "relative": claim.relative_id if claim else None,
        "deposit": subscription.deposit,
        "sign_by": subscription.sign_by,
    }
    return TermsForm(data, files, discounts=discounts, relatives=relatives, initial=initial)


def _has_claim(subscription) -> bool:
    from .models import RelativeTierClaim

    return RelativeTierClaim.objects.filter(subscription=subscription).exists()


def _set_terms(request, subscription, form) -> bool:
    data = form.cleaned_data
    try:
        services.subscription_set_terms(
            by=request.user,
            subscription=subscription,
            payment_plan=data["payment_plan"],
            co_buyers=list(data["co_buyers"]),
            discount_codes=data["discount_codes"],
            special_discount=data["special_discount"] or 0,
            points=data["points"] or 0,
            relative=data["relative"],
            relative_proof=data["relative_proof"],
            deposit=data["deposit"] or 0,
            sign_by=data["sign_by"],
        )
    except ApplicationError as exc:
        form.add_service_error(exc)
        return False
    return True


def _subscription_context(request, subscription, form):
    project = subscription.project
    return {
        "subscription": subscription,
        "lines": list(subscription.price_lines.all()),
        "co_buyers": [c.customer for c in subscription.co_buyers.all()],
        "form": form,
        "release_form": ReasonForm(),
        "contract": Contract.objects.visible_to(request.user)
        .filter(subscription=subscription)
        .first(),
        "may_edit_templates": has_perm(
            request.user, Perm.MANAGE_PRICING, company=project.company_id, project=project.pk
        ),
        "may_sell": has_perm(
            request.user, Perm.SELL_UNITS, company=project.company_id, project=project.pk
        ),
    }


@login_required
@require_POST
def subscription_confirm(request, subscription_id):
    subscription = selectors.subscription_detail(request.user, subscription_id)
    _require_seller(request.user, subscription.project)
    try:
        result = services.subscription_confirm(by=request.user, subscription=subscription)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        if result.__class__.__name__ == "ApprovalRequest":
            messages.info(request, _("Beyond your authority: a manager has been asked to approve."))
        else:
            messages.success(request, _("Subscribed."))
    return redirect("deals:subscription_detail", subscription_id=subscription.pk)


@login_required
@require_POST
def subscription_release(request, subscription_id):
    subscription = selectors.subscription_detail(request.user, subscription_id)
    _require_seller(request.user, subscription.project)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.subscription_release(
                by=request.user, subscription=subscription, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("The unit is for sale again."))
    else:
        messages.error(request, _("Say why."))
    return redirect("deals:subscription_detail", subscription_id=subscription.pk)


# --- launch day ---------------------------------------------------------------------------------


@login_required
def launch_index(request):
    projects = _selling_projects(request.user)
    launches = {
        launch.project_id: launch for launch in selectors.open_launches_visible_to(request.user)
    }
    project = next((p for p in projects if str(p.pk) == request.GET.get("project")), None)
    form = None
    if project is not None and project.pk not in launches:
        buildings = Building.objects.visible_to(request.user).filter(project=project)
        form = LaunchOpenForm(request.POST or None, buildings=buildings)
        if request.method == "POST" and form.is_valid():
            try:
                launch = services.launch_open(
                    by=request.user,
                    project=project,
                    buildings=form.cleaned_data["buildings"],
                    name=form.cleaned_data["name"],
                )
            except ApplicationError as exc:
                form.add_service_error(exc)
            else:
                return redirect("deals:launch", launch_id=launch.pk)
    for p in projects:
        p.launch = launches.get(p.pk)
    return render(
        request,
        "deals/launch_index.html",
        {"projects": projects, "project": project, "form": form},
        status=400 if form is not None and form.is_bound else 200,
    )


@login_required
def launch_screen(request, launch_id):
    """The big screen and the consultant's tablet: one page, the grid refreshed by htmx."""
    board = selectors.launch_board(request.user, launch_id)
    template = "deals/_launch_board.html" if request.htmx else "deals/launch.html"
    return render(request, template, {"board": board, "may_sell": board.may_sell})


@login_required
@require_POST
def launch_action(request, launch_id, action):
    board = selectors.launch_board(request.user, launch_id)
    launch = board.launch
    _require_seller(request.user, launch.project)
    try:
        with transaction.atomic():
            if action == "next":
                services.launch_call_next(by=request.user, launch=launch)
            elif action == "recall":
                ticket = selectors.queue_ticket_detail(request.user, int(request.POST["ticket"]))
                services.launch_recall(by=request.user, launch=launch, ticket=ticket)
            elif action == "choose":
                unit = unit_detail(request.user, int(request.POST["unit"]))
                subscription = services.launch_choose(by=request.user, launch=launch, unit=unit)
                messages.success(
                    request,
                    _("%(unit)s held for %(number)s: his consultant sets the terms.")
                    % {"unit": subscription.unit, "number": subscription.queue_ticket},
                )
                if can_see(request.user, subscription):
                    return redirect("deals:subscription_detail", subscription_id=subscription.pk)
            elif action == "close":
                services.launch_close(by=request.user, launch=launch)
                return redirect("deals:launch_index")
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    except (KeyError, ValueError):
        messages.error(request, _("Choose what to act on."))
    return redirect("deals:launch", launch_id=launch.pk)


# --- printed documents (SUB-3) ------------------------------------------------------------------


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(filename)}"
    return response


@login_required
def agreement_pdf(request, subscription_id):
    subscription = selectors.subscription_detail(request.user, subscription_id)
    content = documents.agreement_pdf(request.user, subscription)
    return _pdf(content, f"认购书-{subscription}.pdf")


@login_required
def queue_receipt(request, ticket_id):
    ticket = selectors.queue_ticket_detail(request.user, ticket_id)
    return _pdf(documents.queue_receipt_pdf(request.user, ticket), f"排号凭证-{ticket}.pdf")


@login_required
def payment_receipt(request, payment_id):
    """The 收款收据 (a refund: 退款凭证) of a payment the user sees; out of scope → 404."""
    payment = contract_selectors.payment_detail(request.user, payment_id)
    name = "退款凭证" if payment.amount < 0 else "收款收据"
    content = documents.payment_receipt_pdf(request.user, payment)
    return _pdf(content, f"{name}-{documents.receipt_number(payment)}.pdf")


@login_required
def document_template(request, project_id, kind):
    """A manager edits a project's printable template, with a preview filled with examples."""
    project = get_object_or_404(projects_visible_to(request.user), pk=project_id)
    if kind not in DocumentKind.values:
        raise Http404
    if not has_perm(
        request.user, Perm.MANAGE_PRICING, company=project.company_id, project=project.pk
    ):
        raise NotPermitted()
    title, body = documents.template_for(project, kind)
    form = DocumentTemplateForm(request.POST or None, initial={"title": title, "body": body})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if "preview" in request.POST:
                from anju.core import doc_templates

                spec = documents.DEFAULTS[DocumentKind(kind)]
                doc_templates.check_document_template(data["body"], spec.fields, spec.blocks)
                return _pdf(documents.preview_pdf(kind, data["title"], data["body"]), "preview.pdf")
            documents.document_template_save(
                by=request.user, project=project, kind=kind, title=data["title"], body=data["body"]
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The template was saved."))
            return redirect("deals:document_template", project_id=project.pk, kind=kind)
    spec = documents.DEFAULTS[DocumentKind(kind)]
    return render(
        request,
        "deals/document_template.html",
        {
            "project": project,
            "kind": DocumentKind(kind),
            "kinds": DocumentKind.choices,
            "form": form,
            "fields": spec.fields,
            "blocks": spec.blocks,
        },
        status=400 if form.is_bound else 200,
    )
