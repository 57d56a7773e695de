from django import forms
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _

from .models import ApiToken
from .validation import control_character_error


class CleanTextMixin:
    """Refuse control characters in every text field of a form, as a field error (issue 7
    item 4, SEC-4): the user sees which field, not a 400 page. Multi-line (Textarea)
    fields may hold line breaks and tabs; single-line fields may not. Put it first in the
    bases: ``class MyForm(CleanTextMixin, forms.Form)``.
    """

    def full_clean(self):
        super().full_clean()
        if not self.is_bound or not hasattr(self, "cleaned_data"):
            return
        for name, value in list(self.cleaned_data.items()):
            field = self.fields.get(name)
            if field is None or not isinstance(value, str):
                continue
            message = control_character_error(
                value, multiline=isinstance(field.widget, forms.Textarea)
            )
            if message:
                self.add_error(name, message)


class ApiTokenForm(CleanTextMixin, forms.Form):
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

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_password(self):
        """Through ``authenticate``, so django-axes counts a wrong password here like a
        failed login and a locked-out account cannot mint tokens either."""
        password = self.cleaned_data["password"]
        user = self.request.user
        again = authenticate(self.request, username=user.get_username(), password=password)
        if again is None or again.pk != user.pk:
            raise forms.ValidationError(
                _("The password is not correct: enter your current password to create a token.")
            )
        return password
