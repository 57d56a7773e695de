"""The club's forms: thin, the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.reception.forms import BootstrapForm

from .models import MAX_POINTS, MemberType, TierTrigger


class JoinForm(BootstrapForm):
    member_type = forms.ChoiceField(label=_("Member type"), choices=MemberType.choices)
    family_of = forms.ModelChoiceField(
        label=_("Relative who is a member"),
        queryset=None,
        required=False,
        help_text=_("Only for a family member: a related customer (CUS-7) who is a member."),
    )

    def __init__(self, *args, relatives, **kwargs):
        """``relatives``: the customer's family relations who are members, as the user sees
        them (``selectors.member_relatives``)."""
        super().__init__(*args, **kwargs)
        self.fields["family_of"].queryset = relatives
        self.fields["family_of"].label_from_instance = lambda c: f"{c.name} · {c.code}"


class RedeemGiftForm(BootstrapForm):
    gift = forms.ModelChoiceField(label=_("Gift"), queryset=None)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=100, initial=1)

    def __init__(self, *args, gifts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gift"].queryset = gifts
        self.fields["gift"].label_from_instance = lambda g: (
            _("%(name)s · %(points)s points · %(stock)s left")
            % {"name": g.name, "points": g.points_cost, "stock": g.stock}
        )


class RedeemOffsetForm(BootstrapForm):
    points = forms.IntegerField(label=_("Points"), min_value=1, max_value=MAX_POINTS)
    reference = forms.CharField(
        label=_("For"),
        max_length=80,
        help_text=_("What the offset is for, e.g. the subscription number."),
    )


class AdjustForm(BootstrapForm):
    points = forms.IntegerField(
        label=_("Points (+ or −)"), min_value=-MAX_POINTS, max_value=MAX_POINTS
    )
    note = forms.CharField(label=_("Reason"), max_length=200)


class ReverseForm(BootstrapForm):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class TierRequestForm(BootstrapForm):
    tier = forms.ModelChoiceField(label=_("New tier"), queryset=None)
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, tiers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].queryset = tiers


class TierForm(BootstrapForm):
    """One tier's row on the configuration page (prefix = the tier's id)."""

    name = forms.CharField(label=_("Name"), max_length=30)
    rank = forms.IntegerField(label=_("Order"), min_value=0, max_value=999)
    discount_rate = forms.DecimalField(
        label=_("Subscription discount rate"),
        min_value=0,
        max_value=1,
        max_digits=5,
        decimal_places=4,
    )


class RuleForm(BootstrapForm):
    trigger = forms.ChoiceField(choices=TierTrigger.choices, widget=forms.HiddenInput)
    tier = forms.ModelChoiceField(label=_("Raise to"), queryset=None)
    is_active = forms.BooleanField(label=_("Active"), required=False)

    def __init__(self, *args, tiers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].queryset = tiers


class SettingsForm(BootstrapForm):
    referral_visit_points = forms.IntegerField(
        label=_("Points for a referred friend's first visit"), min_value=0, max_value=MAX_POINTS
    )
    points_expire = forms.BooleanField(label=_("Points expire"), required=False)
    expiry_years = forms.IntegerField(
        label=_("Expire at the end of the calendar year this many years after the credit"),
        min_value=0,
        max_value=10,
    )
    points_per_yuan = forms.IntegerField(
        label=_("Points per yuan of price offset"), min_value=1, max_value=10_000
    )


class GiftForm(BootstrapForm):
    name = forms.CharField(label=_("Name"), max_length=60)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    points_cost = forms.IntegerField(label=_("Points"), min_value=1, max_value=MAX_POINTS)
    stock = forms.IntegerField(label=_("In stock"), min_value=0, max_value=1_000_000)


class GiftCreateForm(GiftForm):
    company = forms.ModelChoiceField(label=_("Company"), queryset=None)

    def __init__(self, *args, companies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = companies


class GiftEditForm(BootstrapForm):
    """A catalogue row's edit: the stock moves by a number added (or taken away), never by
    an absolute count read earlier (redemptions take from it meanwhile)."""

    name = forms.CharField(label=_("Name"), max_length=60)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    points_cost = forms.IntegerField(label=_("Points"), min_value=1, max_value=MAX_POINTS)
    restock = forms.IntegerField(
        label=_("Add to stock"),
        required=False,
        min_value=-1_000_000,
        max_value=1_000_000,
        help_text=_("Received: a positive number; written off: a negative one."),
    )
    is_active = forms.BooleanField(label=_("Offered"), required=False)

    def clean_restock(self):
        return self.cleaned_data.get("restock") or 0
