"""Joining the club and changing tiers (MEM-1, MEM-3).

Every tier change — joining, a rule, an approved manual change, a merge — is a ``TierChange``
row (the member page's history) and a ``membership.*`` event with the reason, who and when.
"""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, Conflict, NotFound, NotPermitted
from anju.core.events import record_event
from anju.core.masking import mask_name
from anju.core.scope import can_see
from anju.core.validation import validate_text
from anju.customers.models import CustomerRelation, CustomerStatus, RelationKind

from ..models import Membership, MemberType, PointsAccount, Tier, TierChange, TierRule, TierTrigger
from ._common import (
    ensure_club,
    entry_tier,
    holding_of,
    live_customer,
    recorded_now,
    refuse_erased,
    require_club_desk,
    stamp,
)

APPROVAL_KIND = "membership.tier_change"
# A customer who has bought (签约 and after) may join as an owner (业主).
BOUGHT = frozenset(
    {
        CustomerStatus.SIGNED,
        CustomerStatus.OWNER,
        CustomerStatus.SATISFIED,
        CustomerStatus.LOYAL,
        CustomerStatus.LIFETIME,
    }
)
# CUS-7 relations that make a family member (seed 004: 业主及其家庭成员).
FAMILY_KINDS = frozenset(
    {
        RelationKind.SPOUSE,
        RelationKind.PARENT,
        RelationKind.CHILD,
        RelationKind.SIBLING,
        RelationKind.OTHER_FAMILY,
        RelationKind.CO_BUYER,
    }
)


def _balance(customer) -> int:
    return (
        PointsAccount.objects.unscoped("the balance of the member a request names")
        .filter(customer=customer)
        .values_list("balance", flat=True)
        .first()
        or 0
    )


def _refuse_gone(customer) -> None:
    """An erased customer or a merged-away record joins nothing and changes no tier."""
    refuse_erased(customer)
    if customer.merged_into_id:
        raise Conflict(_("This record was merged into another customer."), code="merged")


def _lock_membership(membership) -> Membership:
    return (
        Membership.objects.unscoped("lock the member the caller holds")
        .select_for_update(of=("self",))
        .select_related("tier", "customer")
        .get(pk=membership.pk)
    )


def _check_member_type(customer, member_type, family_of):
    if member_type not in MemberType.values:
        raise ApplicationError(
            _("Unknown member type."), field="member_type", code="unknown_member_type"
        )
    if member_type == MemberType.OWNER and customer.status not in BOUGHT:
        raise Conflict(  # his status, not the request, stands in the way
            _("Only a customer who has signed can join as an owner."), field="member_type"
        )
    if member_type != MemberType.FAMILY:
        if family_of is not None:
            raise ApplicationError(
                _("Only a family member joins through a relative."), field="family_of"
            )
        return
    if family_of is None:
        raise ApplicationError(_("Choose the relative who is a member."), field="family_of")
    related = CustomerRelation.objects.unscoped("the relations of the customer joining").filter(
        kind__in=FAMILY_KINDS
    )
    linked = (
        related.filter(customer=customer, related=family_of).exists()
        or related.filter(customer=family_of, related=customer).exists()
    )
    if not linked:
        raise Conflict(  # the customer's relations, not the request, lack it
            _("Record the family relation on the customer first (related people)."),
            field="family_of",
            code="not_family",
        )
    if (
        not Membership.objects.unscoped("is the relative a member")
        .filter(customer=family_of)
        .exists()
    ):
        raise ApplicationError(
            _("The relative is not a member."), field="family_of", code="relative_not_member"
        )


@transaction.atomic
def membership_join(
    *, by, customer, member_type: str = MemberType.CUSTOMER, via_visit=None, family_of=None
) -> Membership:
    """Enrol ``customer`` in the club (入会, MEM-1): he starts in the entry tier (蓝卡).

    ``via_visit``: joined on site at that visit of his (one click on the visit page).
    A family member joins through ``family_of``, a member related to him (CUS-7).
    Joining twice is refused (409 ``already_member``), whoever tries.
    """
    require_club_desk(by, customer)
    _refuse_gone(customer)
    _check_member_type(customer, member_type, family_of)
    if via_visit is not None and via_visit.customer_id != customer.pk:
        raise Conflict(
            _("This visit is not the customer's."), field="via_visit", code="visit_mismatch"
        )
    if (
        Membership.objects.unscoped("one membership per customer")
        .filter(customer=customer)
        .exists()
    ):
        raise Conflict(_("This customer is already a member."), code="already_member")
    tier = entry_tier(ensure_club(holding_of(customer)))
    now = recorded_now()
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                company_id=customer.company_id,
                customer=customer,
                tier=tier,
                member_type=member_type,
                family_of=family_of,
                joined_at=now,
                joined_by=by,
                via_visit=via_visit,
            )
    except IntegrityError as exc:  # joined a moment ago in another request
        raise Conflict(_("This customer is already a member."), code="already_member") from exc
    joined = TierChange.objects.create(
        company_id=customer.company_id,
        membership=membership,
        customer=customer,
        from_tier=None,
        to_tier=tier,
        kind=TierChange.ChangeKind.JOINED,
        reason=_("Joined the club at a visit") if via_visit else _("Joined the club"),
        reference=f"visit:{via_visit.pk}" if via_visit else "",
        changed_by=by,
    )
    stamp(joined)
    record_event(
        by=by,
        verb="membership.joined",
        target=membership,
        subject=customer,
        details={
            "tier": tier.code,
            "member_type": member_type,
            "visit": via_visit.pk if via_visit else None,
            "family_of": family_of.pk if family_of else None,
        },
    )
    return membership


def _change_tier(*, by, membership, tier, kind, reason, reference="", approved_by=None):
    """Move a locked member to ``tier``: the row, its history and its event."""
    before = membership.tier
    membership.tier = tier
    membership.save(update_fields=["tier", "updated_at"])
    change = TierChange.objects.create(
        company_id=membership.company_id,
        membership=membership,
        customer_id=membership.customer_id,
        from_tier=before,
        to_tier=tier,
        kind=kind,
        reason=reason,
        reference=reference,
        changed_by=by,
        approved_by=approved_by,
    )
    stamp(change)
    record_event(
        by=by,
        verb="membership.tier_changed",
        target=membership,
        subject=membership.customer,
        details={
            "from": before.code,
            "to": tier.code,
            "kind": kind,
            "reason": reason,
            "reference": reference,
            "approved_by": approved_by.pk if approved_by else None,
        },
    )
    return change


@transaction.atomic
def tier_apply_rule(*, by, customer, trigger: str, reference: str) -> Membership | None:
    """Apply the group's rule for ``trigger`` (MEM-3: signing → 银卡, a second purchase → 金卡).

    Called by the service that records the fact (the deals app), inside its transaction;
    ``by`` is its user (or None for the system). Raises a member who is below the rule's
    tier, never lowers one; a non-member is left alone (None: 不入会不享受会员折扣, seed 001).
    Idempotent per ``reference`` (the contract): the same fact twice changes nothing.
    """
    if trigger not in TierTrigger.values:
        raise ApplicationError(
            _("Unknown tier rule trigger."), field="trigger", code="unknown_trigger"
        )
    if not (reference or "").strip():
        raise ApplicationError(_("Say what the rule is applied for."), field="reference")
    validate_text(reference, field="reference", max_length=80, multiline=False)
    if by is not None and not can_see(by, customer):
        raise NotPermitted()
    customer = live_customer(customer)
    membership = (
        Membership.objects.unscoped("the customer's membership").filter(customer=customer).first()
    )
    if membership is None:
        return None
    ensure_club(holding_of(customer))
    rule = (
        TierRule.objects.filter(holding=holding_of(customer), trigger=trigger, is_active=True)
        .select_related("tier")
        .first()
    )
    if rule is None:
        return None
    membership = _lock_membership(membership)
    if (
        TierChange.objects.unscoped("was this fact applied")
        .filter(membership=membership, kind=TierChange.ChangeKind.RULE, reference=reference)
        .exists()
    ):
        return membership
    if membership.tier.rank >= rule.tier.rank:
        return membership
    _change_tier(
        by=by,
        membership=membership,
        tier=rule.tier,
        kind=TierChange.ChangeKind.RULE,
        reason=str(rule),
        reference=reference,
    )
    return membership


def _tier_of_group(customer, tier) -> Tier:
    tier_id = getattr(tier, "pk", tier)
    found = Tier.objects.filter(holding=holding_of(customer), pk=tier_id).first()
    if found is None:
        raise NotFound(_("Unknown tier."), field="tier", code="unknown_tier")
    return found


@transaction.atomic
def tier_change_request(*, by, customer, tier, reason: str):
    """Ask for a manual tier change (MEM-3); it takes effect when someone with
    APPROVE_TIER_CHANGE approves it in the approvals queue (``apply_approved_tier_change``).
    """
    from anju.approvals.services import approval_request

    require_club_desk(by, customer)
    _refuse_gone(customer)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Say why the tier should change."), field="reason")
    validate_text(reason, field="reason", max_length=200, multiline=False)
    membership = (
        Membership.objects.unscoped("the customer's membership").filter(customer=customer).first()
    )
    if membership is None:
        raise Conflict(_("The customer is not a member."), code="not_member")
    tier = _tier_of_group(customer, tier)
    if tier.rank == 0:
        raise Conflict(  # the group's tier list makes it the non-member tier: a state, not a typo
            _("A member cannot be moved to the non-member tier."),
            field="tier",
            code="not_a_member_tier",
        )
    if tier.pk == membership.tier_id:
        raise Conflict(_("The member is already in this tier."), field="tier", code="same_tier")
    return approval_request(
        by=by,
        kind=APPROVAL_KIND,
        company=customer.company,
        project=customer.project,
        target_id=membership.pk,
        # What the approvals lists show and link, so they read no row per request
        # (wiring.describe_request / target_url): the name masked as every list shows it.
        payload={
            "tier": tier.pk,
            "tier_code": tier.code,
            "tier_name": tier.name,
            "from": membership.tier.code,
            "from_name": membership.tier.name,
            "reason": reason,
            "customer_id": customer.pk,
            "customer_code": customer.code,
            "customer_name": mask_name(customer.name),
            "points": _balance(customer),
        },
        summary=_("%(customer)s: %(from)s → %(to)s (%(reason)s)")
        % {
            "customer": customer.code,
            "from": membership.tier.name,
            "to": tier.name,
            "reason": reason,
        },
    )


def apply_approved_tier_change(*, by, request) -> None:
    """The approvals app's ``on_approved``: runs inside the deciding transaction."""
    membership = (
        Membership.objects.unscoped("the member an approved request names")
        .filter(pk=request.target_id)
        .first()
    )
    if membership is None:
        raise NotFound(_("The member no longer exists."))
    membership = _lock_membership(membership)
    _refuse_gone(membership.customer)
    if membership.tier.code != request.payload.get("from"):
        # The request was about a member in another tier (a rule or another approval moved
        # him since): approving it now would apply what nobody asked for. Reject it and ask
        # again from the member's current tier.
        raise Conflict(
            _(
                "The member's tier changed since this request (now %(tier)s): reject it and ask again."
            )
            % {"tier": membership.tier.name},
            code="tier_changed_since_request",
        )
    tier = _tier_of_group(membership.customer, request.payload.get("tier"))
    if tier.pk == membership.tier_id:
        return
    _change_tier(
        by=request.requested_by,
        membership=membership,
        tier=tier,
        kind=TierChange.ChangeKind.MANUAL,
        reason=request.payload.get("reason", ""),
        reference=f"approval:{request.pk}",
        approved_by=by,
    )


def move_membership_on_merge(*, duplicate, survivor) -> dict:
    """Customer merge handler (CUS-3): the survivor keeps the higher tier.

    A duplicate's membership moves to a survivor who has none (with its history). When both
    are members, the survivor is raised to the duplicate's tier if it is higher (a MERGE
    change with its event) and the duplicate's membership stays on the merged record as
    history. Points move separately, by paired ledger rows (points.transfer_points_on_merge).
    """
    mine = Membership.objects.unscoped("merge: the service checked both customers")
    dup = mine.filter(customer=duplicate).select_related("tier").first()
    if dup is None:
        return {"membership": 0}
    kept = mine.filter(customer=survivor).select_related("tier").first()
    if kept is None:
        mine.filter(pk=dup.pk).update(customer=survivor)
        TierChange.objects.unscoped("merge: the member's history follows him").filter(
            membership=dup
        ).update(customer=survivor)
        record_event(
            by=None,
            verb="membership.moved",
            target=dup,
            subject=survivor,
            details={"from_customer": duplicate.pk, "tier": dup.tier.code},
        )
        return {"membership": 1}
    kept = _lock_membership(kept)
    if dup.tier.rank > kept.tier.rank:
        _change_tier(
            by=None,
            membership=kept,
            tier=dup.tier,
            kind=TierChange.ChangeKind.MERGE,
            reason=_("Merged with %(code)s, who held the higher tier") % {"code": duplicate.code},
            reference=f"merge:{duplicate.pk}",
        )
    return {"membership": 1}
