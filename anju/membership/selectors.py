"""Every read of the customer club a user sees (MEM-1 … MEM-3), scoped by ``visible_to``.

``tier_of`` and ``points_balance`` are read by other apps (pricing, deals) about a customer
they already hold; they are system reads of that one customer.
"""

from django.db.models import Sum

from anju.core.scope import get_visible_or_404

from .models import Gift, Membership, PointsAccount, PointsEntry, Redemption, Tier, TierChange
from .services._common import DEFAULT_TIERS, holding_of


def tiers_of(holding) -> list[Tier]:
    """The group's tiers by rank; the defaults (unsaved) until a service writes them."""
    tiers = list(Tier.objects.filter(holding=holding).order_by("rank"))
    return tiers or [
        Tier(holding=holding, code=code, name=name, rank=rank, discount_rate=rate)
        for code, name, rank, rate in DEFAULT_TIERS
    ]


def tier_of(customer) -> Tier:
    """The customer's tier: his membership's, else the group's 非会员 (rank 0).
    Pricing reads ``tier_of(customer).discount_rate``."""
    membership = (
        Membership.objects.unscoped("the tier of a customer the caller holds")
        .filter(customer=customer)
        .select_related("tier")
        .first()
    )
    if membership is not None:
        return membership.tier
    return tiers_of(holding_of(customer))[0]


def points_balance(customer) -> int:
    """The customer's balance, summed from his ledger (MEM-2: derived, never stored alone)."""
    total = (
        PointsEntry.objects.unscoped("the balance of a customer the caller holds")
        .filter(customer=customer)
        .aggregate(total=Sum("points"))["total"]
    )
    return total or 0


def cached_balance(customer) -> int:
    """The account's cached balance (written with every entry); tests hold it to the ledger."""
    account = PointsAccount.objects.unscoped("the account of a customer the caller holds").filter(
        customer=customer
    )
    return account.values_list("balance", flat=True).first() or 0


def member_for(user, customer) -> Membership | None:
    """The customer's membership if the user may see it (None: not a member, or not his)."""
    return (
        Membership.objects.visible_to(user)
        .filter(customer=customer)
        .select_related("tier", "customer", "joined_by", "family_of")
        .first()
    )


def member_detail(user, membership_id) -> Membership:
    qs = Membership.objects.visible_to(user).select_related(
        "tier", "customer", "customer__owner", "joined_by", "family_of", "via_visit"
    )
    return get_visible_or_404(qs, user, pk=membership_id)


def member_list(user):
    """Members the user may see, newest first; merged-away records left out (CUS-3)."""
    return (
        Membership.objects.visible_to(user)
        .filter(customer__merged_into__isnull=True)
        .select_related("tier", "customer", "company")
        .order_by("-joined_at", "-id")
    )


def ledger_of(user, customer):
    """The customer's points entries the user may see, newest first (paged by the caller)."""
    return (
        PointsEntry.objects.visible_to(user)
        .filter(customer=customer)
        .select_related("created_by", "redemption")
        .order_by("-created_at", "-id")
    )


def tier_history(user, membership):
    return (
        TierChange.objects.visible_to(user)
        .filter(membership=membership)
        .select_related("from_tier", "to_tier", "changed_by", "approved_by")
        .order_by("-created_at", "-id")
    )


def redemptions_of(user, customer):
    return (
        Redemption.objects.visible_to(user)
        .filter(customer=customer)
        .select_related("gift", "redeemed_by", "returned_by")
        .order_by("-created_at", "-id")
    )


def redemption_detail(user, redemption_id) -> Redemption:
    qs = Redemption.objects.visible_to(user).select_related("customer", "gift", "entry")
    return get_visible_or_404(qs, user, pk=redemption_id)


def gifts_visible(user, company=None):
    qs = Gift.objects.visible_to(user).select_related("company")
    if company is not None:
        qs = qs.filter(company=company)
    return qs.order_by("company__code", "points_cost", "id")


def gift_detail(user, gift_id) -> Gift:
    return get_visible_or_404(Gift.objects.visible_to(user), user, pk=gift_id)


def holding_for_user(user):
    """The group whose club the user works in (one group per installation; the first
    company the user sees decides)."""
    from anju.org.selectors import companies_visible_to

    company = companies_visible_to(user).select_related("holding").first()
    return company.holding if company else None


def tier_codes(user) -> set[str]:
    holding = holding_for_user(user)
    return {t.code for t in tiers_of(holding)} if holding else set()


def tier_rules_of(holding):
    from .models import TierRule

    return list(TierRule.objects.filter(holding=holding).select_related("tier").order_by("trigger"))


def gifts_offered(user, company_id):
    """The gifts offered to a member of this company, as ``user`` sees the catalogue (the
    member page's form; the API's list reads ``gifts_visible`` the same way). Out-of-stock
    ones are listed too, so the form can say so rather than hide them."""
    return gifts_visible(user, company=company_id).filter(is_active=True)


def member_relatives(user, customer):
    """The customer's family (CUS-7 relations of a family kind, either direction) who are
    club members, as ``user`` sees customers: the choices of "family member of"."""
    from django.db.models import Q

    from anju.customers.models import Customer, CustomerRelation

    from .services.members import FAMILY_KINDS

    related = CustomerRelation.objects.filter(
        Q(customer=customer) | Q(related=customer), kind__in=FAMILY_KINDS
    )
    ids = related.values_list("customer_id", "related_id")
    return (
        Customer.objects.visible_to(user)
        .filter(
            Q(pk__in=ids.values("related_id")) | Q(pk__in=ids.values("customer_id")),
            company_id=customer.company_id,
            merged_into__isnull=True,
            membership__isnull=False,
        )
        .exclude(pk=customer.pk)
        .order_by("name", "pk")
    )


def pending_tier_request(membership):
    """The member's pending manual tier change, if any (shown instead of a second request)."""
    from anju.approvals.models import ApprovalRequest

    from .services import APPROVAL_KIND

    return (
        ApprovalRequest.objects.unscoped("the request of a member the caller sees")
        .filter(kind=APPROVAL_KIND, target_id=membership.pk, status=ApprovalRequest.Status.PENDING)
        .first()
    )
