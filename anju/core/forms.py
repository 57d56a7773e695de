from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ApiToken


class ApiTokenForm(forms.Form):
    """A new API token. The user re-enters his password (issue 7 item 12): a session left
    open on a shared computer must not be enough to mint a long-lived credential."""

    name = forms.CharField(label=_("Token name"), max_length=100)
    expires_in_days = forms.TypedChoiceField(
        label=_("Valid for"),
        choices=ApiToken.EXPIRY_CHOICES,
        coerce=int,
        initial=ApiToken.DEFAULT_EXPIRY_DAYS,
    )
    read_only = forms.BooleanField(label=_("Read-only (may only read data)"), required=False)
    password = forms.CharField(
        label=_("Your current password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        strip=False,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                _("The password is not correct: enter your current password to create a token.")
            )
        return password
