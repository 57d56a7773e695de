"""Messaging pages (MSG-1, MSG-3, MSG-5): outbox, templates, consent, settings, dev outbox.

Thin: reads through ``selectors``, writes through ``services``. Addresses searched for on
the consent page travel in POST bodies, never in a URL (SEC-2).
"""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.pagination import paginate
from anju.core.permissions import has_perm
from anju.core.roles import Perm
from anju.org.selectors import companies_visible_to

from . import selectors, services
from .filters import MessageFilter
from .forms import (
    ConsentChangeForm,
    ConsentLookupForm,
    MessagingSettingsForm,
    PreviewCustomerForm,
    TemplateForm,
)
from .gateways.registry import configured_name
from .models import Channel, Kind, Status
from .sources import describe_sources

PAGE_SIZE = 50


def _companies_with(user, perm):
    return [c for c in companies_visible_to(user) if has_perm(user, perm, company=c.pk)]


def _company_from(request, companies):
    raw = request.POST.get("company") or request.GET.get("company")
    if raw:
        company = next((c for c in companies if str(c.pk) == str(raw)), None)
        if company is None:
            raise Http404("not found")
        return company
    if not companies:
        raise NotPermitted()
    return companies[0]


# --- the outbox --------------------------------------------------------------------------------


@login_required
def index(request):
    return redirect("messaging:outbox")


@login_required
def outbox(request):
    filterset = MessageFilter(request.GET, user=request.user)
    rows = filterset.rows()
    if rows is None:
        rows = filterset.queryset.none()
    params = request.GET.copy()
    params.pop("page", None)
    page = paginate(rows, request.GET.get("page"), per_page=PAGE_SIZE)
    describe_sources(request.user, page.object_list)
    return render(
        request,
        "messaging/outbox.html",
        {
            "page": page,
            "form": filterset.form,
            "query": params.urlencode(),
            "extra_query": params.urlencode() + "&" if params else "",
            "may_retry": has_perm(request.user, Perm.RUN_CAMPAIGNS),
            "uncertain": selectors.uncertain_count(request.user),
            "statuses": Status,
            "tab": "outbox",
        },
    )


@login_required
@require_POST
def retry_failed(request):
    """Retry every failed message the current filters select (and the user sees)."""
    filterset = MessageFilter(request.POST, user=request.user)
    rows = filterset.rows()
    if rows is None:
        flash.error(request, _("The filters are not valid."))
    else:
        count = services.messages_retry_failed(by=request.user, messages=rows)
        flash.success(request, _("%(n)d failed message(s) queued again.") % {"n": count})
    query = request.POST.get("query", "")
    return redirect(reverse("messaging:outbox") + (f"?{query}" if query else ""))


@login_required
def message_detail(request, message_id):
    message = selectors.message_detail(request.user, message_id)
    describe_sources(request.user, [message])
    return render(
        request,
        "messaging/message_detail.html",
        {
            "message": message,
            "may_retry": message.status in (Status.FAILED, Status.UNCERTAIN)
            and has_perm(
                request.user,
                Perm.RUN_CAMPAIGNS,
                company=message.company_id,
                project=message.project_id,
            ),
            "tab": "outbox",
        },
    )


@login_required
@require_POST
def message_retry(request, message_id):
    message = selectors.message_detail(request.user, message_id)
    try:
        services.message_retry(by=request.user, message=message)
    except ApplicationError as exc:
        if exc.status_code == 403:
            raise
        flash.error(request, exc.message)
    else:
        flash.success(request, _("The message is queued again."))
    return redirect("messaging:message_detail", message.pk)


@login_required
@require_POST
def message_mark_sent(request, message_id):
    message = selectors.message_detail(request.user, message_id)
    try:
        services.message_mark_sent(by=request.user, message=message)
    except ApplicationError as exc:
        if exc.status_code == 403:
            raise
        flash.error(request, exc.message)
    else:
        flash.success(request, _("The message is marked as sent."))
    return redirect("messaging:message_detail", message.pk)


# --- templates ---------------------------------------------------------------------------------


@login_required
def templates(request):
    selectors.require_messaging(request.user)
    rows = selectors.templates_visible_to(request.user).order_by("company__code", "name", "pk")
    return render(
        request,
        "messaging/templates.html",
        {
            "page": paginate(rows, request.GET.get("page"), per_page=PAGE_SIZE),
            "extra_query": "",
            "may_edit": has_perm(request.user, Perm.MANAGE_TEMPLATES),
            "tab": "templates",
        },
    )


def _template_page(request, *, template=None):
    companies = (
        [template.company]
        if template is not None
        else _companies_with(request.user, Perm.MANAGE_TEMPLATES)
    )
    company = template.company if template is not None else _company_from(request, companies)
    if not has_perm(request.user, Perm.MANAGE_TEMPLATES, company=company.pk):
        raise NotPermitted()
    initial = (
        {
            "name": template.name,
            "channel": template.channel,
            "kind": template.kind,
            "subject": template.subject,
            "body": template.body,
            "is_active": template.is_active,
            "provider_template_code": template.provider_template_code,
        }
        if template is not None
        else {"channel": Channel.SMS, "kind": Kind.MARKETING, "is_active": True}
    )
    form = TemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if template is None:
                data.pop("is_active")
                template = services.template_create(by=request.user, company=company, **data)
            else:
                template = services.template_update(by=request.user, template=template, **data)
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            form.add_service_error(exc)
        else:
            flash.success(request, _("Template saved."))
            return redirect("messaging:template_edit", template.pk)
    values = form.data if form.is_bound else initial
    preview = selectors.template_preview(
        request.user,
        company=company,
        body=values.get("body", ""),
        channel=values.get("channel", Channel.SMS),
        kind=values.get("kind", Kind.MARKETING),
    )
    return render(
        request,
        "messaging/template_form.html",
        {
            "form": form,
            "template": template,
            "company": company,
            "companies": companies,
            "preview": preview,
            "provider_text": provider_text(values),
            "fields": selectors.fields_table(),
            "tab": "templates",
        },
        status=400 if request.method == "POST" else 200,
    )


def provider_text(values) -> str:
    """An SMS template's text as the provider registers it ({称呼} → ${chenghu}), MSG-5."""
    from .gateways.aliyun import provider_template_text

    if values.get("channel", Channel.SMS) != Channel.SMS or not values.get("body"):
        return ""
    return provider_template_text(values.get("body", ""), values.get("kind", Kind.MARKETING))


@login_required
def template_new(request):
    return _template_page(request)


@login_required
def template_edit(request, template_id):
    return _template_page(request, template=selectors.template_detail(request.user, template_id))


@login_required
@require_POST
def template_preview(request):
    """htmx: the text as it will be sent, its length and segments, while the author types."""
    companies = _companies_with(request.user, Perm.MANAGE_TEMPLATES)
    company = _company_from(request, companies)
    picked = PreviewCustomerForm(request.POST)
    customer_id = picked.cleaned_data.get("customer") if picked.is_valid() else None
    channel = request.POST.get("channel")
    kind = request.POST.get("kind")
    preview = selectors.template_preview(
        request.user,
        company=company,
        body=request.POST.get("body", "")[:5000],
        channel=channel if channel in Channel.values else Channel.SMS,
        kind=kind if kind in Kind.values else Kind.MARKETING,
        customer_id=customer_id,
    )
    return render(request, "messaging/_preview.html", {"preview": preview})


# --- consent -----------------------------------------------------------------------------------


@login_required
def consent(request):
    """Record an opt-out/opt-in and look up the consent history of an address (masked)."""
    selectors.require_messaging(request.user)
    lookup = ConsentLookupForm(prefix="lookup")
    change = ConsentChangeForm(prefix="change")
    history = None
    status = 200
    if request.method == "POST" and "lookup-address" in request.POST:
        lookup = ConsentLookupForm(request.POST, prefix="lookup")
        if lookup.is_valid():
            try:
                history = selectors.consent_history(request.user, **lookup.cleaned_data)
            except ApplicationError as exc:
                if exc.status_code == 403:
                    raise
                lookup.add_service_error(exc)
            else:
                lookup = ConsentLookupForm(prefix="lookup")  # the number is not echoed back
        status = 200 if history is not None else 400
    elif request.method == "POST":
        change = ConsentChangeForm(request.POST, prefix="change")
        if change.is_valid():
            data = change.cleaned_data
            action = services.opt_out if data["action"] == "opt_out" else services.opt_in
            try:
                done = action(
                    by=request.user,
                    channel=data["channel"],
                    address=data["address"],
                    note=data["note"],
                )
            except ApplicationError as exc:
                if exc.status_code == 403 and data["action"] == "opt_out":
                    raise
                change.add_service_error(exc if exc.status_code != 403 else _refusal())
            else:
                flash.success(
                    request,
                    _("Consent recorded.") if done else _("Nothing changed: it was so already."),
                )
                return redirect("messaging:consent")
        status = 400
    return render(
        request,
        "messaging/consent.html",
        {
            "lookup": lookup,
            "change": change,
            "history": history,
            "recent": selectors.recent_consent_changes(request.user),
            "mask": services.mask_address,
            "tab": "consent",
        },
        status=status,
    )


def _refusal():
    return ApplicationError(_("Only staff who run campaigns may opt an address in again."))


# --- settings and the development gateway --------------------------------------------------------


@login_required
def settings_page(request):
    companies = _companies_with(request.user, Perm.MANAGE_TEMPLATES)
    company = _company_from(request, companies)
    current = services.messaging_settings_for(company)
    initial = {
        "quiet_start": current.quiet_start,
        "quiet_end": current.quiet_end,
        "signature": current.signature,
        "email_from_name": current.email_from_name,
    }
    form = MessagingSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.messaging_settings_update(
                by=request.user, company=company, **form.cleaned_data
            )
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            form.add_service_error(exc)
        else:
            flash.success(request, _("Messaging settings saved."))
            return redirect(f"{request.path}?company={company.pk}")
    return render(
        request,
        "messaging/settings.html",
        {
            "form": form,
            "company": company,
            "companies": companies,
            "signature": services.signature_for(company),
            "gateways": {c: configured_name(c) for c in Channel.values},
            "tab": "settings",
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def dev_outbox(request):
    """What the development gateway "sent" (MSG-5): the demo visibly sends."""
    selectors.require_messaging(request.user)
    return render(
        request,
        "messaging/dev_outbox.html",
        {
            "entries": selectors.dev_outbox_entries(request.user),
            "gateways": {c: configured_name(c) for c in Channel.values},
            "tab": "dev",
        },
    )
