"""Subscriptions (SUB-1/2): hold a unit, price it line by line, confirm — or ask approval.

Every write locks the unit row first (``unit_for_update``), in the same order everywhere
(unit, then subscription), and the database keeps at most one live subscription per unit
besides: of two consultants choosing the same unit at the same moment exactly one wins,
the other is told the unit is taken (``unit_taken``).
"""

from decimal import Decimal

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.approvals.services import approval_request, approvals_withdraw_for_target
from anju.core.errors import ApplicationError, Conflict
from anju.core.events import record_event
from anju.core.numbering import allocate_number
from anju.core.transitions import check_transition
from anju.core.validation import money_amount, validate_fields
from anju.customers.models import CustomerRelation, CustomerStatus, RelationKind
from anju.inventory.lock_objects import unit_for_update
from anju.inventory.models import UnitStatus
from anju.inventory.services import unit_change_status

from .. import pricing
from ..models import (
    SUBSCRIPTION_TRANSITIONS,
    CoBuyer,
    PaymentPlan,
    PriceLine,
    QueueStatus,
    RelativeTierClaim,
    Subscription,
    SubscriptionStatus,
)
from ..price_inputs import (
    as_engine_tier,
    authority_rate,
    buyer_tiers,
    price_line_rows,
    quote_or_error,
    sales_discounts,
    today,
)
from ..selectors import launch_selling
from ._common import (
    advance_customer,
    clean_reason,
    require_same_company,
    require_seller,
    require_visible_customer,
)
from .queue import lock_ticket, queue_set_status
from .revisits import schedule_deal_revisit

SUBSCRIPTION_NUMBER_KIND = "subscription"
PRICE_APPROVAL_KIND = "deals.subscription_price"
DIRECT_RELATIVES = (RelationKind.SPOUSE, RelationKind.PARENT, RelationKind.CHILD)


@transaction.atomic
def subscription_hold(*, by, unit, customer, queue_ticket=None) -> Subscription:
    """预留 Hold ``unit`` for ``customer``: a draft at the list price, the unit reserved.

    Launch day's one click; the terms (co-buyers, discounts, points) come next with
    ``subscription_set_terms``, then ``subscription_confirm``."""
    project = unit.project
    require_seller(by, project)
    require_visible_customer(by, customer)
    require_same_company(customer, project)
    refuse_jumping_the_launch(unit, queue_ticket)
    return hold_for_ticket_holder(
        by=by, unit=unit, customer=customer, queue_ticket=queue_ticket, consultant=by
    )


def refuse_jumping_the_launch(unit, queue_ticket=None) -> None:
    """While a launch sells the unit's building, its units go to the numbers in their order:
    only the number being called may hold one (on the screen, or on his consultant's tablet).
    Any other hold — a waiting number, or none, or a sales change moving a deal onto one —
    would jump the queue (插队)."""
    if queue_ticket is not None and queue_ticket.status == QueueStatus.SKIPPED:
        return  # the hold says what to do with it: recall it (``_take_ticket``)
    launch = launch_selling(unit.project_id, unit.building_id)
    if launch is None or (queue_ticket is not None and queue_ticket.pk == launch.current_id):
        return
    raise Conflict(
        _(
            "%(unit)s is on sale at the launch “%(launch)s”: it is chosen there, by the "
            "number being called."
        )
        % {"unit": unit, "launch": launch.name},
        field="unit_id",
        code="on_launch",
    )


def hold_for_ticket_holder(*, by, unit, customer, queue_ticket, consultant) -> Subscription:
    """The hold itself, for a caller that has checked who may ask: ``subscription_hold``
    (the buyer is someone ``by`` sees), or launch day (the called number's customer, held by
    whoever drives the screen and kept by the number's own consultant)."""
    project = unit.project
    unit = _lock_available_unit(unit)
    ticket = _take_ticket(by, queue_ticket, project, customer)
    subscription = Subscription(
        company_id=project.company_id,
        project=project,
        unit=unit,
        customer=customer,
        consultant=consultant,
        queue_ticket=ticket,
        list_price=unit.list_price,
        final_price=unit.list_price,
    )
    if unit.list_price <= 0:
        raise ApplicationError(_("The unit has no list price yet."), field="unit_id")
    subscription.number = allocate_number(kind=SUBSCRIPTION_NUMBER_KIND, scope=project)
    try:
        with transaction.atomic():  # the live-per-unit constraint: the last line of defence
            subscription.save()
    except IntegrityError as exc:
        raise _unit_taken() from exc
    _store_quote(subscription, _quote(by, subscription, customers=[customer]))
    unit_change_status(
        by=by, unit=unit, to=UnitStatus.RESERVED, reason=str(subscription), subject=customer
    )
    record_event(
        by=by,
        verb="deals.unit_held",
        target=subscription,
        subject=customer,
        details={"unit": unit.pk, "queue_number": ticket.number if ticket else None},
    )
    return subscription


@transaction.atomic
def subscription_set_terms(
    *,
    by,
    subscription,
    payment_plan: str = PaymentPlan.ONE_OFF,
    co_buyers=(),
    discount_codes=(),
    special_discount=Decimal("0"),
    points: int = 0,
    relative=None,
    relative_proof=None,
    deposit=Decimal("0"),
    sign_by=None,
) -> Subscription:
    """The draft's terms and its price, explained line by line (SUB-2). Only a draft is
    re-priced: a confirmed price never changes (a change is a sales change, SUB-5)."""
    subscription = lock_subscription(subscription)
    require_seller(by, subscription.project)
    if subscription.status != SubscriptionStatus.DRAFT:
        raise Conflict(
            _("Only a draft's terms can be changed; this subscription is %(status)s.")
            % {"status": subscription.get_status_display()},
            code="not_draft",
        )
    if payment_plan not in PaymentPlan.values:
        raise ApplicationError(_("Unknown payment plan."), field="payment_plan")
    co_buyers = _checked_co_buyers(by, subscription.customer, co_buyers)
    subscription.payment_plan = payment_plan
    subscription.special_discount = money_amount(special_discount or 0, field="special_discount")
    subscription.deposit = money_amount(deposit or 0, field="deposit")
    subscription.sign_by = _sign_by(sign_by)
    subscription.points_used = _points(points)
    claim = _relative_claim(by, subscription, relative, relative_proof, co_buyers)
    quote = _quote(
        by,
        subscription,
        customers=[subscription.customer, *co_buyers],
        discount_codes=discount_codes,
        claim=claim,
    )
    if subscription.deposit > quote.final_price:
        raise ApplicationError(_("The deposit is more than the price."), field="deposit")
    CoBuyer.objects.filter(subscription=subscription).delete()
    CoBuyer.objects.bulk_create(CoBuyer(subscription=subscription, customer=c) for c in co_buyers)
    _store_quote(subscription, quote)
    record_event(
        by=by,
        verb="deals.terms_set",
        target=subscription,
        subject=subscription.customer,
        details={
            "final_price": str(subscription.final_price),
            "discounts": [line.code for line in quote.lines if line.step == "sales"],
            "co_buyers": [c.pk for c in co_buyers],
            "needs_approval": quote.needs_approval,
        },
    )
    return subscription


@transaction.atomic
def subscription_confirm(*, by, subscription):
    """认购 Confirm the draft: subscribed at once, or — beyond the consultant's authority or
    with a relative's tier — waiting for a manager's approval (the unit stays held)."""
    subscription = lock_subscription(subscription)
    require_seller(by, subscription.project)
    check_transition(
        allowed=SUBSCRIPTION_TRANSITIONS,
        current=SubscriptionStatus(subscription.status),
        to=SubscriptionStatus.SUBSCRIBED,
        label=_("The subscription"),
    )
    if subscription.status == SubscriptionStatus.PENDING:
        raise Conflict(_("This subscription is waiting for approval."), code="pending_approval")
    if subscription.needs_approval:
        return _ask_price_approval(by, subscription)
    return _subscribe(by=by, subscription=subscription)


@transaction.atomic
def subscription_release(*, by, subscription, reason: str) -> Subscription:
    """Give up a draft or a pending subscription: the unit is for sale again and the queue
    number may choose again. A confirmed one is cancelled through a sales change (SUB-5)."""
    subscription = lock_subscription(subscription)
    require_seller(by, subscription.project)
    if subscription.status not in (SubscriptionStatus.DRAFT, SubscriptionStatus.PENDING):
        raise Conflict(
            _("A confirmed subscription is cancelled through a sales change."),
            code="needs_sales_change",
        )
    reason = clean_reason(reason)
    approvals_withdraw_for_target(by=by, kind=PRICE_APPROVAL_KIND, target_id=subscription.pk)
    return _cancel(by=by, subscription=subscription, reason=reason)


# --- approval handlers (registered in apps.py) --------------------------------------------------


def apply_approved_price(*, by, request) -> None:
    """The approvals app's ``on_approved``: the price as quoted is agreed; subscribe."""
    subscription = _subscription_of_request(request)
    if subscription.status != SubscriptionStatus.PENDING:
        raise Conflict(_("This subscription is no longer waiting."), code="not_pending")
    claim = RelativeTierClaim.objects.filter(subscription=subscription).first()
    if claim is not None:
        # The relative's tier now applies: the price is quoted again with the same terms,
        # the approver's decision standing in for the authority it went beyond.
        claim.approved = True
        claim.save(update_fields=["approved", "updated_at"])
        co_buyers = [c.customer for c in subscription.co_buyers.select_related("customer")]
        codes = [
            line.code
            for line in subscription.price_lines.filter(step="sales")
            if line.code != pricing.SPECIAL_CODE
        ]
        _store_quote(
            subscription,
            _quote(
                None,
                subscription,
                customers=[subscription.customer, *co_buyers],
                discount_codes=codes,
                claim=claim,
            ),
        )
    # The requester's subscription, at the price he asked for: he is the one who sells it.
    _subscribe(by=request.requested_by or by, subscription=subscription, approved_by=by)


def back_to_draft(*, by, request) -> None:
    """``on_rejected`` / ``on_withdrawn``: the consultant may change the terms and ask again."""
    subscription = _subscription_of_request(request)
    if subscription.status == SubscriptionStatus.PENDING:
        _set_status(by, subscription, SubscriptionStatus.DRAFT)


# --- the steps ----------------------------------------------------------------------------------


def lock_subscription(subscription) -> Subscription:
    """Lock the unit, then the subscription (the one order every service takes)."""
    unit_for_update(subscription.unit_id)
    return (
        Subscription.objects.unscoped("lock the subscription the caller scoped")
        .select_for_update(of=("self",))
        .select_related("project", "customer", "unit", "queue_ticket")
        .get(pk=subscription.pk)
    )


def _subscribe(*, by, subscription, approved_by=None) -> Subscription:
    _set_status(by, subscription, SubscriptionStatus.SUBSCRIBED, approved_by=approved_by)
    subscription.subscribed_at = timezone.now()
    subscription.save(update_fields=["subscribed_at", "updated_at"])
    advance_customer(subscription.customer, CustomerStatus.SUBSCRIBED)
    schedule_deal_revisit(
        by=by,
        subscription=subscription,
        after="subscription",
        source=subscription,
        when=subscription.subscribed_at,
    )
    unit_change_status(
        by=by,
        unit=subscription.unit,
        to=UnitStatus.SUBSCRIBED,
        reason=str(subscription),
        subject=subscription.customer,
    )
    if subscription.points_used:
        from anju.membership.services import points_redeem_offset

        points_redeem_offset(
            by=by,
            customer=subscription.customer,
            points=subscription.points_used,
            reference=f"subscription:{subscription.pk}",
        )
    return subscription


def _ask_price_approval(by, subscription):
    reasons = list(subscription.approval_reasons or [])
    request = approval_request(
        by=by,
        kind=PRICE_APPROVAL_KIND,
        company=subscription.company_id,
        project=subscription.project,
        target_id=subscription.pk,
        payload={
            "reasons": reasons,
            "final_price": str(subscription.final_price),
            "list_price": str(subscription.list_price),
        },
        summary=_("%(number)s %(unit)s: price %(price)s yuan (%(reasons)s)")
        % {
            "number": subscription,
            "unit": subscription.unit,
            "price": f"{subscription.final_price:,}",
            "reasons": "、".join(_reason_label(r) for r in reasons),
        },
    )
    _set_status(by, subscription, SubscriptionStatus.PENDING)
    return request


def _cancel(*, by, subscription, reason) -> Subscription:
    _set_status(by, subscription, SubscriptionStatus.CANCELLED, reason=reason)
    subscription.cancelled_at = timezone.now()
    subscription.cancel_reason = reason
    subscription.save(update_fields=["cancelled_at", "cancel_reason", "updated_at"])
    unit_change_status(
        by=by,
        unit=subscription.unit,
        to=UnitStatus.AVAILABLE,
        reason=reason,
        subject=subscription.customer,
    )
    if subscription.queue_ticket_id:
        ticket = lock_ticket(subscription.queue_ticket)
        if ticket.status == QueueStatus.USED:
            queue_set_status(by=by, ticket=ticket, to=QueueStatus.WAITING)
    return subscription


def _set_status(by, subscription, to, **details) -> None:
    check_transition(
        allowed=SUBSCRIPTION_TRANSITIONS,
        current=SubscriptionStatus(subscription.status),
        to=to,
        label=_("The subscription"),
    )
    before, subscription.status = subscription.status, to
    subscription.save(update_fields=["status", "updated_at"])
    approved_by = details.pop("approved_by", None)
    if approved_by is not None:
        details["approved_by"] = approved_by.pk
    record_event(
        by=by,
        verb="deals.subscription_status_changed",
        target=subscription,
        subject=subscription.customer,
        details={"number": subscription.number, "from": before, "to": str(to), **details},
    )


def _lock_available_unit(unit):
    unit = unit_for_update(unit.pk)
    if unit.status != UnitStatus.AVAILABLE:
        raise _unit_taken()
    return unit


def _unit_taken() -> Conflict:
    return Conflict(
        _("This unit is no longer available: another subscription holds it."),
        field="unit_id",
        code="unit_taken",
    )


def _take_ticket(by, ticket, project, customer):
    """A queue number chooses once: it must be this project's, the buyer's, and live."""
    if ticket is None:
        return None
    ticket = lock_ticket(ticket)
    # The stored ticket refuses (409), as a used one does: the request itself is well formed.
    if ticket.project_id != project.pk:
        raise Conflict(_("The queue number is for another project."), field="queue_ticket_id")
    if ticket.customer_id != customer.pk:
        raise Conflict(_("The queue number belongs to another customer."), field="queue_ticket_id")
    if ticket.status == QueueStatus.SKIPPED:
        # Live, but its turn passed at the launch: it chooses again once recalled there.
        raise Conflict(
            _("Queue number %(number)s was skipped at the launch: recall it first.")
            % {"number": ticket},
            field="queue_ticket_id",
            code="ticket_skipped",
        )
    if not ticket.is_live:
        raise Conflict(
            _("Queue number %(number)s can no longer choose a unit (%(status)s).")
            % {"number": ticket, "status": ticket.get_status_display()},
            field="queue_ticket_id",
            code="ticket_not_live",
        )
    return queue_set_status(by=by, ticket=ticket, to=QueueStatus.USED)


def _checked_co_buyers(by, buyer, co_buyers) -> list:
    """Co-buyers: people the user sees, related to the main buyer (CUS-7), not him."""
    seen, result = set(), []
    for customer in co_buyers or ():
        require_visible_customer(by, customer, field="co_buyer_ids")
        if customer.pk == buyer.pk:
            raise ApplicationError(
                _("The main buyer cannot also be a co-buyer."),
                field="co_buyer_ids",
                code="co_buyer_is_buyer",
            )
        if customer.pk in seen:
            continue
        if not _related(buyer, customer):
            raise ApplicationError(
                _("%(name)s is not recorded as related to the buyer: add the relation first.")
                % {"name": customer.name},
                field="co_buyer_ids",
                code="not_related",
            )
        seen.add(customer.pk)
        result.append(customer)
    return result


def _related(a, b) -> bool:
    """Is a CUS-7 relation recorded between the two, either way round?"""
    return (
        CustomerRelation.objects.unscoped("is the person related to the buyer")
        .filter(customer_id__in=(a.pk, b.pk), related_id__in=(a.pk, b.pk))
        .exclude(customer_id=models.F("related_id"))
        .exists()
    )


def _relative_claim(by, subscription, relative, proof, co_buyers):
    """A direct relative (spouse, parent, child) who is not a co-buyer lends his tier: with
    proof, pending an approval (seed 001: 直系亲属非联名购房，须提供相关资料证明，经审批)."""
    existing = RelativeTierClaim.objects.filter(subscription=subscription).first()
    if relative is None:
        if existing is not None:
            existing.delete()
        return None
    require_visible_customer(by, relative, field="relative_id")
    if relative.pk == subscription.customer_id or relative.pk in {c.pk for c in co_buyers}:
        raise ApplicationError(
            _("A buyer's own tier applies already; a relative is someone who does not buy."),
            field="relative_id",
        )
    relation = (
        CustomerRelation.objects.unscoped("the relation that lends a tier")
        .filter(
            customer_id__in=(subscription.customer_id, relative.pk),
            related_id__in=(subscription.customer_id, relative.pk),
            kind__in=DIRECT_RELATIVES,
        )
        .values_list("kind", flat=True)
        .first()
    )
    if relation is None:
        raise ApplicationError(
            _("Only a direct relative (spouse, parent, child) recorded as such lends a tier."),
            field="relative_id",
            code="not_direct_relative",
        )
    claim = existing or RelativeTierClaim(subscription=subscription)
    if existing is not None and existing.relative_id != relative.pk:
        claim.proof = None
    claim.relative, claim.relation, claim.approved = relative, relation, False
    if proof is not None:
        claim.proof = proof
    if not claim.proof:
        raise ApplicationError(
            _("Upload the proof of the relation (e.g. the household register)."),
            field="relative_proof",
            code="proof_required",
        )
    claim.save()
    return claim


def _quote(by, subscription, *, customers, discount_codes=(), claim=None) -> pricing.Quote:
    relative = None
    if claim is not None:
        from anju.membership.selectors import tier_of

        relative = pricing.RelativeTier(
            tier=as_engine_tier(tier_of(claim.relative)),
            relation=claim.relation,
            approved=claim.approved,
            proof_given=bool(claim.proof),
        )
    points_value = Decimal("0")
    if subscription.points_used:
        points_value = _points_value(subscription.customer, subscription.points_used)
    return quote_or_error(
        pricing.PriceRequest(
            list_price=subscription.list_price,
            on=today(),
            building_id=subscription.unit.building_id,
            payment_plan=subscription.payment_plan,
            discounts=sales_discounts(subscription.project, discount_codes),
            special_discount=subscription.special_discount,
            buyer_tiers=buyer_tiers(customers),
            relative=relative,
            points_offset_value=points_value,
            authority_rate=authority_rate(by, subscription.project),
        )
    )


def _points_value(customer, points) -> Decimal:
    from anju.membership.selectors import points_balance
    from anju.membership.services import points_offset_value

    balance = points_balance(customer)
    if points > balance:
        raise Conflict(  # the stored balance refuses it: the request itself is well formed
            _("The customer has %(balance)s points.") % {"balance": balance},
            field="points",
            code="not_enough_points",
        )
    return points_offset_value(customer, points)


def _store_quote(subscription, quote) -> None:
    PriceLine.objects.filter(subscription=subscription).delete()
    PriceLine.objects.bulk_create(price_line_rows(subscription, quote))
    subscription.final_price = quote.final_price
    subscription.points_value = next(
        (-line.amount for line in quote.lines if line.step == "points"), Decimal("0")
    )
    subscription.tier_code = quote.member_tier.code if quote.member_tier else ""
    subscription.tier_source = quote.tier_source or ""
    subscription.needs_approval = quote.needs_approval
    subscription.approval_reasons = list(quote.approval_reasons)
    validate_fields(subscription, ["final_price", "deposit", "special_discount"])
    subscription.save()


def _points(value) -> int:
    try:
        points = int(value or 0)
    except (TypeError, ValueError) as exc:
        raise ApplicationError(_("Enter a whole number of points."), field="points") from exc
    if points < 0 or points > 100_000_000:
        raise ApplicationError(_("Enter a whole number of points."), field="points")
    return points


def _sign_by(value):
    if value in (None, ""):
        return None
    if value < today():
        raise ApplicationError(_("The signing deadline is in the past."), field="sign_by")
    return value


def _subscription_of_request(request) -> Subscription:
    subscription = (
        Subscription.objects.unscoped("the subscription an approval request names")
        .filter(pk=request.target_id)
        .first()
    )
    if subscription is None:
        raise Conflict(_("The subscription no longer exists."), code="gone")
    return lock_subscription(subscription)


def _reason_label(code: str) -> str:
    return {
        "over_authority": _("discount beyond authority"),
        "relative_tier": _("a relative's tier"),
    }.get(code, code)
