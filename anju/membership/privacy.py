"""The club's part of PIPL (SEC-2): membership, tier history, points and redemptions in a
customer's data package, and their erasure. System reads on purpose: the customers services
checked the requester (see ``anju/customers/privacy.py``)."""

from django.utils.translation import gettext_lazy as _

from anju.customers.privacy import (
    Erasure,
    model_rows,
    register_erasure_handler,
    register_personal_data_provider,
)
from anju.customers.privacy_customers import person_ids

from .models import Membership, PointsEntry, Redemption, TierChange


def membership_rows(customer):
    rows = (
        Membership.objects.unscoped("PIPL: one person's membership")
        .filter(customer_id__in=person_ids(customer))
        .select_related("tier", "customer", "joined_by", "family_of")
        .order_by("joined_at", "pk")
    )
    return model_rows(rows, exclude={"company", "via_visit"})


def tier_change_rows(customer):
    rows = (
        TierChange.objects.unscoped("PIPL: one person's tier history")
        .filter(customer_id__in=person_ids(customer))
        .select_related("from_tier", "to_tier", "changed_by", "approved_by", "customer")
        .order_by("created_at", "pk")
    )
    return model_rows(rows, exclude={"company", "membership"})


def points_rows(customer):
    rows = (
        PointsEntry.objects.unscoped("PIPL: one person's points")
        .filter(customer_id__in=person_ids(customer))
        .select_related("customer", "created_by")
        .order_by("created_at", "pk")
    )
    return model_rows(rows, exclude={"company", "account", "reverses", "against"})


def redemption_rows(customer):
    rows = (
        Redemption.objects.unscoped("PIPL: one person's redemptions")
        .filter(customer_id__in=person_ids(customer))
        .select_related("customer", "gift", "redeemed_by")
        .order_by("created_at", "pk")
    )
    return model_rows(rows, exclude={"company", "entry"})


def erase_club_rows(erasure: Erasure) -> None:
    """The rows stay as anonymous facts (the balance, the stock, tier counts stay right);
    the free text that may name the person — tier-change reasons, ledger notes — loses him.
    The ledger's notes are the one edit its rows ever get (``LedgerQuerySet.erase_notes``)."""
    ids = erasure.customer_ids
    changes = list(TierChange.objects.unscoped("PIPL erasure").filter(customer_id__in=ids))
    scrubbed = [c for c in changes if erasure.mentions(c.reason)]
    for change in scrubbed:
        change.reason = erasure.scrub(change.reason)
    TierChange.objects.unscoped("PIPL erasure").bulk_update(scrubbed, ["reason"], batch_size=500)
    erasure.touch(TierChange, [c.pk for c in changes], {"reason"})
    erasure.count("tier_changes", len(scrubbed))

    entries = list(PointsEntry.objects.unscoped("PIPL erasure").filter(customer_id__in=ids))
    notes = {e.pk: erasure.scrub(e.note) for e in entries if erasure.mentions(e.note)}
    PointsEntry.objects.unscoped("PIPL erasure").erase_notes(notes)
    erasure.touch(PointsEntry, [e.pk for e in entries], {"note"})
    erasure.count("points_entries", len(notes))


def register() -> None:
    register_personal_data_provider(
        "membership", membership_rows, label=_("Club membership"), model=Membership
    )
    register_personal_data_provider(
        "tier_changes", tier_change_rows, label=_("Tier history"), model=TierChange
    )
    register_personal_data_provider("points", points_rows, label=_("Points"), model=PointsEntry)
    register_personal_data_provider(
        "redemptions", redemption_rows, label=_("Redemptions"), model=Redemption
    )
    register_erasure_handler(erase_club_rows)
