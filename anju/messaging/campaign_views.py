"""Campaign pages (MSG-2, 短信群发): list, new/edit, the review page (counts, sample texts,
cost, approval, send, per-message status), the list's rows and the messages. Thin: reads in
``campaign_selectors``, writes in ``campaign_services``."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.forms import CleanTextMixin
from anju.core.masking import mask_name
from anju.core.pagination import paginate
from anju.core.permissions import has_perm, require_perm
from anju.core.roles import Perm
from anju.customers.filters import CustomerFilter
from anju.org.selectors import companies_visible_to, projects_visible_to

from . import campaign_selectors as selectors
from . import campaign_services as services
from .campaign_sources import _events
from .campaigns import CAMPAIGN_NAME_LENGTH, CampaignStatus, Exclusion, RecipientSource
from .models import BODY_MAX_LENGTH, Channel, Kind, MessageTemplate, Status
from .services import mask_address, signature_for

FILTER_PREFIX = "f"
EXTRA_INPUTS = {
    "活动": "extra_event",
    "日期": "extra_date",
    "时间": "extra_time",
    "地点": "extra_place",
}


class CampaignForm(CleanTextMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Campaign name"), max_length=CAMPAIGN_NAME_LENGTH)
    company = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Company"))
    project = forms.ModelChoiceField(
        queryset=None, required=False, label=gettext_lazy("Project"),
        empty_label=gettext_lazy("The whole company"),
    )  # fmt: skip
    template = forms.ModelChoiceField(
        queryset=None, required=False, label=gettext_lazy("Template"),
        empty_label=gettext_lazy("No template: write the text below"),
    )  # fmt: skip
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=Channel.choices)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Kind.choices)
    subject = forms.CharField(
        label=gettext_lazy("Subject (e-mail)"), max_length=200, required=False
    )
    text = forms.CharField(
        label=gettext_lazy("Text"),
        max_length=BODY_MAX_LENGTH,
        required=False,
        widget=forms.Textarea,
    )
    extra_event = forms.CharField(label="{活动}", max_length=50, required=False)
    extra_date = forms.CharField(label="{日期}", max_length=50, required=False)
    extra_time = forms.CharField(label="{时间}", max_length=50, required=False)
    extra_place = forms.CharField(label="{地点}", max_length=50, required=False)
    source = forms.ChoiceField(
        label=gettext_lazy("Recipients"), choices=RecipientSource.choices,
        widget=forms.RadioSelect, initial=RecipientSource.FILTER,
    )  # fmt: skip
    event = forms.TypedChoiceField(
        label=gettext_lazy("Club event"), coerce=int, required=False, choices=()
    )
    file = forms.FileField(label=gettext_lazy("List (.xlsx or .csv)"), required=False)

    def __init__(self, *args, user, campaign=None, **kwargs):
        super().__init__(*args, **kwargs)
        companies = companies_visible_to(user)
        self.fields["company"].queryset = companies
        if len(companies) == 1:
            self.fields["company"].initial = companies[0].pk
            self.fields["company"].widget = forms.HiddenInput()
        self.fields["project"].queryset = projects_visible_to(user)
        self.fields["template"].queryset = (
            MessageTemplate.objects.visible_to(user).filter(is_active=True).order_by("name")
        )
        self.fields["event"].choices = [("", "—"), *_event_choices(user)]
        if campaign is not None:  # what an edit may change
            for name in ("company", "project"):
                del self.fields[name]

    def extra(self) -> dict:
        return {key: self.cleaned_data.get(name, "") for key, name in EXTRA_INPUTS.items()}


def _event_choices(user):
    try:
        selectors_module, _model = _events()
    except ApplicationError:
        return []
    return [
        (e.pk, f"{e.title} · {e.starts_at:%Y-%m-%d}")
        for e in selectors_module.event_list(user)[:200]
    ]


def _filterset(user, data=None):
    return CustomerFilter(data, user=user, prefix=FILTER_PREFIX)


def _filter_fields(filterset) -> list:
    """The customer filter's fields on the campaign form (archived customers are never sent to)."""
    return [f for f in filterset.form if f.name != "include_archived"]


def _filter_values(request) -> dict:
    """The customer filter's fields as typed on the form (checked by the service)."""
    values = {}
    for name in CustomerFilter.base_filters:
        value = request.POST.get(f"{FILTER_PREFIX}-{name}", "").strip()
        if value:
            values[name] = value
    return values


def _source_params(request, form) -> dict:
    source = form.cleaned_data["source"]
    if source == RecipientSource.FILTER:
        return _filter_values(request)
    if source == RecipientSource.EVENT:
        return {"event": form.cleaned_data.get("event")}
    return {}


def _form_error(form, exc: ApplicationError) -> None:
    field = exc.field if exc.field in form.fields else None
    if exc.field and exc.field.startswith("filters"):
        field = None
    form.add_error(field, exc.message)


def _require_runner(user) -> None:
    if not has_perm(user, Perm.RUN_CAMPAIGNS):
        raise NotPermitted(_("Only staff who run campaigns may prepare one."))


@login_required
def campaign_list(request):
    status = request.GET.get("status", "")
    status = status if status in CampaignStatus.values else ""
    page = paginate(selectors.campaign_list(request.user, status=status), request.GET.get("page"))
    return render(
        request,
        "messaging/campaigns/list.html",
        {
            "page": page,
            "status": status,
            "statuses": CampaignStatus.choices,
            "may_run": has_perm(request.user, Perm.RUN_CAMPAIGNS),
        },
    )


@login_required
def campaign_new(request):
    _require_runner(request.user)
    form = CampaignForm(request.POST or None, request.FILES or None, user=request.user)
    filterset = _filterset(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = services.campaign_create(
                by=request.user,
                company=data["company"],
                project=data["project"],
                name=data["name"],
                channel=data["channel"],
                kind=data["kind"],
                template=data["template"],
                text=data["text"],
                subject=data["subject"],
                extra=form.extra(),
                source=data["source"],
                source_params=_source_params(request, form),
                upload=data["file"] if data["source"] == RecipientSource.UPLOAD else None,
            )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            return redirect("campaigns:detail", campaign_id=campaign.pk)
    return render(
        request,
        "messaging/campaigns/form.html",
        {"form": form, "filter_fields": _filter_fields(filterset), "campaign": None},
    )


@login_required
def campaign_edit(request, campaign_id):
    campaign = selectors.campaign_for(request.user, campaign_id)
    require_perm(
        request.user, Perm.RUN_CAMPAIGNS, company=campaign.company_id, project=campaign.project_id
    )
    initial = {
        "name": campaign.name,
        "template": campaign.template_id,
        "channel": campaign.channel,
        "kind": campaign.kind,
        "subject": campaign.subject,
        "text": campaign.text,
        "source": campaign.source,
        "event": campaign.source_params.get("event"),
        **{name: campaign.extra.get(key, "") for key, name in EXTRA_INPUTS.items()},
    }
    form = CampaignForm(
        request.POST or None, request.FILES or None, user=request.user, campaign=campaign,
        initial=initial,
    )  # fmt: skip
    filter_data = request.POST or {
        f"{FILTER_PREFIX}-{k}": v for k, v in campaign.source_params.items()
    }
    filterset = _filterset(request.user, filter_data if campaign.source == "filter" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {k: data[k] for k in ("name", "channel", "kind", "subject", "text")}
        if data["template"] != campaign.template:
            changes = {"name": data["name"], "template": data["template"]}
        upload = data["file"] if data["source"] == RecipientSource.UPLOAD else None
        try:
            services.campaign_update(
                by=request.user,
                campaign=campaign,
                extra=form.extra(),
                source=data["source"],
                source_params=_source_params(request, form),
                upload=upload,
                **changes,
            )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            return redirect("campaigns:detail", campaign_id=campaign.pk)
    return render(
        request,
        "messaging/campaigns/form.html",
        {"form": form, "filter_fields": _filter_fields(filterset), "campaign": campaign},
    )


def _status_rows(counts) -> list:
    if not counts:
        return []
    return [(key, Status(key).label, counts[key]) for key in selectors.SHOWN_STATUSES]


def _exclusions(counts) -> list:
    return [(value, label, counts.get(value, 0)) for value, label in Exclusion.choices]


@login_required
def campaign_detail(request, campaign_id):
    """The review page: what is sent, to how many, who is left out and why, a sample of the
    final texts with their SMS segments, the cost; then approval, sending and statuses."""
    user = request.user
    campaign = selectors.campaign_for(user, campaign_id)
    generated = campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.GENERATING)
    sample = selectors.campaign_sample(campaign) if generated else []
    signature = len(signature_for(campaign.company)) + 2 if campaign.channel == "sms" else 0
    for row in sample:
        row.shown_address = mask_address(campaign.channel, row.address)
        row.shown_name = mask_name(row.name) if row.name else ""
        row.length = len(row.body) + signature  # what the segments are counted on
    job = campaign.send_job if campaign.status == CampaignStatus.SENDING else None
    if campaign.status == CampaignStatus.GENERATING:
        job = campaign.generate_job
    started = campaign.status in (CampaignStatus.SENDING, CampaignStatus.SENT)
    message_counts = selectors.campaign_message_counts(user, campaign) if started else None
    where = {"company": campaign.company_id, "project": campaign.project_id}
    context = {
        "campaign": campaign,
        "counts": campaign.counts or {},
        "exclusions": _exclusions(campaign.counts or {}),
        "sample": sample,
        "cost": selectors.campaign_cost(campaign),
        "price": services.segment_price(),
        "job": job,
        "reload": True,
        "generate_job": campaign.generate_job,
        "row_errors": (campaign.generate_job.errors or [])[:20] if campaign.generate_job else [],
        "message_counts": message_counts,
        "message_rows": _status_rows(message_counts),
        "may_run": has_perm(user, Perm.RUN_CAMPAIGNS, **where),
        "may_approve": has_perm(user, Perm.APPROVE_CAMPAIGN, **where)
        and user.pk not in (campaign.prepared_by_id, campaign.generated_by_id),
        "S": CampaignStatus,
    }
    return render(request, "messaging/campaigns/detail.html", context)


def _act(request, campaign_id, action, success):
    campaign = selectors.campaign_for(request.user, campaign_id)
    try:
        result = action(campaign)
    except NotPermitted:
        raise  # the 403 page: a refusal is not a message on the campaign
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if success:
            messages.success(request, success(result) if callable(success) else success)
    return redirect("campaigns:detail", campaign_id=campaign.pk)


@login_required
@require_POST
def campaign_generate(request, campaign_id):
    return _act(
        request,
        campaign_id,
        lambda c: services.campaign_generate(by=request.user, campaign=c),
        None,
    )


@login_required
@require_POST
def campaign_submit(request, campaign_id):
    return _act(
        request,
        campaign_id,
        lambda c: services.campaign_submit(by=request.user, campaign=c),
        _("The campaign is awaiting approval."),
    )


@login_required
@require_POST
def campaign_decide(request, campaign_id):
    approve = request.POST.get("decision") == "approve"
    comment = request.POST.get("comment", "")
    return _act(
        request,
        campaign_id,
        lambda c: services.campaign_decide(
            by=request.user, campaign=c, approve=approve, comment=comment
        ),
        _("Approved.") if approve else _("Returned for changes."),
    )


@login_required
@require_POST
def campaign_send(request, campaign_id):
    return _act(
        request,
        campaign_id,
        lambda c: services.campaign_send(by=request.user, campaign=c),
        None,
    )


@login_required
@require_POST
def campaign_retry(request, campaign_id):
    return _act(
        request,
        campaign_id,
        lambda c: services.campaign_retry_failed(by=request.user, campaign=c),
        lambda n: _("%(n)s failed messages are sent again.") % {"n": n},
    )


@login_required
def campaign_recipients(request, campaign_id):
    """The generated list, paged: to send, or left out (by reason)."""
    campaign = selectors.campaign_for(request.user, campaign_id)
    reason = request.GET.get("reason", "")
    reason = reason if reason in Exclusion.values else ""
    status = "excluded" if reason else request.GET.get("status", "")
    status = status if status in ("pending", "excluded", "released") else ""
    rows = selectors.campaign_recipients(campaign, status=status, reason=reason)
    page = paginate(rows, request.GET.get("page"))
    for row in page.object_list:
        row.shown_address = mask_address(campaign.channel, row.address) if row.address else ""
        row.shown_name = mask_name(row.name) if row.name else ""
    return render(
        request,
        "messaging/campaigns/recipients.html",
        {"campaign": campaign, "page": page, "reason": reason, "status": status,
         "reasons": Exclusion.choices, "query": f"status={status}&reason={reason}"},
    )  # fmt: skip


@login_required
def campaign_messages(request, campaign_id):
    """The campaign's outbox rows with their status, paged."""
    campaign = selectors.campaign_for(request.user, campaign_id)
    status = request.GET.get("status", "")
    status = status if status in selectors.SHOWN_STATUSES else ""
    page = paginate(
        selectors.campaign_messages(request.user, campaign, status=status),
        request.GET.get("page"),
    )
    for m in page.object_list:
        m.shown_to = mask_address(m.channel, m.to)
        m.shown_name = mask_name(m.customer.name) if m.customer_id else ""
    return render(
        request,
        "messaging/campaigns/messages.html",
        {"campaign": campaign, "page": page, "status": status,
         "statuses": [(s, Status(s).label) for s in selectors.SHOWN_STATUSES],
         "counts": selectors.campaign_message_counts(request.user, campaign),
         "query": f"status={status}",
         "may_run": has_perm(request.user, Perm.RUN_CAMPAIGNS, company=campaign.company_id,
                             project=campaign.project_id)},
    )  # fmt: skip
