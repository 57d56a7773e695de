"""Reading the personal-data access log (SEC-2, issue 7 item 10): who saw or exported whose
data, and when. For the data steward and the administrator only (``Perm.VIEW_ACCESS_LOG``).

One selector serves the page, its export and the API, so all three filter and scope alike:
the log rows come from ``PersonalDataAccess.objects.visible_to(user)``, narrowed to the
companies where the reader holds the permission; a customer a row points at is named (and
linked) only if the reader may see that customer.
"""

import re
from datetime import datetime, time, timedelta

from django import forms
from django.apps import apps
from django.db.models import Case, CharField, OuterRef, Q, Subquery, When
from django.utils import timezone
from django.utils.translation import gettext
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


# --- display: the stored text is English and machine-made; readers see their language --------
#
# The writers (customers.selectors phone search, customers.services reveal,
# customers.privacy_services data package, core.exports) store fixed English patterns. They
# are translated here, at display, by one function — so rows written before this existed read
# alike. A text no pattern knows is shown as stored. The tests write rows through the real
# writers, so a writer whose text drifts fails them.

FIELD_LABELS = {
    "phone": _("Phone"),
    "id_number": _("ID number"),
    "data_package": _("Personal-data package"),
}
PHONE_SEARCH_KINDS = {
    "full": _("full number"),
    "last4": _("last 4 digits"),
    "prefix": _("number prefix"),
}
REFUSED_SUFFIX = " (refused)"

_PHONE_SEARCH = re.compile(r"^phone search, (?P<kind>\w+): (?P<masked>\S*)$")
_REVEAL = re.compile(r"^(?P<code>\S+) (?P<field>phone|id_number)$")
_DATA_PACKAGE = re.compile(r"^(?P<code>\S+) data package \(job (?P<job>\d+)\)$")
_EXPORT = re.compile(
    r"^(?P<file>[\w.-]+\.(?:xlsx|csv)) \((?P<mode>full|masked)\)(?: (?P<filters>.*))?$"
)


def is_refused(entry) -> bool:
    """A search the limit or the masking refused: nothing was shown."""
    return entry.action == PersonalDataAccess.Action.SEARCH and (entry.description or "").endswith(
        REFUSED_SUFFIX
    )


def describe(entry) -> str:
    """The row's description in the reader's language (see the comment above)."""
    text = entry.description or ""
    refused = is_refused(entry)
    core = text[: -len(REFUSED_SUFFIX)] if refused else text
    if m := _PHONE_SEARCH.match(core):
        kind = PHONE_SEARCH_KINDS.get(m["kind"], m["kind"])
        said = gettext("Phone search by %(kind)s: %(masked)s") % {
            "kind": kind,
            "masked": m["masked"],
        }
        return f"{said} ({gettext('refused')})" if refused else said
    if m := _REVEAL.match(text):
        return gettext("%(code)s: %(field)s shown in full") % {
            "code": m["code"],
            "field": FIELD_LABELS[m["field"]],
        }
    if m := _DATA_PACKAGE.match(text):
        return gettext("%(code)s: personal-data package downloaded (job %(job)s)") % {
            "code": m["code"],
            "job": m["job"],
        }
    if m := _EXPORT.match(text):
        said = (
            gettext("%(file)s, phone numbers in full")
            if m["mode"] == "full"
            else gettext("%(file)s, phone numbers masked")
        ) % {"file": m["file"]}
        filters = m["filters"]
        return f"{said}; {gettext('filters')}: {filters}" if filters else said
    return text


def fields_label(entry) -> str:
    """The fields, translated: machine names (``phone``) and English export headers."""
    parts = [p.strip() for p in (entry.fields or "").split(",") if p.strip()]
    return "、".join(str(FIELD_LABELS.get(p) or gettext(p)) for p in parts)


def records_label(entry) -> str:
    """How many records were shown; a refused search showed none."""
    return str(gettext("Refused")) if is_refused(entry) else str(entry.record_count)


def add_display(entries):
    """Attach the translated texts the page, export and API show (one place decides)."""
    for entry in entries:
        entry.target_label = target_label(entry)
        entry.description_display = describe(entry)
        entry.fields_display = fields_label(entry)
        entry.records_display = records_label(entry)
        entry.refused = is_refused(entry)
    return entries


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
        Column(_("Fields"), fields_label),
        Column(_("Records"), records_label),
        Column(_("Description"), describe),
        Column(_("IP address"), "ip_address"),
    ]


# The export job's filters: the names and meaning of ``GET /api/v1/access-log``'s.
EXPORT_FILTERS = ("user_id", "company_id", "action", "date_from", "date_to", "target")


def access_log_export_rows(user, filters: dict, params: dict):
    """``rows`` of the access-log export job (``core.export_jobs``): the list API's selector
    and filters (``GET /api/v1/access-log``); frozen at the moment it was requested, so the
    export's own log entry stays out of its file."""
    from datetime import date

    from django.utils.dateparse import parse_datetime
    from django.utils.http import urlencode

    from .errors import ApplicationError

    parse = {
        "user_id": int,
        "company_id": int,
        "action": str,
        "date_from": date.fromisoformat,
        "date_to": date.fromisoformat,
        "target": str,
    }
    chosen = {}
    for name, value in filters.items():
        try:
            chosen[name] = parse[name](value)
        except (KeyError, TypeError, ValueError) as exc:
            raise ApplicationError(
                gettext("Enter a valid value."), field=f"filters.{name}", code="invalid_filter"
            ) from exc
    rows = access_log_visible_to(user, **chosen)  # 403 without the permission
    as_of = parse_datetime(params.get("as_of") or "")
    if as_of is not None:
        rows = rows.filter(created_at__lte=as_of)
    return rows, urlencode(filters)[:150]
