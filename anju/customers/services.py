"""Customer writes (CUS-1 … CUS-5). Every function takes the acting user as ``by``.

The core rule (CUS-3): the normalised mobile number identifies a customer within a company.
Registering a number that exists returns the existing customer, never a duplicate; if the
customer is under another consultant's protection (CUS-4) the registration is refused with a
message naming the owner and the expiry.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.events import record_event
from anju.core.numbering import allocate_number
from anju.core.roles import ROLE_SCOPE, Role, ScopeLevel
from anju.core.scope import can_see

from .models import Customer, CustomerPhone
from .names import name_initials, name_pinyin
from .phones import normalise_phone
from .quality import completeness_of

# Fields a registration may set directly (the rest have their own services).
PROFILE_FIELDS = {
    "gender",
    "birth_date",
    "id_number",
    "occupation",
    "address",
    "family_structure",
    "email",
    "area_min",
    "area_max",
    "layout_wanted",
    "budget_min",
    "budget_max",
    "purpose",
    "source",
    "referrer",
    "grade",
    "life_stage",
    "payment_ability",
}


@dataclass(frozen=True)
class Registration:
    customer: Customer
    created: bool
    message: str = ""


def _is_consultant(user) -> bool:
    return any(ROLE_SCOPE.get(a.role) == ScopeLevel.OWN for a in user.role_assignments.all())


def _protection_end(company, start):
    return start + timedelta(days=company.customer_protection_days)


def _customer_code(company) -> str:
    number = allocate_number(kind="customer_code", scope=company)
    return f"{company.code.upper()}{number:07d}"


def _protected_by_other(customer, by, now) -> bool:
    return (
        customer.owner_id is not None
        and customer.owner_id != by.pk
        and customer.protected_until is not None
        and customer.protected_until > now
        and customer.owner.is_active
    )


def protection_message(customer) -> str:
    return _(
        "This customer is registered by %(owner)s and protected until %(until)s. "
        "Ask %(owner)s or a manager to hand the customer over."
    ) % {
        "owner": customer.owner,
        "until": date_format(timezone.localtime(customer.protected_until), "Y-m-d H:i"),
    }


@transaction.atomic
def customer_register(
    *, by, company, phone: str, name: str, project=None, owner=None, **profile
) -> Registration:
    """Register a customer by phone, or find the one that exists (CUS-3, CUS-4).

    - number unknown in the company → a new customer owned by ``owner`` (default: ``by`` if
      he is a consultant), protected for the company's protection period;
    - number known, unowned or protection lapsed, and ``by`` is a consultant → he claims it;
    - number known and protected by another consultant → ApplicationError naming the owner;
    - number known and visible to ``by`` otherwise → the existing customer, unchanged.
    """
    unknown = set(profile) - PROFILE_FIELDS
    if unknown:
        raise TypeError(f"customer_register: unknown fields {sorted(unknown)}")
    phone = normalise_phone(phone)
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("Enter the customer's name."), field="name")
    if project is not None and project.company_id != company.pk:
        raise ApplicationError(_("The project belongs to another company."), field="project")
    now = timezone.now()
    existing = (
        # Lock the phone row and its customer; the owner is joined for the message only
        # (PostgreSQL cannot lock the nullable side of an outer join).
        CustomerPhone.objects.select_for_update(of=("self", "customer"))
        .select_related("customer__owner")
        .filter(company=company, phone=phone)
        .first()
    )
    if existing is not None:
        customer = _follow_merges(existing.customer)
        return _register_existing(by=by, customer=customer, now=now)
    if owner is None and _is_consultant(by):
        owner = by
    customer = Customer(
        company=company,
        project=project,
        owner=owner,
        protected_until=_protection_end(company, now) if owner else None,
        code=_customer_code(company),
        name=name,
        name_pinyin=name_pinyin(name),
        name_initials=name_initials(name),
        phone=phone,
        phone_last4=phone[-4:],
        last_activity_at=now,
        **profile,
    )
    customer.completeness = completeness_of(customer)
    customer.save()
    try:
        with transaction.atomic():
            CustomerPhone.objects.create(company=company, customer=customer, phone=phone)
    except IntegrityError as exc:  # registered at the same moment by someone else
        raise ApplicationError(
            _("This number was registered a moment ago. Search for it and try again."),
            field="phone",
        ) from exc
    record_event(
        by=by,
        verb="customer.registered",
        target=customer,
        subject=customer,
        details={"owner": owner.pk if owner else None, "source": customer.source},
    )
    return Registration(customer, True, _("Customer registered."))


def _follow_merges(customer):
    while customer.merged_into_id:
        customer = customer.merged_into
    return customer


def _register_existing(*, by, customer, now) -> Registration:
    if _protected_by_other(customer, by, now):
        raise ApplicationError(protection_message(customer), field="phone", code="protected")
    if _is_consultant(by) and customer.owner_id != by.pk:
        customer = customer_change_owner(
            by=by,
            customer=customer,
            to=by,
            reason=_("Claimed after protection lapsed"),
            _check=False,
        )
        return Registration(customer, False, _("The customer was free; you now own it."))
    if not can_see(by, customer):
        raise NotPermitted(
            _("This number belongs to an existing customer you cannot see. Ask a manager.")
        )
    return Registration(customer, False, _("This customer already exists."))


@transaction.atomic
def customer_change_owner(*, by, customer, to, reason: str, _check=True) -> Customer:
    """Hand a customer to another consultant (or claim it); every change is logged (CUS-4)."""
    from anju.core.permissions import require_perm
    from anju.core.roles import Perm

    if _check:
        require_perm(
            by, Perm.REASSIGN_CUSTOMERS, company=customer.company_id, project=customer.project_id
        )
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    before = customer.owner_id
    now = timezone.now()
    customer.owner = to
    customer.protected_until = _protection_end(customer.company, now) if to else None
    customer.save(update_fields=["owner", "protected_until", "updated_at"])
    record_event(
        by=by,
        verb="customer.owner_changed",
        target=customer,
        subject=customer,
        details={"from": before, "to": to.pk if to else None, "reason": reason},
    )
    return customer


def customer_record_activity(*, by, customer, when=None) -> None:
    """A logged follow-up (call, visit, task done) renews the owner's protection (CUS-4).

    Call it inside the caller's transaction; it also keeps ``last_activity_at`` for the
    stale-lead rule (CUS-8) and un-archives a customer who comes back.
    """
    when = when or timezone.now()
    updates = {"last_activity_at": when, "archived_at": None}
    if customer.owner_id and customer.owner_id == by.pk:
        updates["protected_until"] = _protection_end(customer.company, when)
    Customer.objects.filter(pk=customer.pk).update(**updates)
    for field, value in updates.items():
        setattr(customer, field, value)


def role_is(user, role: Role) -> bool:
    return any(a.role == role for a in user.role_assignments.all())
