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

from anju.core.errors import ApplicationError, Conflict, NotPermitted
from anju.core.events import record_event, record_events
from anju.core.numbering import allocate_number
from anju.core.permissions import has_perm, require_perm
from anju.core.roles import ROLE_SCOPE, Perm, Role, ScopeLevel
from anju.core.scope import can_see, sees_loaded
from anju.core.services import personal_data_access_log
from anju.core.validation import validate_fields, validate_text

from .handover import run_handover_handlers
from .merging import run_merge_handlers
from .models import (
    DIRECT_RELATIVES,
    Customer,
    CustomerPhone,
    CustomerRelation,
    CustomerStatus,
    RelationKind,
)
from .names import name_initials, name_pinyin
from .phones import normalise_phone
from .quality import completeness_of
from .responsibility import responsible_for
from .selectors import visible_customer_code
from .sources import check_source

# Fields a registration may set directly (the rest have their own services).
PROFILE_FIELDS_ORDERED = (
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
)
PROFILE_FIELDS = frozenset(PROFILE_FIELDS_ORDERED)


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


def refuse_anonymised(*customers) -> None:
    """No write touches a customer whose personal data was erased (issue 7 item 14).

    One guard for every customer service: an anonymised row is an anonymous fact kept for
    counts and reports, not a person anyone may work on again (PIPL art. 47). Pass the rows
    read under the service's lock, so a concurrent erasure is seen.
    """
    if any(c is not None and c.anonymised_at is not None for c in customers):
        raise Conflict(_("This customer's personal data was erased."), code="anonymised")


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
    if "source" in profile:
        if profile["source"]:
            profile["source"] = check_source(company.pk, profile["source"])
        else:
            profile.pop("source")
    if project is not None and project.company_id != company.pk:
        raise Conflict(
            _("The project belongs to another company."), field="project", code="company_mismatch"
        )
    now = timezone.now()
    existing = (
        # Lock the phone row and its customer. The owner is not joined: PostgreSQL re-reads a
        # locked row it waited for but not an unlocked joined one, so after a concurrent claim
        # the joined owner came back NULL next to the new owner_id (issue 7 item 5).
        CustomerPhone.objects.unscoped("dedupe sees every number")
        .select_for_update(of=("self", "customer"))
        .select_related("customer")
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
        name=name,
        name_pinyin=name_pinyin(name),
        name_initials=name_initials(name),
        phone=phone,
        phone_last4=phone[-4:],
        last_activity_at=now,
        **profile,
    )
    validate_profile(profile)
    validate_fields(customer, {"name", *profile})
    customer.completeness = completeness_of(customer)
    # The code last: allocating locks the company's counter until this transaction commits,
    # so every registration in the company waits behind this one (issue 10: 500 at once).
    customer.code = _customer_code(company)
    customer.save()
    try:
        with transaction.atomic():
            CustomerPhone.objects.create(company=company, customer=customer, phone=phone)
    except IntegrityError as exc:  # registered at the same moment by someone else
        raise Conflict(
            _("This number was registered a moment ago. Search for it and try again."),
            field="phone",
            code="duplicate",
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
    # Protection stops another consultant from taking the customer (撞单); a manager or the
    # call centre entering the number simply finds the customer, owner unchanged.
    if _is_consultant(by) and _protected_by_other(customer, by, now):
        raise Conflict(
            protection_message(customer),
            field="phone",
            code="protected_by_colleague",
            extra={"customer_id": customer.pk, "owner_id": customer.owner_id},
        )
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
    validate_text(reason, field="reason")
    if _check:
        require_perm(
            by, Perm.REASSIGN_CUSTOMERS, company=customer.company_id, project=customer.project_id
        )
    customer = (
        Customer.objects.unscoped("lock the row the caller passed")
        .select_for_update(of=("self",))
        .select_related("owner")
        .get(pk=customer.pk)
    )
    refuse_anonymised(customer)
    before = customer.owner_id
    previous_owner = customer.owner
    now = timezone.now()
    customer.owner = to
    customer.protected_until = _protection_end(customer.company, now) if to else None
    customer.save(update_fields=["owner", "protected_until", "updated_at"])
    handed_over = run_handover_handlers(
        customer_ids=[customer.pk], from_user=previous_owner, to_user=to
    )
    record_event(
        by=by,
        verb="customer.owner_changed",
        target=customer,
        subject=customer,
        details={
            "from": before,
            "to": to.pk if to else None,
            "reason": reason,
            "handed_over": handed_over,
        },
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
    refuse_anonymised(customer)
    updated = (
        Customer.objects.unscoped("the row the caller passed")
        .filter(pk=customer.pk, anonymised_at__isnull=True)  # not revived by a late follow-up
        .update(**updates)
    )
    if not updated:
        raise Conflict(_("This customer's personal data was erased."), code="anonymised")
    for field, value in updates.items():
        setattr(customer, field, value)


def role_is(user, role: Role) -> bool:
    return any(a.role == role for a in user.role_assignments.all())


# --- profile ---------------------------------------------------------------------------------


def _require_handler(by, customer):
    """The owner, or someone whose scope covers the customer (managers, service, stewards)."""
    if customer.owner_id == by.pk or can_see(by, customer):
        return
    raise NotPermitted()


def validate_profile(values: dict) -> None:
    """Cross-field rules a form cannot see alone: impossible dates and reversed ranges."""
    today = timezone.localdate()
    birth = values.get("birth_date")
    if birth is not None and (birth > today or birth.year < today.year - 120):
        raise ApplicationError(_("The birth date is impossible."), field="birth_date")
    for low, high, label in (
        ("area_min", "area_max", _("area")),
        ("budget_min", "budget_max", _("budget")),
    ):
        lo, hi = values.get(low), values.get(high)
        if lo is not None and lo < 0:
            raise ApplicationError(
                _("The %(what)s cannot be negative.") % {"what": label}, field=low
            )
        if lo is not None and hi is not None and lo > hi:
            raise ApplicationError(
                _("The %(what)s “from” is larger than “to”.") % {"what": label}, field=low
            )


@transaction.atomic
def customer_update(*, by, customer, **changes) -> Customer:
    """Change profile fields (CUS-1/CUS-2); name changes refresh the pinyin used by search."""
    unknown = set(changes) - PROFILE_FIELDS - {"name"}
    if unknown:
        raise TypeError(f"customer_update: unknown fields {sorted(unknown)}")
    _require_handler(by, customer)
    customer = (
        Customer.objects.unscoped("lock the row the caller passed")
        .select_for_update()
        .get(pk=customer.pk)
    )
    refuse_anonymised(customer)
    if "source" in changes and changes["source"] != customer.source:
        # a retired channel a customer already has may stay; a new one must be on the list
        changes["source"] = check_source(customer.company_id, changes["source"])
    merged = {f: getattr(customer, f) for f in PROFILE_FIELDS} | changes
    validate_profile(merged)
    if "name" in changes:
        name = (changes["name"] or "").strip()
        if not name:
            raise ApplicationError(_("Enter the customer's name."), field="name")
        changes["name"] = name
        changes["name_pinyin"] = name_pinyin(name)
        changes["name_initials"] = name_initials(name)
    before = {f: _jsonable(getattr(customer, f)) for f in changes}
    for field, value in changes.items():
        setattr(customer, field, value)
    validate_fields(customer, changes)
    customer.completeness = completeness_of(customer)
    customer.save()
    after = {f: _jsonable(getattr(customer, f)) for f in changes}
    changed = {f: [before[f], after[f]] for f in changes if before[f] != after[f]}
    if changed:
        record_event(
            by=by,
            verb="customer.updated",
            target=customer,
            subject=customer,
            details={"changed": sorted(changed)},
        )
    return customer


def _jsonable(value):
    if hasattr(value, "pk"):
        return value.pk
    return None if value is None else str(value)


@transaction.atomic
def customer_set_status(*, by, customer, status: str, reason: str = "") -> Customer:
    """Move a customer along the lifecycle (lead → visitor → … → lifetime).

    Apps call it when a business fact changes the stage: reception for a first visit, deals
    for a subscription or signing. It never moves backwards unless ``reason`` says why.
    """
    if by is not None:
        _require_handler(by, customer)
    if status not in CustomerStatus.values:
        raise ApplicationError(_("Unknown customer status."), field="status")
    validate_text(reason, field="reason")
    order = list(CustomerStatus.values)
    customer = (
        Customer.objects.unscoped("lock the row the caller passed")
        .select_for_update()
        .get(pk=customer.pk)
    )
    refuse_anonymised(customer)
    if customer.status == status:
        return customer
    if order.index(status) < order.index(customer.status) and not reason.strip():
        raise ApplicationError(_("Say why the customer goes back a stage."), field="reason")
    before = customer.status
    customer.status = status
    customer.save(update_fields=["status", "updated_at"])
    record_event(
        by=by,
        verb="customer.status_changed",
        target=customer,
        subject=customer,
        details={"from": before, "to": status, "reason": reason},
    )
    return customer


@transaction.atomic
def customer_add_phone(*, by, customer, phone: str, label: str = "") -> CustomerPhone:
    """Another number of the same person; refused if it already identifies someone (CUS-3)."""
    _require_handler(by, customer)
    customer = (
        Customer.objects.unscoped("lock the row the caller passed")
        .select_for_update()
        .get(pk=customer.pk)
    )
    refuse_anonymised(customer)
    phone = normalise_phone(phone)
    holder = (
        CustomerPhone.objects.unscoped("dedupe sees every number")
        .filter(company_id=customer.company_id, phone=phone)
        .first()
    )
    if holder is not None:
        if holder.customer_id == customer.pk:
            return holder
        # The number can be on file once only, so that much is said; whose it is, only to
        # who may open that customer (a colleague's or another project's is not named).
        code = visible_customer_code(by, holder.customer_id)
        if code is None:
            message = _(
                "This number belongs to another customer, whose record you may not open. "
                "Ask your manager to merge them if it is the same person."
            )
        else:
            message = _(
                "This number belongs to another customer (%(code)s). Merge them if it is the same person."
            ) % {"code": code}
        raise Conflict(message, field="phone", code="duplicate")
    entry = CustomerPhone(
        company_id=customer.company_id, customer=customer, phone=phone, label=label[:20]
    )
    validate_fields(entry, ["label"])
    entry.save()
    record_event(
        by=by,
        verb="customer.phone_added",
        target=customer,
        subject=customer,
        details={"phone_last4": phone[-4:]},
    )
    return entry


# --- ownership (CUS-4, CUS-5) ------------------------------------------------------------------


@transaction.atomic
def customer_claim(*, by, customer) -> Customer:
    """A consultant takes a customer whose owner's protection has lapsed (CUS-4)."""
    if not _is_consultant(by):
        raise NotPermitted(_("Only consultants claim customers."))
    # Lock the customer row before checking its protection (issue 7 item 5): two claims at
    # once queue here, and the second sees the first one's fresh protection and is refused.
    # No join: PostgreSQL re-reads a row it waited for, and a joined owner would come back as
    # the old owner (or NULL) next to the new owner_id; the owner is loaded after the lock.
    customer = (
        Customer.objects.unscoped("lock the row the caller passed")
        .select_for_update()
        .get(pk=customer.pk)
    )
    refuse_anonymised(customer)
    if customer.owner_id == by.pk:
        return customer
    if _protected_by_other(customer, by, timezone.now()):
        raise Conflict(protection_message(customer), code="protected_by_colleague")
    return customer_change_owner(
        by=by, customer=customer, to=by, reason=_("Claimed after protection lapsed"), _check=False
    )


@transaction.atomic
def customer_reassign_all(*, by, from_user, to_user, reason: str) -> int:
    """Hand every customer of ``from_user`` (e.g. a leaver) to ``to_user`` in one action (CUS-5).

    Only customers the acting manager may see move; each move is an owner-change event.
    """
    if not has_perm(by, Perm.REASSIGN_CUSTOMERS):
        raise NotPermitted()
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Say why the customers are reassigned."), field="reason")
    validate_text(reason, field="reason")
    if from_user.pk == to_user.pk:
        raise ApplicationError(_("Choose two different consultants."), field="to_user")
    if not to_user.is_active:
        raise ApplicationError(_("The receiving consultant has left."), field="to_user")
    customers = list(
        Customer.objects.visible_to(by)
        .select_for_update(of=("self",))
        # anonymised customers stay with their last owner: nobody works on them again
        .filter(owner=from_user, merged_into__isnull=True, anonymised_at__isnull=True)
        .select_related("company")
    )
    # Once per place the customers are in, not once per customer (thousands for a leaver).
    for company_id, project_id in {(c.company_id, c.project_id) for c in customers}:
        require_perm(by, Perm.REASSIGN_CUSTOMERS, company=company_id, project=project_id)
    if not can_receive(to_user, customers):
        raise ApplicationError(
            _("%(user)s does not work in the projects of these customers.") % {"user": to_user},
            field="to_user",
        )
    now = timezone.now()
    for customer in customers:
        customer.owner = to_user
        customer.protected_until = _protection_end(customer.company, now)
        customer.updated_at = now
    Customer.objects.bulk_update(
        customers, ["owner", "protected_until", "updated_at"], batch_size=500
    )
    handed_over = run_handover_handlers(
        customer_ids=[c.pk for c in customers], from_user=from_user, to_user=to_user
    )
    record_events(
        by=by,
        verb="customer.owner_changed",
        targets=customers,
        details={
            "from": from_user.pk,
            "to": to_user.pk,
            "reason": reason,
            "bulk": True,
            "handed_over": handed_over,
        },
    )
    return len(customers)


def can_receive(user, customers) -> bool:
    """A receiving consultant must hold a role in each customer's company (and project)."""
    places = {(a.company_id, a.project_id) for a in user.role_assignments.all()}
    companies = {c for c, _p in places}
    projects = {p for _c, p in places if p}
    for customer in customers:
        if customer.company_id not in companies:
            return False
        if customer.project_id and projects and customer.project_id not in projects:
            return False
    return True


# --- related people (CUS-7) ---------------------------------------------------------------------


_RECIPROCAL = {
    RelationKind.PARENT: RelationKind.CHILD,
    RelationKind.CHILD: RelationKind.PARENT,
}


@transaction.atomic
def relation_add(*, by, customer, related, kind: str, note: str = "") -> CustomerRelation:
    """Record a co-buyer, family member or referrer; stored both ways so each 360° shows it."""
    if kind not in RelationKind.values:
        raise ApplicationError(_("Unknown relation."), field="kind")
    if related.pk == customer.pk:
        raise ApplicationError(_("A customer cannot be related to himself."), field="related")
    if related.company_id != customer.company_id:
        raise ApplicationError(
            _("Related people must belong to the same company."), field="related"
        )
    _require_handler(by, customer)
    refuse_anonymised(
        *Customer.objects.unscoped("both sides of the link, checked by the caller").filter(
            pk__in=[customer.pk, related.pk]
        )
    )
    validate_fields(CustomerRelation(note=note[:200]), ["note"])
    relation, _created = CustomerRelation.objects.unscoped("idempotent link").get_or_create(
        company_id=customer.company_id,
        customer=customer,
        related=related,
        kind=kind,
        defaults={"note": note[:200]},
    )
    back = _RECIPROCAL.get(kind, kind)
    if kind != RelationKind.REFERRER:
        CustomerRelation.objects.unscoped("idempotent link").get_or_create(
            company_id=customer.company_id,
            customer=related,
            related=customer,
            kind=back,
            defaults={"note": note[:200]},
        )
    else:
        Customer.objects.unscoped("the row the caller passed").filter(pk=customer.pk).update(
            referrer=related
        )
    record_event(
        by=by,
        verb="customer.relation_added",
        target=customer,
        subject=customer,
        details={"related": related.pk, "kind": kind},
    )
    return relation


@transaction.atomic
def relation_remove(*, by, relation) -> None:
    _require_handler(by, relation.customer)
    refuse_anonymised(relation.customer)
    CustomerRelation.objects.unscoped("the reciprocal link").filter(
        customer=relation.related, related=relation.customer
    ).delete()
    customer = relation.customer
    details = {"related": relation.related_id, "kind": relation.kind}
    relation.delete()
    record_event(
        by=by, verb="customer.relation_removed", target=customer, subject=customer, details=details
    )


def direct_relatives(customer):
    return CustomerRelation.objects.unscoped("of a customer the caller holds").filter(
        customer=customer, kind__in=DIRECT_RELATIVES
    )


# --- merge (CUS-3) -----------------------------------------------------------------------------


@transaction.atomic
def customer_merge(*, by, keep, duplicate, reason: str) -> Customer:
    """Fold ``duplicate`` into ``keep``: every phone, relation and open record moves over.

    The duplicate row stays (merged_into = keep) so its code is never reused and its audit
    history remains; lists hide it and lookups of its number find ``keep``. Historical events
    keep their original subject (what happened, happened to the duplicate's record); the
    survivor's timeline reads them through ``merged_customer_ids`` and a merge event is
    written on both.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Say why these are the same person."), field="reason")
    validate_text(reason, field="reason")
    if keep.pk == duplicate.pk:
        raise ApplicationError(_("Choose two different customers."), field="duplicate")
    if keep.company_id != duplicate.company_id:
        raise ApplicationError(_("Only customers of the same company can be merged."))
    if not (
        has_perm(by, Perm.REASSIGN_CUSTOMERS, company=keep.company_id, project=keep.project_id)
        and can_see(by, keep)
        and can_see(by, duplicate)
    ):
        raise NotPermitted()
    locked = {
        c.pk: c
        for c in Customer.objects.unscoped("merge: both checked")
        .select_for_update()
        .filter(pk__in=[keep.pk, duplicate.pk])
    }
    keep, duplicate = locked[keep.pk], locked[duplicate.pk]
    if keep.merged_into_id or duplicate.merged_into_id:
        raise Conflict(_("One of them was already merged."), code="already_merged")
    refuse_anonymised(keep, duplicate)
    moved = {
        "phones": CustomerPhone.objects.unscoped("merge: both checked")
        .filter(customer=duplicate)
        .update(customer=keep)
    }
    moved.update(_move_relations(duplicate=duplicate, survivor=keep))
    Customer.objects.unscoped("merge: re-point referrals").filter(referrer=duplicate).update(
        referrer=keep
    )
    moved.update(run_merge_handlers(duplicate=duplicate, survivor=keep))
    _fill_blanks(keep, duplicate)
    keep.completeness = completeness_of(keep)
    keep.save()
    duplicate.merged_into = keep
    duplicate.save(update_fields=["merged_into", "updated_at"])
    record_event(
        by=by,
        verb="customer.merged",
        target=keep,
        subject=keep,
        details={
            "duplicate": duplicate.pk,
            "code": duplicate.code,
            "reason": reason,
            "moved": moved,
        },
    )
    record_event(
        by=by,
        verb="customer.merged_into",
        target=duplicate,
        subject=duplicate,
        details={"survivor": keep.pk, "code": keep.code, "reason": reason},
    )
    return keep


def merged_customer_ids(customer) -> list[int]:
    """The customer's id and the ids of every record merged into it, directly or in a chain."""
    ids, frontier = [customer.pk], [customer.pk]
    while frontier:
        frontier = list(
            Customer.objects.unscoped("merge chain of a customer the caller sees")
            .filter(merged_into_id__in=frontier)
            .values_list("pk", flat=True)
        )
        ids.extend(frontier)
    return ids


def _move_relations(*, duplicate, survivor) -> dict:
    moved = 0
    for rel in CustomerRelation.objects.unscoped("merge: both checked").filter(customer=duplicate):
        if (
            rel.related_id != survivor.pk
            and not CustomerRelation.objects.unscoped("merge: both checked")
            .filter(customer=survivor, related_id=rel.related_id, kind=rel.kind)
            .exists()
        ):
            rel.customer = survivor
            rel.save(update_fields=["customer"])
            moved += 1
    CustomerRelation.objects.unscoped("merge: both checked").filter(customer=duplicate).delete()
    for rel in CustomerRelation.objects.unscoped("merge: both checked").filter(related=duplicate):
        if (
            rel.customer_id == survivor.pk
            or CustomerRelation.objects.unscoped("merge: both checked")
            .filter(customer_id=rel.customer_id, related=survivor, kind=rel.kind)
            .exists()
        ):
            rel.delete()
        else:
            rel.related = survivor
            rel.save(update_fields=["related"])
    return {"relations": moved}


def _fill_blanks(keep, duplicate) -> None:
    """The kept profile wins; the duplicate only fills what the kept one lacks."""
    for field in PROFILE_FIELDS:
        if getattr(keep, field) in ("", None) and getattr(duplicate, field) not in ("", None):
            setattr(keep, field, getattr(duplicate, field))


# --- personal data (SEC-2) -------------------------------------------------------------------


REVEALABLE = {"phone", "id_number"}


def customer_reveal_personal_data(*, by, customer, field: str, ip=None) -> str:
    """The full phone or ID number, for who may see it (``may_reveal``); every reveal is logged."""
    if field not in REVEALABLE:
        raise ApplicationError(_("This field cannot be revealed."), field="field")
    if not may_reveal(by, customer, field):
        raise NotPermitted()
    personal_data_access_log(
        by=by,
        action="view",
        target=customer,
        fields=field,
        ip=ip,
        description=f"{customer.code} {field}",
    )
    return getattr(customer, field)


def may_reveal(user, customer, field: str = "phone") -> bool:
    """The one rule of who may see a customer's number in full (SEC-2; issue 9 item 1).

    Roles that may unmask personal data, where they see the customer; and, for the phone
    only, whoever is responsible for the customer — his consultant, or the holder of an
    open follow-up task about him — so the calls the system assigns can be made. The page's
    button, the page's reveal and ``POST /customers/{id}/reveal/{field}`` all ask this.
    """
    if may_unmask(user, customer) and sees_loaded(user, customer):
        return True  # (asked first: no query, where the other may read open work)
    return field == "phone" and responsible_for(user, customer)


def may_unmask(user, customer) -> bool:
    return has_perm(
        user, Perm.UNMASK_PERSONAL_DATA, company=customer.company_id, project=customer.project_id
    )


# --- data quality (CUS-8) ------------------------------------------------------------------------


@transaction.atomic
def archive_stale_leads(*, now=None) -> int:
    """Archive leads with no activity for longer than their company's stale-lead period.

    Archived leads are hidden from lists, never deleted; any new activity un-archives them.
    """
    from anju.org.models import Company

    now = now or timezone.now()
    archived = 0
    for company in Company.objects.unscoped("periodic task").filter(is_active=True):
        cutoff = now - timedelta(days=company.stale_lead_days)
        stale = list(
            Customer.objects.unscoped("periodic task")
            .filter(
                company=company,
                status=CustomerStatus.LEAD,
                archived_at__isnull=True,
                merged_into__isnull=True,
                last_activity_at__lt=cutoff,
            )
            .only("pk", "company_id", "project_id")
        )
        if not stale:
            continue
        Customer.objects.unscoped("periodic task").filter(pk__in=[c.pk for c in stale]).update(
            archived_at=now
        )
        record_events(
            by=None,
            verb="customer.archived",
            targets=stale,
            details={"stale_days": company.stale_lead_days},
        )
        archived += len(stale)
    return archived


def may_handle(user, customer) -> bool:
    """Show the status and phone forms: the same rule the services apply."""
    if customer.anonymised_at is not None:
        return False
    try:
        _require_handler(user, customer)
    except NotPermitted:
        return False
    return True


def may_claim(user, customer) -> bool:
    """Show the claim button: a consultant, not the owner, and no live protection."""
    return (
        customer.anonymised_at is None
        and customer.owner_id != user.pk
        and _is_consultant(user)
        and not _protected_by_other(customer, user, timezone.now())
    )
