"""The service desk's forms: input shapes only. The services decide; their refusals come
back as ApplicationError and land on the matching field (``add_service_error``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.core.validation import MAX_MONEY, NOTE_MAX_LENGTH
from anju.reception.forms import BootstrapForm

from . import attachments
from .models import (
    Category,
    Channel,
    ComplainantType,
    Satisfaction,
    SensitiveReason,
    Severity,
    SolutionKind,
    TicketType,
)


def _text(label, *, required=True, rows=3, **kwargs):
    return forms.CharField(
        label=label,
        required=required,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": rows}),
        **kwargs,
    )


def _blank(choices, label=None):
    return [("", label or "—"), *choices]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos in one input; each checked as an image (Pillow) of at most 5 MB."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"accept": "image/jpeg,image/png,image/gif,image/webp"})

    def clean(self, data, initial=None):
        single = super().clean
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        files = [single(f, initial) for f in files if f]
        if self.required and not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        if len(files) > attachments.MAX_PER_UPLOAD:
            raise forms.ValidationError(
                _("At most %(n)s photos at a time.") % {"n": attachments.MAX_PER_UPLOAD}
            )
        errors = []
        for upload in files:
            try:
                attachments.check_photo(upload)
            except Exception as exc:  # ApplicationError: the photo's own message
                errors.append(str(getattr(exc, "message", exc)))
        if errors:
            raise forms.ValidationError(errors)
        return files


class ReceiveForm(BootstrapForm):
    """受理: what the customer reports (SVC-1/2/3). The project comes from the page."""

    field_aliases = {"unit_id": "unit"}

    ticket_type = forms.ChoiceField(label=_("Type"), choices=TicketType.choices)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices, initial="other")
    severity = forms.ChoiceField(
        label=_("Severity"), choices=Severity.choices, widget=forms.RadioSelect, initial="normal"
    )
    sensitive_reason = forms.ChoiceField(
        label=_("Why sensitive"), choices=_blank(SensitiveReason.choices), required=False
    )
    complainant_type = forms.ChoiceField(
        label=_("Complainant type"), choices=_blank(ComplainantType.choices), required=False
    )
    unit = forms.ModelChoiceField(
        label=_("Unit"), queryset=None, required=False, empty_label=_("No unit named")
    )
    contact_name = forms.CharField(label=_("Contact name"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=20, required=False)
    subject = forms.CharField(label=_("Subject"), max_length=100)
    description = _text(_("Problem description"), rows=4)
    demand = _text(_("What the customer asks for"), required=False, rows=2)
    photos = PhotosField(
        label=_("Photos"), help_text=_("Several at once; JPEG, PNG, GIF or WebP, 5 MB each.")
    )

    def __init__(self, *args, units, customer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["unit"].label_from_instance = lambda u: f"{u.building.name} {u.number}"
        if customer is not None:  # a known customer: his number is never retyped nor shown
            self.fields.pop("contact_name")
            self.fields.pop("contact_phone")


class JudgeForm(BootstrapForm):
    valid = forms.TypedChoiceField(
        label=_("Is the complaint valid?"),
        choices=[("1", _("Valid")), ("0", _("Not valid"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    explanation = _text(
        _("Explanation to the customer"),
        required=False,
        help_text=_("Needed when the complaint is not valid; the customer is told."),
    )


class AssignForm(BootstrapForm):
    field_aliases = {"responsible_id": "responsible", "department_id": "department"}

    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=None,
        required=False,
        empty_label=_("The person's own department"),
    )
    responsible = forms.ModelChoiceField(label=_("Responsible person"), queryset=None)

    def __init__(self, *args, departments, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        self.fields["responsible"].queryset = staff
        self.fields["responsible"].label_from_instance = _staff_label


def _staff_label(user) -> str:
    department = getattr(user, "department", None)
    return f"{user} · {department.name}" if department else str(user)


class CauseForm(BootstrapForm):
    cause = _text(_("Cause"), help_text=_("What caused it and who is responsible."))


class SolutionForm(BootstrapForm):
    kind = forms.ChoiceField(label=_("Solution"), choices=SolutionKind.choices)
    description = _text(_("What will be done"))
    compensation = forms.DecimalField(
        label=_("Compensation (CNY)"),
        required=False,
        min_value=0,
        max_value=MAX_MONEY,
        decimal_places=2,
        max_digits=14,
        help_text=_("Only for a compensation."),
    )


class ImplementForm(BootstrapForm):
    note = _text(
        _("What was done"), required=False, rows=2, help_text=_("The customer is told by SMS.")
    )


class RevisitForm(BootstrapForm):
    satisfaction = forms.ChoiceField(
        label=_("Satisfaction"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    comment = _text(_("What the customer said"), required=False, rows=2)


class CloseForm(BootstrapForm):
    summary = _text(_("Closing summary"))


class ReclassifyForm(BootstrapForm):
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    sensitive_reason = forms.ChoiceField(
        label=_("Why sensitive"), choices=_blank(SensitiveReason.choices), required=False
    )
    complainant_type = forms.ChoiceField(
        label=_("Complainant type"), choices=_blank(ComplainantType.choices), required=False
    )


class PhotoForm(BootstrapForm):
    photos = PhotosField(label=_("Photos"), required=True)


class CaseOpenForm(BootstrapForm):
    """群诉: one issue several owners complain about; the tickets are ticked on the list."""

    title = forms.CharField(label=_("The issue"), max_length=100)


class SlaForm(BootstrapForm):
    """The company's limits, one row per type × severity, in minutes (``sla_table``)."""

    LIMITS = (
        ("first_response_minutes", "first_response"),
        ("solution_minutes", "solution"),
        ("closure_minutes", "closure"),
    )

    def __init__(self, *args, table, **kwargs):
        super().__init__(*args, **kwargs)
        self.table = table
        for row in table:
            for field, attr in self.LIMITS:
                name = f"{row['ticket_type']}__{row['severity']}__{field}"
                self.fields[name] = forms.IntegerField(
                    label=f"{row['type_label']} · {row['severity_label']}",
                    min_value=1,
                    max_value=525600,
                    initial=getattr(row["limits"], attr),
                    widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
                )
        # BootstrapForm styled the fields it knew; these are styled above.

    def rows(self):
        """The table with each row's three bound fields, for the template."""
        for row in self.table:
            key = f"{row['ticket_type']}__{row['severity']}__"
            yield {**row, "fields": [self[key + field] for field, _attr in self.LIMITS]}

    def limits(self) -> dict:
        data = self.cleaned_data
        return {
            (row["ticket_type"], row["severity"]): {
                field: data[f"{row['ticket_type']}__{row['severity']}__{field}"]
                for field, _attr in self.LIMITS
            }
            for row in self.table
        }


class ServiceSettingsForm(BootstrapForm):
    intake_user = forms.ChoiceField(
        label=_("Takes unassigned tickets"),
        required=False,
        help_text=_("Tickets of the public form and nobody named go to this person."),
    )
    revisit_working_days = forms.IntegerField(
        label=_("Revisit within (working days)"), min_value=1, max_value=30
    )

    def __init__(self, *args, candidates, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {str(u.pk): u for u in candidates}
        if current is not None:  # the one set now stays, even if the manager cannot pick him
            self.people.setdefault(str(current.pk), current)
        self.fields["intake_user"].choices = [
            ("", _("Nobody named: a service manager of the company")),
            *((key, str(user)) for key, user in self.people.items()),
        ]

    def clean_intake_user(self):
        value = self.cleaned_data["intake_user"]
        return self.people.get(value) if value else None
