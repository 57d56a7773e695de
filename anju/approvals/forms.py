from django import forms
from django.utils.translation import gettext_lazy as _

from anju.core.forms import CleanTextMixin
from anju.core.validation import NOTE_MAX_LENGTH


class DecisionForm(CleanTextMixin, forms.Form):
    APPROVE = "approve"
    REJECT = "reject"

    decision = forms.ChoiceField(
        label=_("Decision"), choices=[(APPROVE, _("Approve")), (REJECT, _("Reject"))]
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when rejecting: the requester is told why."),
    )
