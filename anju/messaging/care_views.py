"""The scheduled-care settings page (MSG-4): which occasions a company sends, their texts,
the hour, who is greeted, and what is coming this week."""

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.core.errors import ApplicationError
from anju.core.roles import Perm
from anju.reception.forms import BootstrapForm

from . import care
from .care_models import Audience, CareRun, Occasion
from .models import BODY_MAX_LENGTH
from .views import _companies_with, _company_from

HELP = {
    Occasion.BIRTHDAY: gettext_lazy("On the customer's birthday (29 February: on the 28th)."),
    Occasion.SPRING_FESTIVAL: gettext_lazy("On 正月初一 of the lunar calendar."),
    Occasion.MID_AUTUMN: gettext_lazy("On 八月十五 of the lunar calendar."),
    Occasion.NATIONAL_DAY: gettext_lazy("On 1 October."),
    Occasion.VISIT_REMINDER: gettext_lazy(
        "The day before a visit booked by phone; a service message, so also to opted-out "
        "numbers, never in quiet hours. {日期} and {时间} are the visit's."
    ),
}


class _CareSettingsBase(BootstrapForm):
    send_hour = forms.TypedChoiceField(
        label=gettext_lazy("Send at"),
        coerce=int,
        choices=[(h, f"{h:02d}:00") for h in range(24)],
        help_text=gettext_lazy(
            "Greetings are marketing: one due in quiet hours is held until they end."
        ),
    )
    audience = forms.ChoiceField(label=gettext_lazy("Greet"), choices=Audience.choices)

    def occasions(self):
        return [
            {
                "occasion": o,
                "enabled": self[f"{o}_enabled"],
                "text": self[f"{o}_text"],
                "help": HELP[o],
            }
            for o in Occasion
        ]


def _occasion_fields() -> dict:
    fields = {}
    for occasion in Occasion:
        fields[f"{occasion}_enabled"] = forms.BooleanField(
            label=gettext_lazy("Send"), required=False
        )
        fields[f"{occasion}_text"] = forms.CharField(
            label=occasion.label,
            max_length=BODY_MAX_LENGTH,
            widget=forms.Textarea(attrs={"rows": 2}),
        )
    return fields


# one on/off switch and one text per occasion, declared from the Occasion list
CareSettingsForm = type("CareSettingsForm", (_CareSettingsBase,), _occasion_fields())


@login_required
def care_settings_page(request):
    companies = _companies_with(request.user, Perm.MANAGE_TEMPLATES)
    company = _company_from(request, companies)
    current = care.care_settings_for(company)
    initial = {name: getattr(current, name) for name in care.SETTING_FIELDS}
    form = CareSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            care.care_settings_update(by=request.user, company=company, **form.cleaned_data)
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            form.add_service_error(exc)
        else:
            flash.success(request, _("Care settings saved."))
            return redirect(f"{request.path}?company={company.pk}")
    runs = (
        CareRun.objects.visible_to(request.user)
        .filter(company=company)
        .order_by("-on_date", "-id")[:10]
    )
    return render(
        request,
        "messaging/care.html",
        {
            "form": form,
            "company": company,
            "companies": companies,
            "upcoming": care.care_upcoming(request.user, company),
            "runs": runs,
            "tab": "care",
        },
        status=400 if request.method == "POST" else 200,
    )
