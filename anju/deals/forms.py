"""The deals forms: thin, the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.core.validation import MAX_MONEY
from anju.reception.forms import BootstrapForm

from .models import PaymentMethod, PaymentPlan

METHOD_CHOICES = [("", "—"), *PaymentMethod.choices]


def _money_field(label, required=False, **kwargs):
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=0,
        max_value=MAX_MONEY,
        decimal_places=2,
        max_digits=14,
        **kwargs,
    )


class QueueIssueForm(BootstrapForm):
    project = forms.ModelChoiceField(label=_("Project"), queryset=None)
    intention = forms.CharField(
        label=_("Intention"),
        max_length=200,
        required=False,
        help_text=_("Layout, floor, building the customer wants."),
    )
    deposit_amount = _money_field(_("Deposit (诚意金, CNY)"), initial=0)
    deposit_method = forms.ChoiceField(label=_("Paid by"), choices=METHOD_CHOICES, required=False)
    deposit_receipt_no = forms.CharField(label=_("Receipt number"), max_length=40, required=False)

    def __init__(self, *args, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects


class QueueCancelForm(BootstrapForm):
    reason = forms.CharField(label=_("Reason"), max_length=200)
    refund_amount = _money_field(_("Refund (CNY)"))
    refund_method = forms.ChoiceField(
        label=_("Refunded by"), choices=METHOD_CHOICES, required=False
    )
    refund_receipt_no = forms.CharField(
        label=_("Refund receipt number"), max_length=40, required=False
    )


class TermsForm(BootstrapForm):
    payment_plan = forms.ChoiceField(label=_("Payment plan"), choices=PaymentPlan.choices)
    discount_codes = forms.MultipleChoiceField(
        label=_("Discounts"), required=False, widget=forms.CheckboxSelectMultiple
    )
    special_discount = _money_field(_("Special discount (CNY)"), initial=0)
    co_buyers = forms.ModelMultipleChoiceField(
        label=_("Co-buyers"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("People recorded as related to the buyer."),
    )
    points = forms.IntegerField(
        label=_("Points to use"), min_value=0, max_value=100_000_000, initial=0
    )
    relative = forms.ModelChoiceField(
        label=_("A direct relative's tier"),
        queryset=None,
        required=False,
        help_text=_("Spouse, parent or child who does not buy: needs proof and an approval."),
    )
    relative_proof = forms.FileField(label=_("Proof of the relation"), required=False)
    deposit = _money_field(_("Deposit (定金, CNY)"), initial=0)
    sign_by = forms.DateField(
        label=_("Sign by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, discounts, relatives, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["discount_codes"].choices = [(d.code, _discount_label(d)) for d in discounts]
        self.fields["co_buyers"].queryset = relatives
        self.fields["relative"].queryset = relatives
        for name in ("co_buyers", "relative"):
            self.fields[name].label_from_instance = lambda c: f"{c.name} · {c.code}"


class ReasonForm(BootstrapForm):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class LaunchOpenForm(BootstrapForm):
    name = forms.CharField(label=_("Name"), max_length=60, required=False)
    buildings = forms.ModelMultipleChoiceField(
        label=_("Buildings on sale"), queryset=None, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, buildings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["buildings"].queryset = buildings


class DocumentTemplateForm(BootstrapForm):
    title = forms.CharField(label=_("Title"), max_length=60)
    body = forms.CharField(
        label=_("Text"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 24, "class": "font-monospace"}),
        help_text=_(
            "{Field} inserts a value; a line '# ' is a heading; a block field alone on its line."
        ),
    )


def _discount_label(discount) -> str:
    """一次性付款优惠 · 1% (until 2026-12-31): what the consultant needs to choose."""
    from anju.core.templatetags.anju import money, share

    value = share(discount.value) if discount.kind == "rate" else money(discount.value, 0)
    label = f"{discount.name} · {value}"
    if discount.valid_to:
        label += f" ({_('until')} {discount.valid_to:%Y-%m-%d})"
    return label
