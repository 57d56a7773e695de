"""Customer pages: list and search, register, 360° view, edit, related people, merge,
reassign-all and the data-quality report. Thin: selectors read, services write."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.exports import can_export
from anju.core.pagination import paginate
from anju.core.permissions import has_perm
from anju.core.roles import Perm
from anju.org.selectors import projects_visible_to

from . import selectors, services
from .filters import CustomerFilter
from .forms import (
    PROFILE_FORM_FIELDS,
    CustomerEditForm,
    CustomerRegisterForm,
    HandOverForm,
    MergeForm,
    NoteForm,
    ReassignAllForm,
    RelationForm,
)
from .imports import may_import_somewhere
from .list_rows import customer_rows
from .models import CustomerStatus
from .panels import customer_panels
from .search_tokens import recall_search, remember_search
from .timeline import timeline_for


def _form_error(form, exc: ApplicationError):
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def _filter_form(user, data=None):
    """The list's filters: the same FilterSet as the API and the export (issue 7 item 16)."""
    return CustomerFilter(data, user=user)


@login_required
def customer_list(request):
    """The list and its search. The search form POSTs: its filters go into the session under
    a token and the page redirects to ``?s=<token>``, so a phone number searched for never
    appears in a URL (issue 7 item 9)."""
    user = request.user
    token = None
    if request.method == "POST":
        form = _filter_form(user, request.POST)
        if form.is_valid():  # the FilterSet's form: nothing queried yet
            token = remember_search(request, request.POST)
            return redirect(f"{reverse('customers:list')}?{urlencode({'s': token})}")
    elif request.GET.get("s"):
        token = request.GET["s"]
        data = recall_search(request, token)
        if data is None:  # another session's token, or one long forgotten
            messages.info(request, _("That search has expired. Search again."))
            return redirect("customers:list")
        form = _filter_form(user, data)
    else:
        form = _filter_form(user, request.GET)
        if selectors.is_phone_search(request.GET.get("q")):
            return _customer_list_page(request, form, None, phone_in_url=True)
    return _customer_list_page(request, form, token)


def _customer_list_page(request, filterset, token, *, phone_in_url=False):
    user = request.user
    form = filterset.form
    if phone_in_url:
        customers = None
        form.is_valid()
        form.add_error("q", _("Search phone numbers with the search form, not in the address."))
    else:
        customers = filterset.rows()  # None on bad input: never fall back to the whole list
    if customers is None:
        customers = filterset.queryset.none()
    page = paginate(customers, request.GET.get("page"))
    if token:
        query = urlencode({"s": token})
    else:
        params = request.GET.copy()
        params.pop("page", None)
        query = "" if phone_in_url else params.urlencode()
    return render(
        request,
        "customers/list.html",
        {
            "form": form,
            "page": page,
            "rows": customer_rows(page.object_list),
            "query": query,
            "can_export": can_export(user),
            "can_import": may_import_somewhere(user),
            "can_reassign": has_perm(user, Perm.REASSIGN_CUSTOMERS),
        },
    )


@login_required
def customer_create(request):
    projects = projects_visible_to(request.user)
    form = CustomerRegisterForm(request.POST or None, projects=projects)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        project = data.pop("project")
        profile = {
            k: v for k, v in data.items() if k not in ("phone", "name") and v not in ("", None)
        }
        try:
            registration = services.customer_register(
                by=request.user,
                company=project.company,
                project=project,
                phone=data["phone"],
                name=data["name"],
                **profile,
            )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            level = messages.SUCCESS if registration.created else messages.INFO
            messages.add_message(request, level, registration.message)
            return redirect("customers:detail", registration.customer.pk)
    return render(request, "customers/create.html", {"form": form})


@login_required
def customer_detail(request, customer_id):
    user = request.user
    customer = selectors.customer_detail(user, customer_id)
    if customer.merged_into_id:
        code = selectors.visible_customer_code(user, customer.merged_into_id)
        if code is None:  # merged into a colleague's (another project's) customer
            messages.info(
                request, _("This record was merged into a customer whose record you may not open.")
            )
            return redirect("customers:list")
        messages.info(request, _("This record was merged into %(code)s.") % {"code": code})
        return redirect("customers:detail", customer.merged_into_id)
    # An anonymised customer is an anonymous fact: no write is offered (issue 7 item 14);
    # the services refuse them anyway.
    writable = customer.anonymised_at is None
    return render(
        request,
        "customers/detail.html",
        {
            "customer": customer,
            "writable": writable,
            "phones": selectors.customer_phones(customer),
            "relations": selectors.customer_relations(user, customer),
            "panels": customer_panels(request, customer),
            "referred": selectors.referred_customers(user, customer),
            "timeline": timeline_for(user, customer, limit=100),
            "may_reveal_phone": services.may_reveal(user, customer, "phone"),
            "may_reveal_id": services.may_reveal(user, customer, "id_number"),
            "may_merge": writable
            and has_perm(
                user,
                Perm.REASSIGN_CUSTOMERS,
                company=customer.company_id,
                project=customer.project_id,
            ),
            "may_claim": services.may_claim(user, customer),
            "may_handle": services.may_handle(user, customer),
            "status_choices": CustomerStatus.choices,
            "needs": selectors.needs_summary(customer),
            "handover_form": _handover_form(user, customer) if writable else None,
            "relation_form": RelationForm(),
            "note_form": NoteForm(),
            "tomorrow": timezone.localdate() + timedelta(days=1),
        },
    )


def _handover_form(user, customer, data=None):
    """Only for who may reassign here; receivers are consultants of the customer's project."""
    if not has_perm(
        user, Perm.REASSIGN_CUSTOMERS, company=customer.company_id, project=customer.project_id
    ):
        return None
    receivers = selectors.consultants_visible_to(user, company=customer.company).exclude(
        pk=customer.owner_id
    )
    if customer.project_id:
        receivers = receivers.filter(role_assignments__project=customer.project_id)
    return HandOverForm(data, receivers=receivers.distinct())


@login_required
@require_POST
def hand_over(request, customer_id):
    customer = selectors.customer_detail(request.user, customer_id)
    form = _handover_form(request.user, customer, request.POST)
    if form is None:
        raise NotPermitted()
    if not form.is_valid():
        messages.error(request, _("Choose the consultant and say why."))
    else:
        try:
            services.customer_change_owner(
                by=request.user,
                customer=customer,
                to=form.cleaned_data["to_user"],
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Handed over to %(user)s, with the open follow-ups.")
                % {"user": form.cleaned_data["to_user"]},
            )
    return redirect("customers:detail", customer.pk)


@login_required
@require_POST
def set_status(request, customer_id):
    customer = selectors.customer_detail(request.user, customer_id)
    try:
        services.customer_set_status(
            by=request.user,
            customer=customer,
            status=request.POST.get("status", ""),
            reason=request.POST.get("reason", "")[:200],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Status saved."))
    return redirect("customers:detail", customer.pk)


@login_required
@require_POST
def phone_add(request, customer_id):
    customer = selectors.customer_detail(request.user, customer_id)
    try:
        services.customer_add_phone(
            by=request.user,
            customer=customer,
            phone=request.POST.get("phone", "")[:30],
            label=request.POST.get("label", "").strip()[:20],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Number added."))
    return redirect("customers:detail", customer.pk)


@login_required
def customer_edit(request, customer_id):
    customer = selectors.customer_detail(request.user, customer_id)
    form = CustomerEditForm(request.POST or None, instance=customer)
    if request.method == "POST" and form.is_valid():
        changes = {f: form.cleaned_data[f] for f in PROFILE_FORM_FIELDS if f in form.changed_data}
        try:
            services.customer_update(by=request.user, customer=customer, **changes)
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Profile saved."))
            return redirect("customers:detail", customer.pk)
    return render(request, "customers/edit.html", {"form": form, "customer": customer})


@login_required
@require_POST
def reveal(request, customer_id, field):
    """htmx: the full phone or ID number, for who may see it (``services.may_reveal``, logged).

    A phone comes back as a ``tel:`` link: one tap on a phone calls the customer.
    """
    customer = selectors.customer_to_reveal(request.user, customer_id)
    value = services.customer_reveal_personal_data(
        by=request.user, customer=customer, field=field, ip=request.META.get("REMOTE_ADDR")
    )
    if field == "phone":
        return HttpResponse(
            format_html(
                '<a class="font-monospace" href="tel:{}" data-revealed="phone">{}</a>', value, value
            )
        )
    return HttpResponse(
        format_html('<span class="font-monospace" data-revealed="{}">{}</span>', field, value)
    )


@login_required
@require_POST
def claim(request, customer_id):
    customer = selectors.customer_detail(request.user, customer_id)
    try:
        services.customer_claim(by=request.user, customer=customer)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The customer is now yours."))
    return redirect("customers:detail", customer.pk)


@login_required
@require_POST
def relation_add(request, customer_id):
    user = request.user
    customer = selectors.customer_detail(user, customer_id)
    form = RelationForm(request.POST)
    if form.is_valid():
        related = selectors.find_customer(
            user, form.cleaned_data["related"], company=customer.company
        )
        if related is None:
            messages.error(request, _("No customer you can see has that code or number."))
        else:
            try:
                services.relation_add(
                    by=user,
                    customer=customer,
                    related=related,
                    kind=form.cleaned_data["kind"],
                    note=form.cleaned_data["note"],
                )
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Related person added."))
    else:
        messages.error(request, _("Give a customer code or phone and the relation."))
    return redirect(reverse("customers:detail", args=[customer.pk]) + "#relations")


@login_required
@require_POST
def relation_remove(request, customer_id, relation_id):
    customer = selectors.customer_detail(request.user, customer_id)
    relation = next(
        (r for r in selectors.customer_relations(request.user, customer) if r.pk == relation_id),
        None,
    )
    if relation is None:
        raise Http404("not found")
    services.relation_remove(by=request.user, relation=relation)
    messages.success(request, _("Related person removed."))
    return redirect(reverse("customers:detail", args=[customer.pk]) + "#relations")


@login_required
def merge(request, customer_id):
    user = request.user
    keep = selectors.customer_detail(user, customer_id)
    if not has_perm(
        user, Perm.REASSIGN_CUSTOMERS, company=keep.company_id, project=keep.project_id
    ):
        raise NotPermitted()  # before the form: GET too (issue 7 item 7, the matrix)
    form = MergeForm(request.POST or None)
    duplicate = None
    if request.method == "POST" and form.is_valid():
        duplicate = selectors.find_customer(
            user, form.cleaned_data["duplicate"], company=keep.company
        )
        if duplicate is None:
            form.add_error("duplicate", _("No customer you can see has that code or number."))
        elif "confirm" in request.POST:
            try:
                services.customer_merge(
                    by=user, keep=keep, duplicate=duplicate, reason=form.cleaned_data["reason"]
                )
            except ApplicationError as exc:
                _form_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Merged %(dup)s into %(keep)s; nothing was lost.")
                    % {"dup": duplicate.code, "keep": keep.code},
                )
                return redirect("customers:detail", keep.pk)
    return render(
        request, "customers/merge.html", {"form": form, "keep": keep, "duplicate": duplicate}
    )


@login_required
def reassign_all(request):
    user = request.user
    if not has_perm(user, Perm.REASSIGN_CUSTOMERS):
        raise NotPermitted()  # a refusal, not a missing page (issue 7 item 7)
    form = ReassignAllForm(
        request.POST or None,
        owners=selectors.owners_of_visible_customers(user),
        receivers=selectors.consultants_visible_to(user),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            moved = services.customer_reassign_all(
                by=user, from_user=data["from_user"], to_user=data["to_user"], reason=data["reason"]
            )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(
                request,
                _("%(n)s customers moved from %(a)s to %(b)s.")
                % {"n": moved, "a": data["from_user"], "b": data["to_user"]},
            )
            return redirect(reverse("customers:list") + f"?owner={data['to_user'].pk}")
    return render(request, "customers/reassign_all.html", {"form": form})


@login_required
def data_quality(request):
    rows = selectors.data_quality_by_consultant(request.user)
    return render(request, "customers/data_quality.html", {"rows": rows})


@login_required
@require_POST
def note_add(request, customer_id):
    """A note from the 360° page (SAL-6); back to the page, the note on its timeline."""
    from .notes import customer_add_note

    customer = selectors.customer_detail(request.user, customer_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            customer_add_note(by=request.user, customer=customer, text=form.cleaned_data["text"])
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            _form_error(form, exc)
        else:
            messages.success(request, _("Note added."))
            return redirect(f"{reverse('customers:detail', args=[customer.pk])}#timeline")
    return render(
        request, "customers/note_form.html", {"customer": customer, "form": form}, status=400
    )
