"""Forms of the signing, payment and reminder pages: input shapes only, the services decide
(their refusals come back on the matching field through ``add_service_error``)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.core.validation import MAX_MONEY
from anju.reception.forms import BootstrapForm

from .models import REMINDER_TEXT_LENGTH, PaymentMethod, PaymentPlan
from .services.contracts import MAX_DUE_DAYS, MAX_INSTALMENTS

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
INSTALMENT_ROWS = 6  # empty rows shown; "more rows" adds as many, up to MAX_INSTALMENTS


def _money(label, **kwargs):
    return forms.DecimalField(
        label=label, max_digits=14, decimal_places=2, min_value=0, max_value=MAX_MONEY, **kwargs
    )


class ContractSignForm(BootstrapForm):
    payment_plan = forms.ChoiceField(
        label=_("Payment plan"), choices=PaymentPlan.choices, widget=forms.RadioSelect
    )
    signed_on = forms.DateField(label=_("Signed on"), widget=DATE_WIDGET)
    due_days = forms.IntegerField(
        label=_("Due after (days)"),
        required=False,
        min_value=0,
        max_value=MAX_DUE_DAYS,
        help_text=_("One-off payment or down payment: days after signing (default 7)."),
    )
    down_payment = _money(_("Down payment (CNY)"), required=False)
    loan_amount = _money(_("Loan (CNY)"), required=False)
    loan_due_on = forms.DateField(
        label=_("Loan paid out by"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("Default: 90 days after signing."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("signed_on", timezone.localdate())
        super().__init__(*args, **kwargs)


class InstalmentRowForm(BootstrapForm):
    due_date = forms.DateField(label=_("Due"), required=False, widget=DATE_WIDGET)
    amount = _money(_("Amount (CNY)"), required=False)

    def clean(self):
        data = super().clean()
        if (data.get("due_date") is None) != (data.get("amount") is None):
            raise forms.ValidationError(_("Give both the due date and the amount, or neither."))
        return data


InstalmentFormSet = forms.formset_factory(
    InstalmentRowForm, extra=0, max_num=MAX_INSTALMENTS, absolute_max=MAX_INSTALMENTS
)


def instalment_formset(data=None, *, rows=INSTALMENT_ROWS):
    """Bound to ``data``, or ``rows`` empty rows to fill in."""
    if data is not None:
        return InstalmentFormSet(data, prefix="inst")
    return InstalmentFormSet(prefix="inst", initial=[{}] * min(rows, MAX_INSTALMENTS))


def instalment_pairs(formset) -> list[tuple]:
    """The filled rows of a valid formset, in their order."""
    return [
        (f.cleaned_data["due_date"], f.cleaned_data["amount"])
        for f in formset.forms
        if f.cleaned_data.get("due_date") is not None
    ]


class PaymentForm(BootstrapForm):
    DIRECTIONS = [("payment", _("Payment received")), ("refund", _("Refund paid back"))]

    direction = forms.ChoiceField(
        label=_("Record"), choices=DIRECTIONS, initial="payment", widget=forms.RadioSelect
    )
    amount = _money(_("Amount (CNY)"))
    method = forms.ChoiceField(label=_("Paid by"), choices=PaymentMethod.choices)
    paid_on = forms.DateField(label=_("Paid on"), widget=DATE_WIDGET)
    receipt_no = forms.CharField(label=_("Receipt number"), max_length=40, required=False)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        required=False,
        help_text=_("Required for a refund."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("paid_on", timezone.localdate())
        super().__init__(*args, **kwargs)

    def signed_amount(self):
        amount = self.cleaned_data["amount"]
        return -amount if self.cleaned_data["direction"] == "refund" else amount


class ReminderSettingsForm(BootstrapForm):
    enabled = forms.BooleanField(label=_("Send payment reminders"), required=False)
    days_before = forms.IntegerField(
        label=_("Remind before the due date (days)"), min_value=1, max_value=60
    )
    before_text = forms.CharField(
        label=_("Text before the due date"),
        max_length=REMINDER_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    overdue_text = forms.CharField(
        label=_("Text when overdue"),
        max_length=REMINDER_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
