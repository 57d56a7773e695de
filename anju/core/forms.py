from django import forms
from django.contrib import messages
from django.contrib.auth import authenticate
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from .errors import ApplicationError, Conflict
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


def submit_step(request, form, act, *, done, success_url, failed_page):
    """One business step posted from a page's form: validate ``form``, run
    ``act(cleaned_data)`` (a service call), then a success message and a redirect to
    ``success_url``. Otherwise ``failed_page(form, status)`` shows the form again with its
    errors: 400 for bad input, 409 when the row's state refuses the step (``Conflict``), as
    the API answers. A refusal of the person himself (403) is not a form error: it raises.
    ``done`` is the message, or a function of what ``act`` returned.
    """
    status = 400
    if form.is_valid():
        try:
            result = act(form.cleaned_data)
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            form.add_service_error(exc)
            status = 409 if isinstance(exc, Conflict) else 400
        else:
            messages.success(request, done(result) if callable(done) else done)
            return redirect(success_url)
    return failed_page(form, status)
