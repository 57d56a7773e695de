"""Forms of the public web form (issue 13 item 6): what a visitor may type, refused field by
field (control characters, lengths, a phone that is no mobile, a project of another company,
a unit that is not in the project, a file that is no photo)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.core.errors import ApplicationError
from anju.core.forms import CleanTextMixin
from anju.core.validation import NOTE_MAX_LENGTH

from . import public
from .models import Category, TicketType


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to three photos, each read by Pillow (``public.photo_check``)."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget", MultiplePhotoInput(attrs={"accept": "image/jpeg,image/png,image/webp"})
        )
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > public.PHOTO_MAX_COUNT:
            raise forms.ValidationError(_("At most %(n)s photos.") % {"n": public.PHOTO_MAX_COUNT})
        photos = []
        for upload in files:
            try:
                photos.append(public.photo_check(upload))
            except ApplicationError as exc:
                raise forms.ValidationError(exc.message) from exc
        return photos


class Honeypot(forms.CharField):
    """A field people never see (hidden by the page) and robots fill in."""

    def __init__(self, **kwargs):
        super().__init__(
            required=False,
            label=_("Leave this empty"),
            widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
            **kwargs,
        )


class ProvePhoneMixin(forms.Form):
    """The phone and its proof: the SMS code, or the picture's answer where messaging is
    absent (``public.verification_method``)."""

    phone = forms.CharField(
        label=_("Your mobile phone"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "tel", "placeholder": "13800000000"}
        ),
    )
    code = forms.CharField(
        label=_("Verification code"),
        required=False,
        max_length=6,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "6"}
        ),
    )
    captcha = forms.CharField(
        label=_("Answer to the picture"),
        required=False,
        max_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    captcha_token = forms.CharField(required=False, max_length=400, widget=forms.HiddenInput)
    website = Honeypot()

    def __init__(self, *args, method, **kwargs):
        super().__init__(*args, **kwargs)
        self.method = method
        if method == public.Method.SMS:
            del self.fields["captcha"], self.fields["captcha_token"]
        else:
            del self.fields["code"]
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput) or name == "website":
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            if not isinstance(widget, forms.ClearableFileInput | forms.Textarea):
                css += " form-control-lg" if css == "form-control" else " form-select-lg"
            widget.attrs["class"] = css

    def clean_phone(self):
        try:
            return public.mobile_number(self.cleaned_data["phone"])
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from exc

    def clean_code(self):
        code = (self.cleaned_data.get("code") or "").strip()
        if not code:
            raise forms.ValidationError(_("Enter the code sent to your phone."))
        if not code.isdigit() or len(code) != 6:
            raise forms.ValidationError(_("The code has 6 digits."))
        return code

    def clean_captcha(self):
        answer = (self.cleaned_data.get("captcha") or "").strip()
        if not answer:
            raise forms.ValidationError(_("Answer the sum in the picture."))
        return answer

    def clean(self):
        data = super().clean()
        if self.data.get("website"):  # the honeypot: a form-wide refusal, no hint which field
            raise forms.ValidationError(_("This form could not be sent."), code="honeypot")
        return data

    def proof(self) -> dict:
        data = self.cleaned_data
        if self.method == public.Method.SMS:
            return {"code": data["code"]}
        return {"captcha": (data.get("captcha_token", ""), data["captcha"])}


class PublicTicketForm(CleanTextMixin, ProvePhoneMixin):
    project = forms.TypedChoiceField(label=_("Project"), coerce=int)
    ticket_type = forms.ChoiceField(label=_("What is it about"), choices=TicketType.choices)
    category = forms.ChoiceField(
        label=_("Kind of problem"), choices=Category.choices, initial=Category.OTHER
    )
    subject = forms.CharField(label=_("Subject"), max_length=100)
    description = forms.CharField(
        label=_("Describe what happened"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    demand = forms.CharField(
        label=_("What you would like us to do"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    name = forms.CharField(
        label=_("Your name"), max_length=50, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    building = forms.TypedChoiceField(
        label=_("Building"), coerce=int, required=False, empty_value=None
    )
    unit_number = forms.CharField(
        label=_("Unit number"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "1201"}),
    )
    photos = PhotosField(label=_("Photos (optional, up to 3, 5 MB each)"), required=False)

    field_order = [
        "project",
        "ticket_type",
        "category",
        "subject",
        "description",
        "demand",
        "building",
        "unit_number",
        "photos",
        "name",
        "phone",
        "code",
        "captcha",
        "captcha_token",
        "website",
    ]

    def __init__(self, *args, company, method, **kwargs):
        super().__init__(*args, method=method, **kwargs)
        self.company = company
        self.projects = {p.pk: p for p in public.company_projects(company)}
        self.buildings = {b.pk: b for b in public.project_buildings(list(self.projects.values()))}
        self.fields["project"].choices = [("", "---------")] + [
            (p.pk, p.name) for p in self.projects.values()
        ]
        if len(self.projects) == 1:
            self.fields["project"].initial = next(iter(self.projects))
        groups = {}
        for building in self.buildings.values():
            project = self.projects[building.project_id]
            groups.setdefault(project.name, []).append((building.pk, building.name))
        self.fields["building"].choices = [("", "---------"), *groups.items()]

    def clean(self):
        data = super().clean()
        project = self.projects.get(data.get("project"))
        building = self.buildings.get(data.get("building")) if data.get("building") else None
        number = (data.get("unit_number") or "").strip()
        data["unit"] = None
        if project is None or not (building or number):
            return data
        if building is None:
            self.add_error("building", _("Choose the building of your unit."))
        elif building.project_id != project.pk:
            self.add_error("building", _("This building is not in the project you chose."))
        elif not number:
            self.add_error("unit_number", _("Enter the unit number, e.g. 1201."))
        else:
            data["unit"] = public.project_unit(project, building.pk, number)
            if data["unit"] is None:
                self.add_error("unit_number", _("There is no such unit in this building."))
        return data

    def submission(self) -> public.Submission:
        data = self.cleaned_data
        return public.Submission(
            project=self.projects[data["project"]],
            ticket_type=data["ticket_type"],
            category=data["category"],
            subject=data["subject"].strip(),
            description=data["description"].strip(),
            demand=(data.get("demand") or "").strip(),
            name=data["name"].strip(),
            phone=data["phone"],
            unit=data.get("unit"),
            photos=data.get("photos") or [],
        )


class PublicLookupForm(CleanTextMixin, ProvePhoneMixin):
    number = forms.CharField(
        label=_("Ticket number"),
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "KF000123", "autocapitalize": "characters"}),
    )

    field_order = ["number", "phone", "code", "captcha", "captcha_token", "website"]

    def clean_number(self):
        try:
            public.ticket_number(self.cleaned_data["number"])
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from exc
        return self.cleaned_data["number"].strip()


class CodeRequestForm(CleanTextMixin, forms.Form):
    """Asking for a code: only the phone (and the honeypot) are read."""

    phone = forms.CharField(max_length=20)
    purpose = forms.ChoiceField(choices=public.Purpose.choices)
    website = Honeypot()

    def clean_phone(self):
        try:
            return public.mobile_number(self.cleaned_data["phone"])
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from exc

    def clean_website(self):
        if self.cleaned_data.get("website"):
            raise forms.ValidationError(_("This form could not be sent."))
        return ""
