"""The sales-change request form (SUB-5): one form, its fields following the kind chosen
(the page swaps them with htmx when the kind changes)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.core.validation import MAX_MONEY, NOTE_MAX_LENGTH
from anju.customers.filters import BoundedModelChoiceField
from anju.reception.forms import BootstrapForm

from .change_selectors import available_units_for, change_candidates
from .models import ChangeKind, PaymentMethod


class _CustomerChoice(BoundedModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.code}"


class _UnitChoice(BoundedModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj} · {obj.list_price:,} {_('yuan')}"


def _money_field(label, **kwargs):
    return forms.DecimalField(
        label=label, min_value=0, max_value=MAX_MONEY, decimal_places=2, max_digits=14, **kwargs
    )


class SalesChangeForm(BootstrapForm):
    # service field → form field, for the service's errors
    field_aliases = {"unit_id": "unit", "customer_id": "customer", "co_buyer_ids": "customer"}

    kind = forms.ChoiceField(label=_("Change"), choices=ChangeKind.choices)
    reason = forms.CharField(
        label=_("Reason"), max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, data=None, *, user, subscription, kind=None):
        super().__init__(data)
        kind = kind if kind in ChangeKind.values else ChangeKind.CHANGE_UNIT
        self.chosen_kind = kind
        self.fields["kind"].initial = kind
        if kind == ChangeKind.CHANGE_UNIT:
            self.fields["unit"] = _UnitChoice(
                label=_("New unit"), queryset=available_units_for(user, subscription)
            )
        elif kind in (ChangeKind.RENAME, ChangeKind.ADD_CO_BUYER, ChangeKind.REMOVE_CO_BUYER):
            label = {
                ChangeKind.RENAME: _("New buyer"),
                ChangeKind.ADD_CO_BUYER: _("Co-buyer to add"),
                ChangeKind.REMOVE_CO_BUYER: _("Co-buyer to remove"),
            }[kind]
            self.fields["customer"] = _CustomerChoice(
                label=label, queryset=change_candidates(user, subscription, kind)
            )
            if kind == ChangeKind.RENAME:
                self.fields["keep_old_buyer"] = forms.BooleanField(
                    label=_("The old buyer stays a co-buyer"), required=False
                )
        elif kind == ChangeKind.PRICE_ADJUSTMENT:
            self.fields["final_price"] = _money_field(_("New price (CNY)"))
        elif kind == ChangeKind.CANCELLATION:
            self.fields["refund_amount"] = _money_field(_("Refund (CNY)"), initial=0)
            self.fields["refund_method"] = forms.ChoiceField(
                label=_("Refunded by"),
                choices=[("", "—"), *PaymentMethod.choices],
                required=False,
            )
            self.fields["refund_receipt_no"] = forms.CharField(
                label=_("Refund receipt number"), max_length=40, required=False
            )
        self._style_new_fields()  # BootstrapForm styled only the fields it was built with

    def _style_new_fields(self):
        for name, field in self.fields.items():
            if name in ("kind", "reason"):
                continue
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()

    def details(self) -> dict:
        """The service's keyword arguments for the kind (after ``is_valid``)."""
        data = self.cleaned_data
        if self.chosen_kind == ChangeKind.CHANGE_UNIT:
            return {"unit": data["unit"]}
        if self.chosen_kind == ChangeKind.RENAME:
            return {"customer": data["customer"], "keep_old_buyer": data["keep_old_buyer"]}
        if self.chosen_kind in (ChangeKind.ADD_CO_BUYER, ChangeKind.REMOVE_CO_BUYER):
            return {"customer": data["customer"]}
        if self.chosen_kind == ChangeKind.PRICE_ADJUSTMENT:
            return {"final_price": data["final_price"]}
        return {
            "refund_amount": data["refund_amount"],
            "refund_method": data["refund_method"],
            "refund_receipt_no": data["refund_receipt_no"],
        }
