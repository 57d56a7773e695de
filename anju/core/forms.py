from django import forms
from django.utils.translation import gettext_lazy as _

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
    name = forms.CharField(label=_("Token name"), max_length=100)
