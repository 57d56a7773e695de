"""Messaging forms: templates, settings, consent (pages only; the services check everything)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.reception.forms import BootstrapForm

from .models import (
    ADDRESS_MAX_LENGTH,
    BODY_MAX_LENGTH,
    SIGNATURE_MAX_LENGTH,
    SUBJECT_MAX_LENGTH,
    Channel,
    Kind,
)


class TemplateForm(BootstrapForm):
    name = forms.CharField(label=_("Template name"), max_length=100)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=Kind.choices,
        help_text=_("Marketing respects opt-outs and quiet hours and ends with 回T退订."),
    )
    subject = forms.CharField(
        label=_("Subject (e-mail)"), max_length=SUBJECT_MAX_LENGTH, required=False
    )
    body = forms.CharField(
        label=_("Text"),
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    provider_template_code = forms.CharField(
        label=_("Provider template code (SMS)"),
        max_length=40,
        required=False,
        help_text=_(
            "The code of the same text approved at the SMS provider (Aliyun: SMS_…), "
            "registered as shown below; empty: sent as free text."
        ),
    )


class PreviewCustomerForm(BootstrapForm):
    customer = forms.IntegerField(label=_("Customer"), required=False, min_value=1)


class MessagingSettingsForm(BootstrapForm):
    quiet_start = forms.TimeField(
        label=_("Quiet hours start"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    quiet_end = forms.TimeField(
        label=_("Quiet hours end"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    signature = forms.CharField(
        label=_("SMS signature"), max_length=SIGNATURE_MAX_LENGTH, required=False
    )
    email_from_name = forms.CharField(label=_("E-mail sender name"), max_length=100, required=False)


class ConsentLookupForm(BootstrapForm):
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    address = forms.CharField(label=_("Mobile or e-mail"), max_length=ADDRESS_MAX_LENGTH)


class ConsentChangeForm(ConsentLookupForm):
    action = forms.ChoiceField(
        label=_("Change"),
        choices=[("opt_out", _("Opt out of marketing")), ("opt_in", _("Opt in again"))],
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
