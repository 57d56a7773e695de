"""Customer reads, scoped (ORG-2): search and lists used by pages, API and exports."""

import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Avg, Count, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, NotPermitted, RateLimited
from anju.core.masking import mask_email, mask_phone
from anju.core.models import PersonalDataAccess
from anju.core.permissions import has_perm
from anju.core.roles import ROLE_PERMS, ROLE_SCOPE, Perm, ScopeLevel
from anju.core.rows import PERSON_NAME_FIELDS, person_columns
from anju.core.scope import get_visible_or_404
from anju.core.services import personal_data_access_log
from anju.org.selectors import companies_visible_to

from .models import Customer, CustomerPhone, CustomerRelation
from .phones import normalise_phone
from .responsibility import responsible_for
from .sources import with_source_names

_DIGITS = re.compile(r"^\d+$")
_LATIN = re.compile(r"^[a-zA-Z]+$")
_CODE = re.compile(r"^[a-zA-Z][a-zA-Z0-9]{1,5}\d{7,}$")  # company code (org) + number
_PHONE_SEPARATORS = re.compile(r"[\s\-()]")


MAX_HOLDERS = 50  # customers holding one number across the companies a user sees: a few


def _phone_owner_ids(phone, company=None, *, user=None):
    """Customer ids holding ``phone`` — a subquery, so no join and no DISTINCT (benchmarks).

    Always bounded by company — the one given, else the companies the user sees — so the
    unique (company, phone) index answers it; a bare ``phone =`` read every phone row of
    the group (issue 10 item 1).
    """
    phones = CustomerPhone.objects.unscoped(
        "who holds the number, bounded by company below; callers filter the customers by scope"
    ).filter(phone=phone)
    if company is not None:
        return phones.filter(company=company).values("customer_id")
    return phones.filter(company__in=companies_visible_to(user).values("pk")).values("customer_id")


def _normalised_or_none(text):
    try:
        return normalise_phone(text)
    except ApplicationError:
        return None


# --- phone search (issue 7 item 2, SEC-2) ----------------------------------------------------
# A masked number (152****5496) shows the first three and the last four digits. If a role
# that may not unmask could search by any prefix, ten searches per hidden digit would rebuild
# the number. So such roles search phones by the full number or the last four digits only;
# prefix search stays with roles that may see numbers in full, within where they may. Every
# phone search is logged in the personal-data access log, the digits masked.


@dataclass(frozen=True)
class PhoneSearch:
    kind: str  # "full" | "last4" | "prefix"
    digits: str  # the normalised number (full) or the digits typed

    def masked(self) -> str:
        """For the log: never the number, only what a masked screen shows anyway."""
        if self.kind == "full":
            return mask_phone(self.digits)
        if self.kind == "last4":
            return "****" + self.digits
        return self.digits[:3] + "*" * max(len(self.digits) - 3, 0)


def _compact(text: str) -> str:
    return _PHONE_SEPARATORS.sub("", (text or "").strip())


def is_phone_search(text) -> bool:
    """Is this search text a phone number, part of one or its last digits (not a name/code)?"""
    compact = _compact(text).removeprefix("+")
    return bool(compact) and bool(_DIGITS.match(compact))


def _phone_search(text: str) -> PhoneSearch | None:
    compact = _compact(text)
    if compact.startswith("+") and _DIGITS.match(compact[1:]):
        whole_number = _normalised_or_none(compact)
        if whole_number:
            return PhoneSearch("full", whole_number)
        compact = compact[1:]
    if not _DIGITS.match(compact):
        return None
    if len(compact) == 4:
        return PhoneSearch("last4", compact)
    whole_number = _normalised_or_none(compact) if len(compact) >= 7 else None
    if whole_number:
        return PhoneSearch("full", whole_number)
    return PhoneSearch("prefix", compact)


def masked_search_text(text):
    """A search text fit for a log: a phone search masked, anything else as typed."""
    search = _phone_search(text) if text else None
    return search.masked() if search is not None else text


def _unmasked_places(user) -> Q | None:
    """Where ``user`` may see phone numbers in full, as a filter; None: nowhere."""
    if not has_perm(user, Perm.UNMASK_PERSONAL_DATA):
        return None
    # From the role assignments only: being a superuser does not unmask (issue 7 item 9).
    places = Q(pk__in=[])
    for assignment in user.role_assignments.all():
        if Perm.UNMASK_PERSONAL_DATA not in ROLE_PERMS[assignment.role]:
            continue
        level = ROLE_SCOPE[assignment.role]
        if level == ScopeLevel.ALL:
            return Q()
        if level == ScopeLevel.COMPANY or assignment.project_id is None:
            places |= Q(company_id=assignment.company_id)
        else:
            places |= Q(company_id=assignment.company_id, project_id=assignment.project_id)
    return places


# The same search again within this time is the same look-up (paging through its results,
# coming back to them from a customer chosen): one log row, not one per page seen.
SAME_SEARCH_WITHIN = timedelta(minutes=10)


def _log_phone_search(
    user, search: PhoneSearch, *, company=None, refused=False, found=None
) -> None:
    """Log the search, masked; ``found``: the one customer a full number matched (or his
    id), so the log names whose number was looked up."""
    if user is None or not getattr(user, "is_authenticated", False):
        return
    description = f"phone search, {search.kind}: {search.masked()}"
    description += " (refused)" if refused else ""
    company = getattr(company, "pk", company) or user.company_id
    if isinstance(found, int):
        found = Customer(pk=found)
    if _logged_already(user, search, company, description, found):
        return
    personal_data_access_log(
        by=user,
        action=PersonalDataAccess.Action.SEARCH,
        target=found,
        company=company,
        fields="phone",
        record_count=0 if refused else 1,  # a refused search showed nothing
        description=description,
    )


def _logged_already(user, search, company, description, found) -> bool:
    """The same search, logged within ``SAME_SEARCH_WITHIN``. Only where the row tells one
    search from another: the last 4 digits, or a full number by the customer it found — the
    masked text of a full number that found nobody, or of a prefix, is the same for many
    numbers, and each guess at one must count against the hourly limit."""
    if search.kind == "full" and found is None or search.kind == "prefix":
        return False
    return (
        PersonalDataAccess.objects.unscoped("the searcher's own recent log rows")
        .filter(
            user=user,
            action=PersonalDataAccess.Action.SEARCH,
            created_at__gte=timezone.now() - SAME_SEARCH_WITHIN,
            company_id=company,
            description=description,
            target_id=getattr(found, "pk", None),
        )
        .exists()
    )


def _refuse_too_many_phone_searches(user, *, field: str = "q") -> None:
    """A role that sees numbers masked may search phones only so often (counted in the log).

    The access log is the counter, so the limit holds across web workers and restarts.
    """
    limit = settings.ANJU_PHONE_SEARCHES_PER_HOUR
    if not getattr(user, "is_authenticated", False) or _unmasked_places(user) is not None:
        return
    since = timezone.now() - timedelta(hours=1)
    recent = list(
        PersonalDataAccess.objects.unscoped("count the searcher's own log rows")
        .filter(user=user, action=PersonalDataAccess.Action.SEARCH, created_at__gte=since)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:limit]
    )
    if len(recent) >= limit:
        # The oldest of the counted searches leaves the hour first: then one more is allowed.
        wait = recent[-1] + timedelta(hours=1) - timezone.now()
        raise RateLimited(
            _("Too many phone searches in the last hour. Try again later."),
            field=field,
            retry_after=int(wait.total_seconds()) + 1,
        )


def full_number_lookup(
    user, number: str, *, kind: str = "phone", company=None, field: str = "q", refuse=True
) -> None:
    """Another app's lookup by a full phone number or e-mail address (the consent history):
    counted against the same hourly limit as a phone search (``refuse``: raise RateLimited
    when it is spent) and written to the personal-data access log, masked. ``number`` is
    already normalised; ``kind`` is "phone" or "email"."""
    if refuse:
        _refuse_too_many_phone_searches(user, field=field)
    if kind == "phone":
        _log_phone_search(user, PhoneSearch("full", number), company=company)
        return
    if user is None or not getattr(user, "is_authenticated", False):
        return
    personal_data_access_log(
        by=user,
        action=PersonalDataAccess.Action.SEARCH,
        company=company or user.company_id,
        fields="email",
        record_count=1,
        description=f"e-mail lookup: {mask_email(number)}",
    )


def _phone_q(user, search: PhoneSearch, *, company=None) -> Q:
    """The customers a phone search finds; a refused prefix search raises (the form says why)."""
    _refuse_too_many_phone_searches(user)
    if search.kind == "prefix":
        places = _unmasked_places(user)
        _log_phone_search(user, search, company=company, refused=places is None)
        if places is None:
            # The role decides, not the value: 403 (issue 8 item 1).
            raise NotPermitted(
                _("Enter the full number or the last 4 digits."),
                field="q",
                code="phone_search_refused",
            )
        return Q(phone__startswith=search.digits) & places
    if search.kind == "last4":
        _log_phone_search(user, search, company=company)
        return Q(phone_last4=search.digits)
    # Read first (a few ids by the unique index): the log names the customer matched.
    holders = _phone_owner_ids(search.digits, company, user=user)[:MAX_HOLDERS]
    ids = [row["customer_id"] for row in holders]
    _log_phone_search(user, search, company=company, found=ids[0] if len(ids) == 1 else None)
    return Q(pk__in=ids)


def _search_q(text: str, user) -> Q:
    """Name, pinyin, pinyin initials (张三丰 → zsf), phone (see above) or customer code.

    Every branch is an index lookup: exact code, phone via the phone table, last four digits,
    and prefixes of name / pinyin / initials / the main number.
    """
    text = text.strip()
    if _CODE.match(text):
        return Q(code=text.upper())
    search = _phone_search(text)
    if search is not None:
        return _phone_q(user, search)
    if _LATIN.match(text):
        lower = text.lower()
        return Q(name_initials__startswith=lower) | Q(name_pinyin__startswith=lower)
    return Q(name__startswith=text)


def customer_list(
    user,
    *,
    q=None,
    status=None,
    grade=None,
    source=None,
    owner=None,
    project=None,
    include_archived=False,
):
    """The customers ``user`` may see, filtered; newest first. Merged duplicates are hidden."""
    qs = Customer.objects.visible_to(user).filter(merged_into__isnull=True)
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    if q:
        qs = qs.filter(_search_q(q, user))
    if status:
        qs = qs.filter(status=status)
    if grade:
        qs = qs.filter(grade=grade)
    if source:
        qs = qs.filter(source=source)
    if owner:
        qs = qs.filter(owner=owner)
    if project:
        qs = qs.filter(project=project)
    qs = with_source_names(qs)  # the company's own channel names (issue 9 item 12)
    return qs.select_related("owner", "project").order_by("-created_at", "-id")


def customer_detail(user, customer_id) -> Customer:
    return get_visible_or_404(
        with_source_names(Customer.objects.all()).select_related(
            "owner", "project", "company", "referrer", "merged_into"
        ),
        user,
        pk=customer_id,
    )


def customer_to_act_on(user, customer_id) -> Customer:
    """A customer the user sees, for a service about to act on him (a queue number): his
    row alone, read through ``visible_to`` (404 otherwise) — none of the joins and the
    source-name annotation ``customer_detail`` reads for showing him (issue 12)."""
    return get_visible_or_404(Customer.objects.all(), user, pk=customer_id)


def customer_to_reveal(user, customer_id) -> Customer:
    """The customer whose number the user asks for (issue 9 item 1).

    One he sees; or one he is responsible for without seeing his file — the holder of an
    open follow-up task about him must be able to call him. Anyone else: 404, as for a
    missing customer. ``services.may_reveal`` then decides whether he gets the number.
    """
    try:
        return customer_detail(user, customer_id)
    except Http404:
        customer = (
            Customer.objects.unscoped("reveal: let through only to who is responsible for him")
            .filter(pk=customer_id)
            .first()
        )
        if customer is None or not responsible_for(user, customer):
            raise
        return customer


def customer_by_phone(user, company, phone: str, *, only=()) -> Customer | None:
    """Lookup by full number within a company (callers' screen pop, dedupe hints).
    ``only``: the customer's columns the caller shows (the screen pop: issue 10), read with
    his consultant's name; else the whole row with consultant and project, for services."""
    phone = normalise_phone(phone)
    customers = with_source_names(Customer.objects.visible_to(user)).filter(
        pk__in=_phone_owner_ids(phone, company, user=user)
    )
    if only:
        customers = customers.select_related("owner").only(*only, *person_columns("owner"))
    else:
        customers = customers.select_related("owner", "project")
    customer = customers.first()
    _log_phone_search(user, PhoneSearch("full", phone), company=company, found=customer)
    return customer


def about_visible_customer(rows, user, customer_id):
    """``rows`` about ``customer_id`` where ``user`` may open that customer, else none: a list
    filter must not tie rows (which name such a customer masked) to him (ORG-2)."""
    return rows.filter(
        customer_id=customer_id, customer__in=Customer.objects.visible_to(user).values("pk")
    )


def visible_customer_code(user, customer_id) -> str | None:
    """The customer's code if ``user`` may open him, else None: what a message about another
    record (a number already on file, a merge) may say of him (ORG-2)."""
    return (
        Customer.objects.visible_to(user)
        .filter(pk=customer_id)
        .values_list("code", flat=True)
        .first()
    )


def customer_phones(customer):
    return list(
        CustomerPhone.objects.unscoped("the caller scoped the customer")
        .filter(customer=customer)
        .order_by("created_at")
    )


def customer_relations(user, customer):
    """Related people (CUS-7) the user may open; others are listed by name only."""
    relations = list(
        CustomerRelation.objects.unscoped("the caller scoped the customer")
        .filter(customer=customer)
        .select_related("related")
        .order_by("kind", "related__name")
    )
    visible = set(
        Customer.objects.visible_to(user)
        .filter(pk__in=[r.related_id for r in relations])
        .values_list("pk", flat=True)
    )
    for relation in relations:
        relation.related_visible = relation.related_id in visible
    return relations


def referred_customers(user, customer):
    return list(
        Customer.objects.visible_to(user)
        .filter(referrer=customer, merged_into__isnull=True)
        .only("pk", "name", "code", "status")
    )


def data_quality_by_consultant(user, *, project=None):
    """Per consultant: customers collected and their average completeness (CUS-8)."""
    qs = customer_list(user, project=project).filter(owner__isnull=False)
    rows = (
        qs.order_by()
        .values("owner_id", "owner__username", "owner__display_name")
        .annotate(
            customers=Count("id"),
            avg_completeness=Avg("completeness"),
            complete=Count("id", filter=Q(completeness__gte=80)),
        )
        .order_by("-customers")
    )
    return [
        {
            "owner_id": r["owner_id"],
            "name": r["owner__display_name"] or r["owner__username"],
            "customers": r["customers"],
            "completeness": round(r["avg_completeness"] or 0),
            "complete_share": round(100 * r["complete"] / r["customers"]) if r["customers"] else 0,
        }
        for r in rows
    ]


def consultants_visible_to(user, *, company=None, with_managers=False):
    """Consultants (and key-account reps) the user oversees: owners for filters and reassigns.
    ``with_managers``: sales managers too, who register queue numbers and deals themselves
    (the 置业顾问 filter of those lists)."""
    from anju.core.roles import Role
    from anju.org.selectors import staff_visible_to

    roles = [Role.SALES_CONSULTANT, Role.KEY_ACCOUNT_REP]
    if with_managers:
        roles.append(Role.SALES_MANAGER)
    qs = staff_visible_to(user, company=company).filter(role_assignments__role__in=roles)
    # a choice list: the name only, not every column of every consultant (DISTINCT sorts them)
    return (
        qs.select_related(None)
        .distinct()
        .only("pk", *PERSON_NAME_FIELDS)
        .order_by("display_name", "username")
    )


def find_customer(user, text: str, *, company=None) -> Customer | None:
    """One visible customer by exact code or full phone number (for merge and relations)."""
    text = (text or "").strip()
    qs = Customer.objects.visible_to(user).filter(merged_into__isnull=True)
    if company is not None:
        qs = qs.filter(company=company)
    if _CODE.match(text):
        return qs.filter(code=text.upper()).first()
    try:
        phone = normalise_phone(text)
    except ApplicationError:
        return None
    _log_phone_search(user, PhoneSearch("full", phone), company=company)
    return qs.filter(pk__in=_phone_owner_ids(phone, company, user=user)).first()


def owners_of_visible_customers(user):
    """Everyone owning customers the user sees, leavers included (the reassign-all source)."""
    from anju.org.models import User

    owner_ids = (
        Customer.objects.visible_to(user)
        .filter(owner__isnull=False, merged_into__isnull=True)
        .order_by()
        .values("owner_id")
    )
    return (
        User.objects.unscoped("owners of visible customers")
        .filter(pk__in=owner_ids)
        .order_by("-is_active", "display_name")
    )


def _range(low, high, fmt):
    if low and high:
        return f"{fmt(low)}–{fmt(high)}"
    if high:
        return f"≤ {fmt(high)}"
    return f"≥ {fmt(low)}" if low else ""


def needs_summary(customer) -> str:
    """'三室两厅 · 90–120㎡ · 预算 ≤ ¥5,000,000 · 自住' — only the parts that are known."""
    from anju.core.templatetags.anju import money

    area = _range(customer.area_min, customer.area_max, lambda v: f"{v:g}")
    budget = _range(customer.budget_min, customer.budget_max, lambda v: money(v, 0))
    parts = [
        customer.layout_wanted,
        f"{area}㎡" if area else "",
        f"{_('budget')} {budget}" if budget else "",
        customer.get_purpose_display() if customer.purpose else "",
    ]
    return " · ".join(p for p in parts if p)
