"""The surveys pages' forms: a new survey, and a questionnaire (built from its questions)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.reception.forms import BootstrapForm

from .models import SCALE_TOP, Measure, Population, QuestionKind, SurveyChannel, Touchpoint


class SurveyForm(BootstrapForm):
    field_aliases = {"project_id": "project", "follow_up_by_id": "follow_up_by"}

    company = forms.ModelChoiceField(label=_("Company"), queryset=None)
    project = forms.ModelChoiceField(
        label=_("Project"), queryset=None, required=False, empty_label=_("The whole company")
    )
    touchpoint = forms.ChoiceField(label=_("Touchpoint"), choices=Touchpoint.choices)
    population = forms.ChoiceField(label=_("Whom to ask"), choices=Population.choices)
    channel = forms.ChoiceField(label=_("How"), choices=SurveyChannel.choices)
    year = forms.IntegerField(label=_("Survey year"), min_value=2000, max_value=2100)
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    follow_up_by = forms.ModelChoiceField(
        label=_("Follows up very dissatisfied answers"),
        queryset=None,
        required=False,
        empty_label=_("Me"),
        help_text=_("For the sales touchpoints, the customer's consultant visits him."),
    )

    def __init__(self, *args, companies, projects, staff, **kwargs):
        kwargs.setdefault("initial", {"year": timezone.localdate().year})
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = companies
        self.fields["project"].queryset = projects
        self.fields["follow_up_by"].queryset = staff


SCALE_HINTS = {
    QuestionKind.SCALE_5: _("1 = very dissatisfied, 5 = very satisfied"),
    QuestionKind.SCALE_10: _("1 = not at all likely, 10 = certainly"),
}


def _field(question):
    label = question.text
    required = question.required
    if question.kind in SCALE_TOP:
        top = SCALE_TOP[question.kind]
        choices = [(str(n), str(n)) for n in range(1, top + 1)]
        return forms.ChoiceField(
            label=label,
            choices=choices,
            required=required,
            widget=forms.RadioSelect,
            help_text=SCALE_HINTS[question.kind],
        )
    if question.kind == QuestionKind.YES_NO:
        choices = [("1", _("Yes")), ("0", _("No"))]
        return forms.ChoiceField(
            label=label, choices=choices, required=required, widget=forms.RadioSelect
        )
    if question.kind == QuestionKind.CHOICE:
        choices = [(str(c), str(c)) for c in question.choices]
        return forms.ChoiceField(
            label=label, choices=choices, required=required, widget=forms.RadioSelect
        )
    return forms.CharField(
        label=label, required=required, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class AnswerForm(BootstrapForm):
    """One field per question, named ``q<id>``; the service validates the values again."""

    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for question in self.questions:
            self.fields[f"q{question.pk}"] = _field(question)
        for field in self.fields.values():  # BootstrapForm styled only the fields it saw
            widget = field.widget
            css = "form-check-input" if isinstance(widget, forms.RadioSelect) else "form-control"
            widget.attrs["class"] = css

    def answers(self) -> dict:
        return {q.pk: self.cleaned_data.get(f"q{q.pk}") for q in self.questions}


class QuestionForm(BootstrapForm):
    """One row of a questionnaire being revised; a row with no text is left out."""

    text = forms.CharField(label=_("Question"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=QuestionKind.choices)
    measure = forms.ChoiceField(label=_("Figure"), choices=Measure.choices, required=False)
    required = forms.BooleanField(label=_("Required"), required=False)
    choices = forms.CharField(
        label=_("Choices"),
        max_length=500,
        required=False,
        help_text=_("For a choice: the answers, separated by commas."),
    )
    delete = forms.BooleanField(label=_("Remove"), required=False)

    def question(self) -> dict | None:
        d = self.cleaned_data
        if d.get("delete") or not (d.get("text") or "").strip():
            return None
        choices = [c.strip() for c in (d.get("choices") or "").replace("，", ",").split(",")]
        return {
            "text": d["text"],
            "kind": d["kind"],
            "measure": d.get("measure") or "",
            "required": d.get("required", False),
            "choices": [c for c in choices if c],
        }


QuestionFormSet = forms.formset_factory(QuestionForm, extra=3, max_num=40, absolute_max=60)
