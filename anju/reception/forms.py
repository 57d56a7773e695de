"""Reception forms: input shapes only. The rules live in services; their refusals come back
as ApplicationError and are put on the matching field by ``add_service_error``."""

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.core.forms import CleanTextMixin
from anju.customers.models import Gender, Source
from anju.customers.sources import source_choices

from .models import OPEN_STAGES, Stage, TaskKind

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
DATETIME_SECONDS_FORMAT = "%Y-%m-%dT%H:%M:%S"


def _datetime_widget(with_seconds=False):
    return forms.DateTimeInput(
        attrs={"type": "datetime-local", **({"step": "1"} if with_seconds else {})},
        format=DATETIME_SECONDS_FORMAT if with_seconds else DATETIME_FORMAT,
    )


def now_local(with_seconds=False):
    now = timezone.localtime()
    return now.replace(microsecond=0) if with_seconds else now.replace(second=0, microsecond=0)


class BootstrapForm(CleanTextMixin, forms.Form):
    """Adds Bootstrap 5 classes to every widget; refuses control characters in text."""

    field_aliases: dict = {}  # service field name → form field name

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(
                widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect
            ):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            if css:
                widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()

    def add_service_error(self, exc):
        """Show an ApplicationError on its field, or on the form if the field is not here."""
        name = self.field_aliases.get(exc.field, exc.field)
        if name in self.fields:
            self.add_error(name, str(exc.message))
        else:
            self.add_error(None, str(exc.message))


GENDER_CHOICES = [
    (Gender.MALE, _("Mr")),
    (Gender.FEMALE, _("Ms")),
    (Gender.UNKNOWN, _("Unknown")),
]


class ProjectChoiceMixin:
    def set_projects(self, projects):
        self.fields["project"].queryset = projects
        if len(projects) == 1:
            self.fields["project"].initial = projects[0].pk
            self.fields["project"].empty_label = None


class KnownCustomerMixin:
    """Started from a customer's 360° page (``?customer=<id>``, SAL-6): the customer is not
    retyped, and his number never reaches the page — the form has no phone or name field
    and the service gets them from the customer."""

    customer = None

    def use_customer(self, customer):
        self.customer = customer
        for name in ("phone", "name", "gender", "details_declined", "source"):
            self.fields.pop(name, None)

    def clean(self):
        data = super().clean()
        if self.customer is not None:
            data["phone"] = self.customer.phone
            data["name"] = self.customer.name
            data["gender"] = self.customer.gender or Gender.UNKNOWN
            data["details_declined"] = False
            data["source"] = self.customer.source or data.get("source")
        return data


class FormOpenedMixin:
    """Records when the form was opened (issue 9 item 6): a hidden field stamped on display.

    The reception measures (rings, arrival, reception start) are never prefilled: saving an
    untouched form must not meet the standards. What the consultant leaves blank is stored as
    not recorded and shown as missing in the metrics.
    """

    def stamp_opened(self):
        self.fields["form_opened_at"].initial = lambda: now_local(True)


class HiddenDateTimeInput(forms.DateTimeInput):
    input_type = "hidden"


def _form_opened_field():
    return forms.DateTimeField(
        required=False,
        widget=HiddenDateTimeInput(format=DATETIME_SECONDS_FORMAT),
        input_formats=[DATETIME_SECONDS_FORMAT, DATETIME_FORMAT],
    )


class CallForm(KnownCustomerMixin, FormOpenedMixin, ProjectChoiceMixin, BootstrapForm):
    """来电登记: quick to fill, but the measures of the reception standards are entered, not
    defaulted (issue 9 item 6)."""

    field_aliases = {"duration_seconds": "duration_minutes", "consultant": "project"}

    project = forms.ModelChoiceField(label=_("Project"), queryset=None)
    called_at = forms.DateTimeField(label=_("Call time"), widget=_datetime_widget())
    phone = forms.CharField(label=_("Caller's number"), max_length=30, required=False)
    name = forms.CharField(label=_("Caller's name"), max_length=50, required=False)
    gender = forms.ChoiceField(
        label=_("Salutation"),
        choices=GENDER_CHOICES,
        initial=Gender.UNKNOWN,
        widget=forms.RadioSelect,
    )
    details_declined = forms.BooleanField(
        label=_("Caller declined to give details"), required=False
    )
    source = forms.ChoiceField(
        label=_("How did the caller hear of us?"), choices=(), initial=Source.HOTLINE
    )
    form_opened_at = _form_opened_field()
    rings = forms.IntegerField(
        label=_("Rings before answer"),
        min_value=0,
        max_value=99,
        required=False,
        help_text=_("Blank = not recorded."),
    )
    answer_seconds = forms.IntegerField(
        label=_("Seconds to answer"), min_value=0, max_value=3600, required=False
    )
    duration_minutes = forms.DecimalField(
        label=_("Call duration (minutes)"),
        min_value=Decimal("0"),
        max_value=Decimal("1440"),
        decimal_places=1,
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.5"}),
    )
    questions = forms.CharField(
        label=_("Questions asked"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )
    visit_wanted = forms.BooleanField(label=_("Wants to visit"), required=False)
    visit_booked_for = forms.DateTimeField(
        label=_("Visit booked for"), required=False, widget=_datetime_widget()
    )

    def __init__(self, *args, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_projects(projects)
        self.fields["called_at"].initial = now_local
        # the companies' own lists of channels (issue 9 item 12)
        self.fields["source"].choices = source_choices({p.company_id for p in projects})
        self.stamp_opened()

    def service_kwargs(self):
        d = self.cleaned_data
        duration = d["duration_minutes"]
        return {
            "project": d["project"],
            "called_at": d["called_at"],
            "form_opened_at": d["form_opened_at"],
            "phone": d["phone"],
            "name": d["name"],
            "gender": d["gender"],
            "source": d["source"],
            "details_declined": d["details_declined"],
            "rings": d["rings"],
            "answer_seconds": d["answer_seconds"],
            "duration_seconds": None if duration is None else int(round(duration * 60)),
            "questions": d["questions"],
            "visit_wanted": d["visit_wanted"],
            "visit_booked_for": d["visit_booked_for"],
        }


class VisitForm(FormOpenedMixin, BootstrapForm):
    """来访登记 with the project's risk factors as a checklist (SAL-3).

    Arrival and reception start are entered or stamped with the 客户到访 / 开始接待 buttons,
    never prefilled (issue 9 item 6); a blank reception start is "not recorded"."""

    project = forms.IntegerField(widget=forms.HiddenInput)
    form_opened_at = _form_opened_field()
    # A customer found by the search (issue 9 item 10); else phone and name register one.
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)
    phone = forms.CharField(label=_("Mobile number"), max_length=30, required=False)
    name = forms.CharField(label=_("Customer's name"), max_length=50, required=False)
    gender = forms.ChoiceField(  # not shown once a customer was found
        label=_("Salutation"),
        choices=GENDER_CHOICES,
        initial=Gender.UNKNOWN,
        required=False,
        widget=forms.RadioSelect,
    )
    source = forms.ChoiceField(
        label=_("How did the customer hear of us?"),
        choices=(),
        initial=Source.WALK_BY,
    )
    party_size = forms.IntegerField(label=_("Party size"), min_value=1, max_value=50, initial=1)
    arrived_at = forms.DateTimeField(label=_("Arrival"), widget=_datetime_widget(True))
    reception_started_at = forms.DateTimeField(
        label=_("Reception started"), required=False, widget=_datetime_widget(True)
    )
    booked_call = forms.TypedChoiceField(
        label=_("Booked by the call"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Blank: the call that booked a visit for today, if any."),
    )
    units_shown = forms.TypedMultipleChoiceField(
        label=_("Units shown"),
        required=False,
        coerce=int,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    layouts_shown = forms.MultipleChoiceField(
        label=_("Layouts shown"), required=False, widget=forms.CheckboxSelectMultiple
    )
    products_shown = forms.CharField(
        label=_("Other products shown (note)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 1}),
    )
    risk_factors = forms.MultipleChoiceField(
        label=_("Risk factors disclosed"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    club_invited = forms.BooleanField(label=_("Invited to join the club"), required=False)
    next_step = forms.CharField(label=_("Next step"), required=False, max_length=300)

    def __init__(
        self, *args, project, risk_factors, units=(), layouts=(), booked_calls=(), **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.fields["project"].initial = project.pk
        self.fields["source"].choices = source_choices([project.company_id])
        self.fields["risk_factors"].choices = [(str(f.pk), f.title) for f in risk_factors]
        self.fields["units_shown"].choices = _units_by_building(units)
        self.fields["layouts_shown"].choices = [(layout, layout) for layout in layouts]
        self.fields["booked_call"].choices = [("", "—")] + [
            (
                call.pk,
                _("%(when)s call, visit booked for %(booked)s")
                % {
                    "when": timezone.localtime(call.called_at).strftime("%m-%d %H:%M"),
                    "booked": timezone.localtime(call.visit_booked_for).strftime("%m-%d %H:%M"),
                },
            )
            for call in booked_calls
        ]
        self.booked_call_objects = {call.pk: call for call in booked_calls}
        today = timezone.localdate()
        for call in booked_calls:  # the call that booked today's visit, preselected
            if timezone.localtime(call.visit_booked_for).date() == today:
                self.fields["booked_call"].initial = call.pk
                break
        self.stamp_opened()
        self.risk_factor_objects = {str(f.pk): f for f in risk_factors}

    def service_kwargs(self):
        d = self.cleaned_data
        return {
            "phone": d["phone"],
            "name": d["name"],
            "gender": d["gender"] or Gender.UNKNOWN,
            "source": d["source"],
            "party_size": d["party_size"],
            "arrived_at": d["arrived_at"],
            "reception_started_at": d["reception_started_at"],
            "form_opened_at": d["form_opened_at"],
            "products_shown": d["products_shown"],
            "units_shown": d["units_shown"],
            "layouts_shown": d["layouts_shown"],
            "booked_call": self.booked_call_objects.get(d["booked_call"]),
            "risk_factors": [int(x) for x in d["risk_factors"]],
            "club_invited": d["club_invited"],
            "next_step": d["next_step"],
        }


def _units_by_building(units):
    """Choices grouped by building (optgroups): 1栋 → 1栋-1201, 1栋-1202 …"""
    groups: dict = {}
    for unit in units:
        label = f"{unit.number} · {unit.layout}" if unit.layout else unit.number
        groups.setdefault(unit.building.name, []).append((unit.pk, label))
    return list(groups.items())


class TaskCompleteForm(BootstrapForm):
    outcome = forms.CharField(label=_("Outcome"), required=False, max_length=2000)
    satisfaction = forms.TypedChoiceField(
        label=_("Satisfaction"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—")] + [(i, str(i)) for i in range(1, 6)],
    )
    needs_changed = forms.NullBooleanField(
        label=_("Needs changed"),
        required=False,
        widget=forms.Select(choices=[("unknown", "—"), ("true", _("Yes")), ("false", _("No"))]),
    )


class TaskCancelForm(BootstrapForm):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=500)


class OpportunityForm(ProjectChoiceMixin, BootstrapForm):
    project = forms.ModelChoiceField(label=_("Project"), queryset=None)
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)
    phone = forms.CharField(
        label=_("Customer's mobile number"),
        max_length=30,
        required=False,
        help_text=_("The customer must be registered (by a call or a visit) first."),
    )
    products_of_interest = forms.CharField(label=_("Products of interest"), max_length=300)
    expected_value = forms.DecimalField(
        label=_("Expected value (CNY)"),
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
    )
    stage = forms.ChoiceField(
        label=_("Stage"),
        choices=[(s.value, s.label) for s in OPEN_STAGES],
        initial=Stage.CONTACT,
    )
    expected_close = forms.DateField(
        label=_("Expected close"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_projects(projects)


class StageForm(BootstrapForm):
    stage = forms.ChoiceField(label=_("Stage"), choices=[(s.value, s.label) for s in OPEN_STAGES])


class CloseForm(BootstrapForm):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("won", _("Won")), ("lost", _("Lost"))],
        widget=forms.RadioSelect,
    )
    win_reason = forms.ChoiceField(label=_("Why was it won?"), required=False)
    loss_reason = forms.ChoiceField(label=_("Why was it lost?"), required=False)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    field_aliases = {"reason": "__reason__"}

    def __init__(self, *args, win_reasons, loss_reasons, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["win_reason"].choices = [("", "—")] + [(str(r.pk), r.name) for r in win_reasons]
        self.fields["loss_reason"].choices = [("", "—")] + [
            (str(r.pk), r.name) for r in loss_reasons
        ]

    def add_service_error(self, exc):
        if exc.field == "reason":
            won = self.cleaned_data.get("outcome") == "won"
            self.add_error("win_reason" if won else "loss_reason", str(exc.message))
        else:
            super().add_service_error(exc)

    def service_kwargs(self):
        d = self.cleaned_data
        won = d["outcome"] == "won"
        return {
            "won": won,
            "reason": d["win_reason"] if won else d["loss_reason"],
            "note": d["note"],
        }


class PeriodForm(BootstrapForm):
    """Filters of the analysis pages: a project and a date range (defaults: last 90 days)."""

    project = forms.ModelChoiceField(label=_("Project"), queryset=None, required=False)
    date_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects
        self.fields["project"].empty_label = _("All projects")

    def filters(self):
        if not self.is_valid():
            return {}
        d = self.cleaned_data
        if d.get("date_from") and d.get("date_to") and d["date_from"] > d["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
            return {}
        return {k: d.get(k) for k in ("project", "date_from", "date_to")}


class RiskFactorForm(BootstrapForm):
    title = forms.CharField(label=_("Adverse factor"), max_length=200)
    description = forms.CharField(
        label=_("What to tell the customer"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    sort_order = forms.IntegerField(label=_("Order"), min_value=0, max_value=999, initial=0)


class ReasonForm(BootstrapForm):
    won = forms.TypedChoiceField(
        label=_("Kind"),
        choices=[("0", _("Loss reason")), ("1", _("Win reason"))],
        coerce=lambda v: v == "1",
    )
    name = forms.CharField(label=_("Reason"), max_length=100)
    sort_order = forms.IntegerField(label=_("Order"), min_value=0, max_value=999, initial=0)


class TaskAddForm(BootstrapForm):
    """A follow-up planned from the customer's page (SAL-6): what, when, which kind."""

    KINDS = [
        (TaskKind.CALL, _("Call")),
        (TaskKind.REVISIT, _("Revisit")),
        (TaskKind.VISIT_CONFIRMATION, _("Visit confirmation call")),
        (TaskKind.SMS, _("SMS")),
    ]
    title = forms.CharField(label=_("Task"), max_length=200)
    due_date = forms.DateField(
        label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=KINDS, initial=TaskKind.CALL)
    message = forms.CharField(
        label=_("Details"), required=False, max_length=2000, widget=forms.Textarea({"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["due_date"].initial = lambda: timezone.localdate() + timedelta(days=1)


class FollowUpSettingsForm(BootstrapForm):
    """A company's timings of the follow-up rules (issue 9 item 7); bounds from the model."""

    FIELDS = (
        "confirmation_days_before",
        "invitation_days",
        "no_intent_days",
        "post_visit_days",
        "subscription_revisit_days",
        "signing_revisit_days",
    )

    def __init__(self, *args, **kwargs):
        from .models import FollowUpSettings

        super().__init__(*args, **kwargs)
        for name in self.FIELDS:
            model_field = FollowUpSettings._meta.get_field(name)
            low = next(v.limit_value for v in model_field.validators if v.code == "min_value")
            high = next(v.limit_value for v in model_field.validators if v.code == "max_value")
            self.fields[name] = forms.IntegerField(
                label=model_field.verbose_name, min_value=low, max_value=high
            )
