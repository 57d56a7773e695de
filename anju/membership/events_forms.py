"""Forms of the club events pages (MEM-4): input shapes only; the rules are the services'."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.reception.forms import BootstrapForm, _datetime_widget

from .events_models import MAX_CAPACITY, MAX_EVENT_POINTS, MAX_REMINDER_HOURS, EventKind
from .events_satisfaction import QUESTIONS, SCORES


class EventForm(BootstrapForm):
    project = forms.ModelChoiceField(label=_("Project"), queryset=None)
    title = forms.CharField(label=_("Title"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=EventKind.choices)
    venue = forms.CharField(label=_("Venue"), max_length=100)
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=_datetime_widget())
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=_datetime_widget())
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=MAX_CAPACITY)
    attendance_points = forms.IntegerField(
        label=_("Points for attending"), min_value=0, max_value=MAX_EVENT_POINTS, initial=0
    )
    reminder_hours = forms.IntegerField(
        label=_("Reminder this many hours before"),
        min_value=1,
        max_value=MAX_REMINDER_HOURS,
        initial=24,
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects
        start = (timezone.localtime() + timedelta(days=7)).replace(
            hour=14, minute=0, second=0, microsecond=0
        )
        self.fields["starts_at"].initial = start
        self.fields["ends_at"].initial = start + timedelta(hours=2)


class EventEditForm(EventForm):
    """The same fields as a new event, less the project (an event does not move project)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, projects=None, **kwargs)
        del self.fields["project"]
        for name in ("starts_at", "ends_at"):
            self.fields[name].initial = None


class EventCancelForm(BootstrapForm):
    reason = forms.CharField(label=_("Why is it cancelled?"), max_length=200)


class FeedbackForm(BootstrapForm):
    overall = forms.TypedChoiceField(
        label=QUESTIONS[0].label,
        choices=[(s, s) for s in SCORES],
        coerce=int,
        widget=forms.RadioSelect,
    )
    usefulness = forms.TypedChoiceField(
        label=QUESTIONS[1].label,
        choices=[(s, s) for s in SCORES],
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
