"""The customers app's own part of PIPL (SEC-2): what it holds about a person, and its erasure.

Registered from ``CustomersConfig.ready()`` through ``register()``. Reads are system reads
(``Model.objects.unscoped("why")``) on purpose: the services calling these have checked the requester.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from anju.core.masking import mask_name
from anju.core.models import Event, PersonalDataAccess, content_type_of

from .models import Customer, CustomerPhone, CustomerRelation
from .privacy import (
    Erasure,
    model_rows,
    plain,
    register_erasure_handler,
    register_personal_data_provider,
)

# Personal fields of a customer and what they become. Every other text field of Customer is
# kept on purpose (classification, needs, code); test_privacy checks this list is complete.
CUSTOMER_ERASED_VALUES = {
    "name_pinyin": "",
    "name_initials": "",
    "phone": "",
    "phone_last4": "",
    "id_number": "",
    "birth_date": None,
    "occupation": "",
    "address": "",
    "family_structure": "",
    "email": "",
}
CUSTOMER_PERSONAL_FIELDS = frozenset({"name", *CUSTOMER_ERASED_VALUES})
CUSTOMER_KEPT_TEXT_FIELDS = frozenset(
    {
        "code",
        "gender",
        "layout_wanted",
        "purpose",
        "source",
        "status",
        "grade",
        "life_stage",
        "payment_ability",
    }
)


def person_ids(customer) -> list[int]:
    """The customer and every duplicate merged into it (at any depth): one person."""
    ids, frontier = [customer.pk], [customer.pk]
    while frontier:
        frontier = list(
            Customer.objects.unscoped("PIPL: a person's merged duplicates")
            .filter(merged_into_id__in=frontier)
            .values_list("pk", flat=True)
        )
        ids.extend(frontier)
    return ids


def person_phones(customer) -> set[str]:
    ids = person_ids(customer)
    phones = set(
        CustomerPhone.objects.unscoped("PIPL: a person's numbers")
        .filter(customer_id__in=ids)
        .values_list("phone", flat=True)
    )
    phones.update(
        p
        for p in Customer.objects.unscoped("PIPL: a person's numbers")
        .filter(pk__in=ids)
        .values_list("phone", flat=True)
        if p
    )
    return phones


# --- data package providers (issue 7 item 13) ------------------------------------------------


def profile_rows(customer) -> list[dict]:
    """The profile, and the profiles of duplicates merged into it."""
    rows = Customer.objects.unscoped("PIPL data package").select_related(
        "company", "project", "owner", "referrer", "merged_into"
    )
    return model_rows(rows.filter(pk__in=person_ids(customer)).order_by("pk"))


def phone_rows(customer) -> list[dict]:
    rows = CustomerPhone.objects.unscoped("PIPL data package").filter(
        customer_id__in=person_ids(customer)
    )
    return [
        {"phone": p.phone, "label": p.label, "created_at": plain(p.created_at)}
        for p in rows.order_by("created_at", "pk")
    ]


def relation_rows(customer) -> list[dict]:
    """Related people: the relation is the customer's data, the other person's name is not —
    it is masked (张*丰), enough to recognise, not a disclosure of a third party."""
    rows = (
        CustomerRelation.objects.unscoped("PIPL data package")
        .filter(customer_id__in=person_ids(customer))
        .select_related("related")
        .order_by("kind", "pk")
    )
    return [
        {
            "kind": r.get_kind_display(),
            "related_person": mask_name(r.related.name),
            "note": r.note,
            "created_at": plain(r.created_at),
        }
        for r in rows
    ]


def event_rows(customer) -> list[dict]:
    from .events_display import describe_event, user_names

    rows = list(
        Event.objects.unscoped("PIPL data package")
        .filter(subject_type=content_type_of(Customer), subject_id__in=person_ids(customer))
        .select_related("actor")
        .order_by("created_at", "pk")
    )
    names = user_names(rows)
    return [
        {
            "when": plain(e.created_at),
            "what": describe_event(e, names),
            "verb": e.verb,
            "by": str(e.actor) if e.actor_id else "",
            "details": plain(e.details),
        }
        for e in rows
    ]


def access_rows(customer) -> list[dict]:
    """Who viewed in full or exported this customer's data (PIPL: the right to know)."""
    rows = (
        PersonalDataAccess.objects.unscoped("PIPL data package")
        .filter(target_type=content_type_of(Customer), target_id__in=person_ids(customer))
        .select_related("user")
        .order_by("created_at", "pk")
    )
    return [
        {
            "when": plain(a.created_at),
            "action": a.get_action_display(),
            "fields": a.fields,
            "by": str(a.user),
        }
        for a in rows
    ]


# --- erasure handler (issue 7 item 14) ---------------------------------------------------------


def erase_customer_rows(erasure: Erasure) -> None:
    """Phone index rows are deleted (they exist only to find the person); relation notes are
    cleared on both sides; the customer rows themselves are blanked by the service."""
    ids = erasure.customer_ids
    phones = CustomerPhone.objects.unscoped("PIPL erasure").filter(customer_id__in=ids)
    erasure.touch(CustomerPhone, phones.values_list("pk", flat=True), {"phone", "label"})
    erasure.count("phones_deleted", phones.delete()[0])

    relations = CustomerRelation.objects.unscoped("PIPL erasure").filter(
        customer_id__in=ids
    ) | CustomerRelation.objects.unscoped("PIPL erasure").filter(related_id__in=ids)
    relation_ids = list(relations.values_list("pk", flat=True))
    erasure.touch(CustomerRelation, relation_ids, {"note"})
    erasure.count(
        "relation_notes_cleared",
        CustomerRelation.objects.unscoped("PIPL erasure")
        .filter(pk__in=relation_ids)
        .exclude(note="")
        .update(note=""),
    )
    erasure.touch(Customer, ids, CUSTOMER_PERSONAL_FIELDS)


def register() -> None:
    when, by = _("Time"), _("By")
    register_personal_data_provider(
        "profile",
        profile_rows,
        label=_("Profile"),
        model=Customer,
        titles={  # fields whose model names are technical, not for the person's eyes
            "name": pgettext_lazy("person", "Name"),
            "name_pinyin": _("Name in pinyin"),
            "name_initials": _("Initials of the name"),
            "phone_last4": _("Last 4 digits of the phone"),
            "merged_into": _("Merged into"),
        },
    )
    register_personal_data_provider(
        "phones", phone_rows, label=_("Phone numbers"), model=CustomerPhone
    )
    register_personal_data_provider(
        "relations",
        relation_rows,
        label=_("Related people"),
        model=CustomerRelation,
        titles={"related_person": _("Related person")},
    )
    register_personal_data_provider(
        "events",
        event_rows,
        label=pgettext_lazy("data package sheet", "Events"),
        titles={
            "when": when,
            "what": _("What happened"),
            "verb": _("Event type"),
            "by": by,
            "details": _("Details"),
        },
    )
    register_personal_data_provider(
        "access_log",
        access_rows,
        label=_("Access log"),
        model=PersonalDataAccess,
        titles={"when": when, "by": by},
    )
    register_erasure_handler(erase_customer_rows)
