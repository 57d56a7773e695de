"""Reading the personal-data access log (SEC-2, issue 7 item 10): who saw or exported whose
data, and when. For the data steward and the administrator only (``Perm.VIEW_ACCESS_LOG``).

One selector serves the page, its export and the API, so all three filter and scope alike:
the log rows come from ``PersonalDataAccess.objects.visible_to(user)``, narrowed to the
companies where the reader holds the permission; a customer a row points at is named (and
linked) only if the reader may see that customer.
"""

from datetime import datetime, time, timedelta

from django import forms
from django.apps import apps
from django.db.models import Case, CharField, OuterRef, Q, Subquery, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .errors import NotPermitted
from .exports import Column
from .models import PersonalDataAccess
from .roles import ROLE_PERMS, ROLE_SCOPE, Perm, ScopeLevel

TARGET_CODE_MAX = 20  # customers.Customer.code


def _customer_model():
    # By name: the kernel must not import an app (dependencies point one way).
    return apps.get_model("customers", "Customer")


def _readable_companies(user):
    """Companies whose log ``user`` may read; None = every company; raises if none."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        raise NotPermitted()
    if user.is_superuser:
        return None
    companies = set()
    for assignment in user.role_assignments.all():
        if Perm.VIEW_ACCESS_LOG not in ROLE_PERMS[assignment.role]:
            continue
        if ROLE_SCOPE[assignment.role] == ScopeLevel.ALL:
            return None
        companies.add(assignment.company_id)
    if not companies:
        raise NotPermitted(_("Only the data steward and the administrator read this log."))
    return companies


def _day_start(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def access_log_visible_to(
    user,
    *,
    user_id=None,
    company_id=None,
    action=None,
    date_from=None,
    date_to=None,
    target=None,
):
    """Log rows ``user`` may read, newest first, with ``target_code`` for visible customers.

    Raises NotPermitted (403) for a user without ``Perm.VIEW_ACCESS_LOG``.
    """
    companies = _readable_companies(user)
    qs = PersonalDataAccess.objects.visible_to(user)
    if companies is not None:
        qs = qs.filter(company_id__in=sorted(companies))
    is_customer = Q(target_type__app_label="customers", target_type__model="customer")
    visible_customers = _customer_model().objects.visible_to(user)
    qs = qs.annotate(
        target_code=Case(
            When(
                is_customer,
                then=Subquery(
                    visible_customers.filter(pk=OuterRef("target_id")).values("code")[:1]
                ),
            ),
            default=None,
            output_field=CharField(),
        )
    )
    if user_id:
        qs = qs.filter(user_id=user_id)
    if company_id:
        qs = qs.filter(company_id=company_id)
    if action:
        qs = qs.filter(action=action)
    if date_from:
        qs = qs.filter(created_at__gte=_day_start(date_from))
    if date_to:
        qs = qs.filter(created_at__lt=_day_start(date_to + timedelta(days=1)))
    if target:
        qs = qs.filter(
            is_customer, target_id__in=visible_customers.filter(code=target).values("pk")
        )
    return qs.select_related("user", "company", "target_type").order_by("-created_at", "-id")


def target_label(entry) -> str:
    """The customer code if the reader may see the customer, else the kind and id."""
    if getattr(entry, "target_code", None):
        return entry.target_code
    if entry.target_type_id is None:
        return ""
    return f"{entry.target_type.model} #{entry.target_id}"


class AccessLogFilterForm(forms.Form):
    """The page's filters; the API takes the same names (``user``→``user_id`` …)."""

    user = forms.ModelChoiceField(queryset=None, required=False, label=_("Staff member"))
    company = forms.ModelChoiceField(queryset=None, required=False, label=_("Company"))
    action = forms.ChoiceField(required=False, label=_("Action"))
    date_from = forms.DateField(required=False, label=_("From"))
    date_to = forms.DateField(required=False, label=_("To"))
    target = forms.CharField(
        required=False, max_length=TARGET_CODE_MAX, label=_("Customer code"), strip=True
    )

    def __init__(self, *args, staff, companies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = staff
        self.fields["company"].queryset = companies
        self.fields["action"].choices = [("", _("All"))] + list(PersonalDataAccess.Action.choices)

    def filters(self) -> dict | None:
        """Selector keyword arguments, or None when the input is not valid."""
        if not self.is_bound:
            return {}
        if not self.is_valid():
            return None
        d = self.cleaned_data
        return {
            "user_id": d["user"].pk if d["user"] else None,
            "company_id": d["company"].pk if d["company"] else None,
            "action": d["action"] or None,
            "date_from": d["date_from"],
            "date_to": d["date_to"],
            "target": d["target"] or None,
        }


def export_columns() -> list[Column]:
    # The target names a customer: the column is personal, so the export itself is logged.
    return [
        Column(_("Time"), "created_at"),
        Column(_("Staff member"), lambda e: str(e.user)),
        Column(_("Company"), lambda e: str(e.company or "")),
        Column(_("Action"), lambda e: e.get_action_display()),
        Column(_("Customer"), target_label, personal=True),
        Column(_("Fields"), "fields"),
        Column(_("Records"), "record_count"),
        Column(_("Description"), "description"),
        Column(_("IP address"), "ip_address"),
    ]
