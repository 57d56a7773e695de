"""Customer forms: they only shape input; rules live in services (validate_profile etc.)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.core.forms import CleanTextMixin

from .models import (
    Customer,
    Gender,
    Grade,
    LifeStage,
    PaymentAbility,
    Purpose,
    RelationKind,
    Source,
)
from .services import PROFILE_FIELDS_ORDERED
from .sources import source_choices, source_names

PROFILE_FORM_FIELDS = ["name", *(f for f in PROFILE_FIELDS_ORDERED if f != "referrer")]

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _blank(choices, label="—"):
    return [("", label), *choices]


class CustomerRegisterForm(CleanTextMixin, forms.Form):
    """The quick registration a consultant fills in at the desk (CUS-1, CUS-3)."""

    phone = forms.CharField(label=_("Mobile phone"), max_length=30)
    name = forms.CharField(label=_("Name"), max_length=50)
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices, initial=Gender.UNKNOWN)
    project = forms.ModelChoiceField(label=_("Project"), queryset=None)
    source = forms.ChoiceField(label=_("Source channel"), choices=(), initial=Source.OTHER)
    grade = forms.ChoiceField(
        label=_("Intention grade"), choices=_blank(Grade.choices), required=False
    )
    layout_wanted = forms.CharField(label=_("Layout wanted"), max_length=50, required=False)
    budget_max = forms.DecimalField(
        label=_("Budget up to (CNY)"), max_digits=14, decimal_places=2, required=False, min_value=0
    )

    def __init__(self, *args, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects
        if projects.count() == 1:
            self.fields["project"].initial = projects.first()
        # the companies' own lists (issue 9 item 12); the service checks the project's company
        self.fields["source"].choices = source_choices({p.company_id for p in projects})


class CustomerEditForm(CleanTextMixin, forms.ModelForm):
    class Meta:
        model = Customer
        fields = PROFILE_FORM_FIELDS
        widgets = {"birth_date": DATE_INPUT}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("purpose", "grade", "life_stage", "payment_ability"):
            field = self.fields[name]
            field.required = False
        self.fields["purpose"].choices = _blank(Purpose.choices)
        self.fields["grade"].choices = _blank(Grade.choices)
        self.fields["life_stage"].choices = _blank(LifeStage.choices)
        self.fields["payment_ability"].choices = _blank(PaymentAbility.choices)
        # the company's active channels, and the customer's own even if it was retired
        company_id = self.instance.company_id
        choices = source_choices([company_id])
        current = self.instance.source
        if current and current not in dict(choices):
            choices.append((current, source_names(company_id).get(current, current)))
        self.fields["source"] = forms.ChoiceField(
            label=self.fields["source"].label, choices=choices
        )


class RelationForm(CleanTextMixin, forms.Form):
    related = forms.CharField(label=_("Customer code or phone"), max_length=30)
    kind = forms.ChoiceField(label=_("Relation"), choices=RelationKind.choices)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class MergeForm(CleanTextMixin, forms.Form):
    duplicate = forms.CharField(label=_("Code or phone of the duplicate"), max_length=30)
    reason = forms.CharField(label=_("Why are they the same person?"), max_length=200)


class ReassignAllForm(CleanTextMixin, forms.Form):
    from_user = forms.ModelChoiceField(label=_("From consultant"), queryset=None)
    to_user = forms.ModelChoiceField(label=_("To consultant"), queryset=None)
    reason = forms.CharField(
        label=_("Reason"), max_length=200, initial=_("Consultant left the company")
    )

    def __init__(self, *args, owners, receivers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_user"].queryset = owners
        self.fields["to_user"].queryset = receivers


class HandOverForm(CleanTextMixin, forms.Form):
    """One customer to another consultant (CUS-4): the manager's answer to a protection clash."""

    to_user = forms.ModelChoiceField(label=_("Hand over to"), queryset=None)
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, receivers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = receivers


class NoteForm(CleanTextMixin, forms.Form):
    """备注 on the 360° page (SAL-6)."""

    text = forms.CharField(
        label=_("Note"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )
