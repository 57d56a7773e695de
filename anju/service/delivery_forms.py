"""Forms of the delivery and repair pages (SVC-7): input shapes only; the services in
``delivery.py`` decide, and their refusals come back on the matching field."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.reception.forms import BootstrapForm

from .delivery_models import MAX_KEY_COUNT, MAX_SLOT_CAPACITY, InspectionResult, Room

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class BatchForm(BootstrapForm):
    project = forms.ModelChoiceField(label=_("Project"), queryset=None)
    name = forms.CharField(label=_("Batch name"), max_length=60)
    buildings = forms.ModelMultipleChoiceField(
        label=_("Buildings delivered"), queryset=None, widget=forms.CheckboxSelectMultiple
    )
    starts_on = forms.DateField(label=_("First delivery day"), widget=DATE_WIDGET)
    ends_on = forms.DateField(label=_("Last delivery day"), widget=DATE_WIDGET)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, projects, buildings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects
        self.fields["buildings"].queryset = buildings
        self.fields["buildings"].label_from_instance = lambda b: f"{b.project.name} {b.name}"


class SlotForm(BootstrapForm):
    day = forms.DateField(label=_("Day"), widget=DATE_WIDGET)
    starts = forms.TimeField(label=_("Slot starts"), widget=TIME_WIDGET)
    ends = forms.TimeField(label=_("Slot ends"), widget=TIME_WIDGET)
    capacity = forms.IntegerField(
        label=_("Units in the slot"), min_value=1, max_value=MAX_SLOT_CAPACITY, initial=4
    )
    field_aliases = {"starts_at": "starts", "ends_at": "ends"}

    def times(self):
        data = self.cleaned_data
        tz = timezone.get_current_timezone()
        at = datetime.datetime.combine
        return (
            timezone.make_aware(at(data["day"], data["starts"]), tz),
            timezone.make_aware(at(data["day"], data["ends"]), tz),
        )


class BookForm(BootstrapForm):
    slot = forms.ModelChoiceField(label=_("Slot"), queryset=None, empty_label=None)
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=None)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)
    field_aliases = {"slot_id": "slot", "unit_id": "unit", "customer_id": "unit"}

    def __init__(self, *args, slots, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].queryset = slots
        self.fields["slot"].label_from_instance = slot_label
        self.fields["unit"].queryset = units
        self.fields["unit"].label_from_instance = lambda u: f"{u.building.name}-{u.number}"


def slot_label(slot) -> str:
    start, end = timezone.localtime(slot.starts_at), timezone.localtime(slot.ends_at)
    free = _("%(n)s free") % {"n": slot.free}
    return f"{start:%m-%d %H:%M}–{end:%H:%M} · {free}"


class RescheduleForm(BootstrapForm):
    slot = forms.ModelChoiceField(label=_("New slot"), queryset=None, empty_label=None)
    field_aliases = {"slot_id": "slot"}

    def __init__(self, *args, slots, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].queryset = slots
        self.fields["slot"].label_from_instance = slot_label


class CancelForm(BootstrapForm):
    reason = forms.CharField(label=_("Why cancelled"), max_length=200)


class PhotoInput(forms.FileInput):
    """The phone's camera straight away (``capture``), images only."""

    def __init__(self, attrs=None):
        super().__init__({"accept": "image/*", "capture": "environment", **(attrs or {})})


class DefectForm(BootstrapForm):
    room = forms.ChoiceField(label=_("Room"), choices=Room.choices, widget=forms.HiddenInput)
    description = forms.CharField(
        label=_("What is wrong"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("e.g. crack in the wall tiles")}),
    )
    photo = forms.FileField(label=_("Photo"), required=False, widget=PhotoInput)


class FinishForm(BootstrapForm):
    result = forms.ChoiceField(
        label=_("The owner"), choices=InspectionResult.choices, widget=forms.RadioSelect
    )
    owner_present = forms.BooleanField(label=_("The owner is present"), required=False)
    attended_by = forms.CharField(
        label=_("Or who came for him"),
        required=False,
        max_length=50,
        help_text=_("A representative with the owner's authorisation."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class AssignForm(BootstrapForm):
    contractor = forms.CharField(label=_("Contractor"), max_length=60)
    contractor_phone = forms.CharField(label=_("Contractor's phone"), max_length=20, required=False)
    due_on = forms.DateField(label=_("Repair due by"), required=False, widget=DATE_WIDGET)


class CompleteForm(BootstrapForm):
    note = forms.CharField(
        label=_("What was done"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class SignOffForm(BootstrapForm):
    note = forms.CharField(label=_("The owner's remark"), max_length=200, required=False)


class RejectForm(BootstrapForm):
    reason = forms.CharField(label=_("Why the owner rejects it"), max_length=200)
    due_on = forms.DateField(label=_("New due date"), required=False, widget=DATE_WIDGET)


def _count(label):
    return forms.IntegerField(
        label=label, min_value=0, max_value=MAX_KEY_COUNT, required=False, initial=0
    )


class KeyHandoverForm(BootstrapForm):
    received_by = forms.CharField(label=_("Keys received by"), max_length=50)
    keys = _count(_("Keys"))
    smart_cards = _count(_("Smart cards"))
    door_cards = _count(_("Door cards"))
    mailbox_keys = _count(_("Mailbox keys"))
    other_items = forms.CharField(label=_("Other items"), max_length=200, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
