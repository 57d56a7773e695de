"""Sales changes (销售业务变更, SUB-5): change unit, rename, add or remove a co-buyer, price
adjustment, cancellation (退房) with refund. Each is a request a second person approves.

``sales_change_request`` checks the change against the deal as it is, writes a pending
``SalesChange`` (its ``payload`` says exactly what will be applied, new price lines
included) and asks for an approval of kind ``deals.sales_change`` (APPROVE_SALES_CHANGE,
never the requester: four eyes). Only a live subscribed or signed deal changes, and one
change waits at a time per subscription (``change_pending``), decided under the
subscription's lock.

The approval's handler (``apply_approved_change``) applies it inside the deciding
transaction, all or nothing: it locks the unit(s) in ascending id order, then the
subscription (the order every deals service takes, so two approvals cannot deadlock), checks
again what may have moved since the request (the target unit taken, its list price, the
price, the payments) and refuses with a clear Conflict — the decision is then rolled back
and the change stays pending, to be withdrawn or rejected. Rejected or withdrawn, the change
is marked so. Every step is an event about the buyer (``deals.change_requested`` /
``change_applied`` / ``change_rejected`` / ``change_withdrawn``), so it is on his timeline.

Decisions (also in docs/sales-changes.md):

- **Change unit** (换房): to another available unit of the same project. The new unit is
  *re-quoted by the pricing engine* with the deal's agreed terms: the same sales discounts
  (by code, as the project configures them, judged on the day the deal was subscribed, so a
  promotion he had does not lapse; one not offered for the new unit's building is refused),
  the same special discount, the member rate that was applied (the stored member line), and
  the points offset already redeemed (its yuan value). A price adjustment made on the old
  unit is not carried over: the approver sees the new price line by line. The price is
  computed when asked and applied as approved (the unit's list price must not have changed
  meanwhile: ``list_price_changed``). The old unit goes back to 可售, the new one takes the
  old one's status (认购, or 签约 via 认购: the unit workflow has no 可售 → 签约 step).
- **Rename** (更名): the main buyer becomes a customer the user sees, of the same company,
  who is a co-buyer or a recorded relation (CUS-7) of the buyer; a co-buyer who becomes the
  buyer leaves the co-buyers, and the old buyer may stay as a co-buyer (``keep_old_buyer``).
  The agreed price does not change with the buyers (a new price is a price adjustment).
- **Add / remove a co-buyer**: the rules of the subscription (a person the user sees,
  related to the buyer, not the buyer himself).
- **Price adjustment**: a new final price with the reason; the lines keep their steps and
  gain one ``adjust`` line (the difference) before the final line. Never below what was
  paid, nor below the deposit. Authority does not apply: every change is approved anyway.
- **Cancellation** (退房): the refund (0 … paid) is recorded as a negative payment, the
  subscription is cancelled, the unit is 可售 again, a signed contract gets ``cancelled_at``,
  a points offset used at subscription is credited back (membership's
  ``points_offset_return``, with the original expiry dates). The queue number is **not**
  reopened: a deal cancelled after subscription is final; the customer queues again.

A signed deal whose price changes (change unit, price adjustment): the contract's total
follows, the difference going on the last instalment (a reduction comes off the last
instalments first, never below what they have been paid), and what was paid is spread
over the instalments again.
"""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.approvals.services import approval_request, approval_withdraw
from anju.core.errors import ApplicationError, Conflict, NotFound
from anju.core.events import record_event
from anju.core.masking import mask_name
from anju.core.scope import can_see
from anju.core.validation import money_amount, validate_fields, validate_text
from anju.inventory.lock_objects import unit_for_update
from anju.inventory.models import Unit, UnitStatus
from anju.inventory.services import unit_change_status

from .. import pricing
from ..models import (
    ChangeKind,
    ChangeStatus,
    CoBuyer,
    Contract,
    Instalment,
    InstalmentKind,
    PaymentMethod,
    PriceLine,
    SalesChange,
    SubscriptionStatus,
)
from ..price_inputs import price_line_rows, quote_or_error, sales_discounts, today
from ._common import require_same_company, require_seller, require_visible_customer
from .payments import paid_total, payment_record, spread_over_instalments
from .subscriptions import (
    _related,
    _set_status,
    _unit_taken,
    lock_subscription,
    refuse_jumping_the_launch,
)

CHANGE_APPROVAL_KIND = "deals.sales_change"
CHANGEABLE = (SubscriptionStatus.SUBSCRIBED, SubscriptionStatus.SIGNED)
# The unit status a deal of each status holds its unit in.
UNIT_STATUS_OF = {
    SubscriptionStatus.SUBSCRIBED: UnitStatus.SUBSCRIBED,
    SubscriptionStatus.SIGNED: UnitStatus.SIGNED,
}
ADJUST_STEP = "adjust"
ADJUST_CODE = "adjustment"
REASON_MAX_LENGTH = 2000

# What each kind takes besides ``reason`` (keyword → required?).
DETAILS = {
    ChangeKind.CHANGE_UNIT: {"unit": True},
    ChangeKind.RENAME: {"customer": True, "keep_old_buyer": False},
    ChangeKind.ADD_CO_BUYER: {"customer": True},
    ChangeKind.REMOVE_CO_BUYER: {"customer": True},
    ChangeKind.PRICE_ADJUSTMENT: {"final_price": True},
    ChangeKind.CANCELLATION: {
        "refund_amount": True,
        "refund_method": False,
        "refund_receipt_no": False,
    },
}
# The name each detail has in forms and in the API (an error names the field the user filled).
FIELD_OF = {
    "unit": "unit_id",
    "customer": "customer_id",
    "keep_old_buyer": "keep_old_buyer",
    "final_price": "final_price",
    "refund_amount": "refund_amount",
    "refund_method": "refund_method",
    "refund_receipt_no": "refund_receipt_no",
}


# --- asking ---------------------------------------------------------------------------------


@transaction.atomic
def sales_change_request(*, by, subscription, kind, reason, **details) -> SalesChange:
    """Ask for a change of ``kind`` to ``subscription``; it applies when approved.

    ``details`` by kind: change_unit ``unit``; rename ``customer`` (``keep_old_buyer``);
    add_co_buyer / remove_co_buyer ``customer``; price_adjustment ``final_price``;
    cancellation ``refund_amount`` (``refund_method`` when above 0, ``refund_receipt_no``).
    """
    subscription = lock_subscription(subscription)
    require_seller(by, subscription.project)
    if by is None or not can_see(by, subscription):
        raise NotFound(_("No such subscription."), field="subscription_id")
    kind = _checked_kind(kind)
    details = _checked_details(kind, details)
    _require_changeable(subscription)
    reason = clean_change_reason(reason)
    if _pending_change(subscription) is not None:
        raise Conflict(
            _("A change of this subscription is already waiting for approval."),
            code="change_pending",
        )
    payload = PREPARE[kind](by, subscription, **details)
    change = SalesChange(
        company_id=subscription.company_id,
        project_id=subscription.project_id,
        subscription=subscription,
        kind=kind,
        payload=payload,
        reason=reason,
        requested_by=by,
    )
    validate_fields(change, ["reason", "kind"])
    change.save()
    approval_request(
        by=by,
        kind=CHANGE_APPROVAL_KIND,
        company=subscription.company_id,
        project=subscription.project,
        target_id=change.pk,
        payload=_approval_payload(change, subscription),
        summary=change_summary(change, subscription)[:300],
    )
    record_event(
        by=by,
        verb="deals.change_requested",
        target=change,
        subject=subscription.customer,
        details={
            "subscription": subscription.pk,
            "number": subscription.number,
            "kind": kind,
            "reason": reason,
        },
    )
    return change


@transaction.atomic
def sales_change_withdraw(*, by, change) -> SalesChange:
    """The requester takes his pending change back (through its approval request)."""
    from anju.approvals.models import ApprovalRequest, ApprovalStatus

    request = (
        ApprovalRequest.objects.unscoped("the approval request of the caller's change")
        .filter(kind=CHANGE_APPROVAL_KIND, target_id=change.pk, status=ApprovalStatus.PENDING)
        .first()
    )
    if request is None:
        raise Conflict(_("This change is no longer waiting for approval."), code="not_pending")
    approval_withdraw(by=by, request=request)
    change.refresh_from_db()
    return change


def clean_change_reason(reason) -> str:
    """Why the deal changes: required, several lines allowed, no control characters."""
    if not isinstance(reason, str) or not reason.strip():
        raise ApplicationError(_("Say why the deal changes."), field="reason", code="required")
    reason = reason.strip()
    validate_text(reason, field="reason", max_length=REASON_MAX_LENGTH, multiline=True)
    return reason


def _checked_kind(kind) -> str:
    if kind not in ChangeKind.values:
        raise ApplicationError(
            _("Unknown kind of change."), field="kind", code="unknown_change_kind"
        )
    return ChangeKind(kind)


def _checked_details(kind, details) -> dict:
    allowed = DETAILS[kind]
    for name in details:
        if name not in allowed:
            raise ApplicationError(
                _("%(field)s does not belong to this kind of change.") % {"field": name},
                field=FIELD_OF.get(name, name),
                code="unknown_field",
            )
    for name, required in allowed.items():
        if required and details.get(name) in (None, ""):
            raise ApplicationError(
                _("This field is required."), field=FIELD_OF[name], code="required"
            )
    return details


def _require_changeable(subscription) -> None:
    if subscription.status not in CHANGEABLE:
        raise Conflict(
            _("Only a subscribed or signed deal changes; this one is %(status)s.")
            % {"status": subscription.get_status_display()},
            code="not_changeable",
        )
    if subscription.unit.status == UnitStatus.DELIVERED:
        raise Conflict(_("The unit was delivered already."), code="not_changeable")


def _pending_change(subscription):
    return (
        SalesChange.objects.unscoped("one pending change per subscription, whoever asked")
        .filter(subscription=subscription, status=ChangeStatus.PENDING)
        .first()
    )


# --- preparing each kind (at request time: what the approver will see and apply) -----------


def _prepare_change_unit(by, subscription, *, unit) -> dict:
    field = "unit_id"
    if not isinstance(unit, Unit) or unit.project_id != subscription.project_id:
        raise Conflict(_("Choose a unit of the same project."), field=field, code="other_project")
    if unit.pk == subscription.unit_id:
        raise Conflict(_("This is the deal's unit already."), field=field, code="same_unit")
    unit = Unit.objects.unscoped("the unit a change names, of the deal's project").get(pk=unit.pk)
    if unit.status != UnitStatus.AVAILABLE:
        raise _unit_taken()
    refuse_jumping_the_launch(unit)
    if unit.list_price <= 0:
        raise Conflict(_("The unit has no list price yet."), field=field, code="no_list_price")
    try:
        quote = _requote(subscription, unit)
    except Conflict:
        raise
    except ApplicationError as exc:  # a discount of the deal not offered for the new unit
        raise Conflict(exc.message, field=field, code=exc.code) from exc
    _check_new_price(subscription, quote.final_price, field=field)
    return {
        "from_unit_id": subscription.unit_id,
        "from_unit": str(subscription.unit),
        "to_unit_id": unit.pk,
        "to_unit": str(unit),
        "to_list_price": _money_text(unit.list_price),
        "old_final_price": _money_text(subscription.final_price),
        "new_final_price": _money_text(quote.final_price),
        "new_lines": [_line_dict(line) for line in price_line_rows(subscription, quote)],
    }


def _prepare_rename(by, subscription, *, customer, keep_old_buyer=False) -> dict:
    field = "customer_id"
    require_visible_customer(by, customer, field=field)
    require_same_company(customer, subscription.project, field=field)
    buyer = subscription.customer
    if customer.pk == buyer.pk:
        raise Conflict(
            _("%(name)s is the buyer already.") % {"name": customer.name},
            field=field,
            code="same_buyer",
        )
    co_buyers = set(subscription.co_buyers.values_list("customer_id", flat=True))
    if customer.pk not in co_buyers and not _related(buyer, customer):
        raise Conflict(
            _(
                "%(name)s is neither a co-buyer nor recorded as related to the buyer: "
                "add the relation first."
            )
            % {"name": customer.name},
            field=field,
            code="not_related",
        )
    return {
        "from_customer_id": buyer.pk,
        "from_customer": mask_name(buyer.name),
        "to_customer_id": customer.pk,
        "to_customer": mask_name(customer.name),
        "was_co_buyer": customer.pk in co_buyers,
        "keep_old_buyer": _flag(keep_old_buyer),
    }


def _prepare_add_co_buyer(by, subscription, *, customer) -> dict:
    """The subscription's rules for a co-buyer (``_checked_co_buyers``): a person the user
    sees, of the company, related to the buyer (CUS-7), not the buyer himself."""
    field = "customer_id"
    require_visible_customer(by, customer, field=field)
    require_same_company(customer, subscription.project, field=field)
    buyer = subscription.customer
    if customer.pk == buyer.pk:
        raise Conflict(
            _("The main buyer cannot also be a co-buyer."),
            field=field,
            code="co_buyer_is_buyer",
        )
    if not _related(buyer, customer):
        raise Conflict(
            _("%(name)s is not recorded as related to the buyer: add the relation first.")
            % {"name": customer.name},
            field=field,
            code="not_related",
        )
    if subscription.co_buyers.filter(customer=customer).exists():
        raise Conflict(
            _("%(name)s is a co-buyer already.") % {"name": customer.name},
            field="customer_id",
            code="already_co_buyer",
        )
    return {"customer_id": customer.pk, "customer": mask_name(customer.name)}


def _prepare_remove_co_buyer(by, subscription, *, customer) -> dict:
    if customer is None or not subscription.co_buyers.filter(customer=customer).exists():
        raise Conflict(
            _("This person is not a co-buyer of the deal."),
            field="customer_id",
            code="not_co_buyer",
        )
    return {"customer_id": customer.pk, "customer": mask_name(customer.name)}


def _prepare_price_adjustment(by, subscription, *, final_price) -> dict:
    field = "final_price"
    new_price = money_amount(final_price, field=field)
    if new_price <= 0:
        raise ApplicationError(_("The price must be above zero."), field=field)
    if new_price == subscription.final_price:
        raise Conflict(_("This is the price already."), field=field, code="same_price")
    _check_new_price(subscription, new_price, field=field)
    return {
        "old_final_price": _money_text(subscription.final_price),
        "new_final_price": _money_text(new_price),
        "new_lines": _adjusted_lines(subscription, new_price),
    }


def _prepare_cancellation(
    by, subscription, *, refund_amount, refund_method="", refund_receipt_no=""
) -> dict:
    refund = money_amount(refund_amount, field="refund_amount")
    paid = paid_total(subscription)
    if refund > paid:
        raise Conflict(
            _("The refund is more than was paid (%(paid)s yuan).") % {"paid": f"{paid:,}"},
            field="refund_amount",
            code="refund_too_large",
        )
    refund_method = (refund_method or "").strip()
    if refund > 0 and refund_method not in PaymentMethod.values:
        raise ApplicationError(
            _("Say how the refund is paid."), field="refund_method", code="required"
        )
    if refund_method and refund_method not in PaymentMethod.values:
        raise ApplicationError(_("Unknown payment method."), field="refund_method")
    receipt = (refund_receipt_no or "").strip()
    validate_text(receipt, field="refund_receipt_no", max_length=40, multiline=False)
    return {
        "refund_amount": _money_text(refund),
        "refund_method": refund_method if refund else "",
        "refund_receipt_no": receipt if refund else "",
        "paid": _money_text(paid),
        "points_used": subscription.points_used,
        "contract": _live_contract(subscription) is not None,
    }


PREPARE = {
    ChangeKind.CHANGE_UNIT: _prepare_change_unit,
    ChangeKind.RENAME: _prepare_rename,
    ChangeKind.ADD_CO_BUYER: _prepare_add_co_buyer,
    ChangeKind.REMOVE_CO_BUYER: _prepare_remove_co_buyer,
    ChangeKind.PRICE_ADJUSTMENT: _prepare_price_adjustment,
    ChangeKind.CANCELLATION: _prepare_cancellation,
}


def _check_new_price(subscription, new_price, *, field) -> None:
    paid = paid_total(subscription)
    if new_price < paid:
        raise Conflict(
            _("The new price is below what was paid (%(paid)s yuan): refund first.")
            % {"paid": f"{paid:,}"},
            field=field,
            code="below_paid",
        )
    if new_price < subscription.deposit:
        raise Conflict(
            _("The new price is below the deposit (%(deposit)s yuan).")
            % {"deposit": f"{subscription.deposit:,}"},
            field=field,
            code="below_deposit",
        )


def _requote(subscription, unit) -> pricing.Quote:
    """The new unit priced with the deal's agreed terms (see the module's docstring)."""
    lines = list(PriceLine.objects.filter(subscription=subscription).order_by("position"))
    codes = [
        line.code for line in lines if line.step == "sales" and line.code != pricing.SPECIAL_CODE
    ]
    member = next((line for line in lines if line.step == "member"), None)
    tiers = ()
    if member is not None and member.code != pricing.NON_MEMBER_CODE and member.rate:
        tiers = (
            pricing.TierInfo(code=member.code, name=member.code, rank=1, discount_rate=member.rate),
        )
    on = timezone.localdate(subscription.subscribed_at) if subscription.subscribed_at else today()
    return quote_or_error(
        pricing.PriceRequest(
            list_price=unit.list_price,
            on=on,
            building_id=unit.building_id,
            payment_plan=subscription.payment_plan,
            discounts=sales_discounts(subscription.project, codes),
            special_discount=subscription.special_discount,
            buyer_tiers=tiers,
            points_offset_value=subscription.points_value,
            authority_rate=None,  # every change is approved anyway
        )
    )


def _adjusted_lines(subscription, new_price) -> list[dict]:
    """The agreed lines, one ``adjust`` line (the difference) and the new final line."""
    lines = [
        _line_dict(line)
        for line in PriceLine.objects.filter(subscription=subscription).order_by("position")
        if line.step != "final"
    ]
    lines.append(
        {
            "step": ADJUST_STEP,
            "code": ADJUST_CODE,
            "label": _("Price adjustment"),
            "rate": None,
            "amount": _money_text(new_price - subscription.final_price),
            "running_total": _money_text(new_price),
            "note": "",
        }
    )
    lines.append(
        {
            "step": "final",
            "code": "final",
            "label": str(pricing.LABEL_FINAL),
            "rate": None,
            "amount": _money_text(new_price),
            "running_total": _money_text(new_price),
            "note": "",
        }
    )
    for position, line in enumerate(lines, start=1):
        line["position"] = position
    return lines


def _line_dict(line) -> dict:
    return {
        "position": line.position,
        "step": line.step,
        "code": line.code,
        "label": str(line.label),
        "rate": str(line.rate) if line.rate is not None else None,
        "amount": str(line.amount),
        "running_total": str(line.running_total),
        "note": str(line.note or ""),
    }


def _store_lines(subscription, lines) -> None:
    PriceLine.objects.filter(subscription=subscription).delete()
    PriceLine.objects.bulk_create(
        PriceLine(
            subscription=subscription,
            position=line["position"],
            step=line["step"],
            code=line["code"],
            label=line["label"][:100],
            rate=Decimal(line["rate"]) if line["rate"] is not None else None,
            amount=Decimal(line["amount"]),
            running_total=Decimal(line["running_total"]),
            note=line["note"][:200],
        )
        for line in lines
    )


def _live_contract(subscription):
    return (
        Contract.objects.unscoped("the contract of the locked subscription")
        .filter(subscription=subscription, cancelled_at__isnull=True)
        .first()
    )


def _flag(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes")
    return bool(value)


# --- the approval's handlers (registered in wiring.py) ---------------------------------------


def apply_approved_change(*, by, request) -> None:
    """``on_approved``: apply the change, all of it or nothing (the decision rolls back)."""
    change, subscription = _lock_for_apply(request)
    APPLY[change.kind](by, change, subscription)
    change.status = ChangeStatus.APPLIED
    change.applied_at = timezone.now()
    change.save(update_fields=["status", "applied_at", "payload", "updated_at"])
    record_event(
        by=by,
        verb="deals.change_applied",
        target=change,
        subject=_buyer_before(change, subscription),
        details={
            "subscription": subscription.pk,
            "number": subscription.number,
            "kind": change.kind,
            "approval": request.pk,
        },
    )


def mark_change_rejected(*, by, request) -> None:
    """``on_rejected``: the change is not made; the requester reads why on the request."""
    _close(by, request, ChangeStatus.REJECTED, "deals.change_rejected")


def mark_change_withdrawn(*, by, request) -> None:
    """``on_withdrawn``: the requester took it back."""
    _close(by, request, ChangeStatus.WITHDRAWN, "deals.change_withdrawn")


def _close(by, request, status, verb) -> None:
    change = _change_of_request(request, lock=True)
    if change.status != ChangeStatus.PENDING:
        return
    change.status = status
    change.save(update_fields=["status", "updated_at"])
    record_event(
        by=by,
        verb=verb,
        target=change,
        subject=change.subscription.customer,
        details={
            "subscription": change.subscription_id,
            "kind": change.kind,
            "approval": request.pk,
            "comment": request.comment,
        },
    )


def _change_of_request(request, *, lock=False) -> SalesChange:
    rows = SalesChange.objects.unscoped("the change an approval request names")
    if lock:
        rows = rows.select_for_update(of=("self",))
    change = rows.select_related("subscription__customer").filter(pk=request.target_id).first()
    if change is None:
        raise Conflict(_("The change no longer exists."), code="gone")
    return change


def _lock_for_apply(request):
    """The unit(s) in ascending id order, then the subscription, then the change."""
    change = _change_of_request(request)
    unit_ids = {change.subscription.unit_id}
    if change.kind == ChangeKind.CHANGE_UNIT:
        unit_ids.add(change.payload["to_unit_id"])
    for unit_id in sorted(unit_ids):
        unit_for_update(unit_id)
    subscription = lock_subscription(change.subscription)
    change = _change_of_request(request, lock=True)
    if subscription.unit_id not in unit_ids:  # moved between our read and the lock
        raise Conflict(_("The deal changed meanwhile: ask again."), code="changed_meanwhile")
    if change.status != ChangeStatus.PENDING:
        raise Conflict(_("This change is no longer waiting for approval."), code="not_pending")
    _require_changeable(subscription)
    return change, subscription


def _buyer_before(change, subscription):
    if change.kind == ChangeKind.RENAME:
        return change.subscription.customer  # read before the rename, with the change
    return subscription.customer


def _apply_change_unit(by, change, subscription) -> None:
    payload = change.payload
    _check_price_unchanged(subscription, payload)
    new_unit = unit_for_update(payload["to_unit_id"])
    if new_unit.status != UnitStatus.AVAILABLE:
        raise _unit_taken()
    refuse_jumping_the_launch(new_unit)  # a launch may have opened since the request
    if new_unit.list_price != Decimal(payload["to_list_price"]):
        raise Conflict(
            _("The unit's list price changed since the request: withdraw it and ask again."),
            field="unit_id",
            code="list_price_changed",
        )
    new_price = Decimal(payload["new_final_price"])
    _check_new_price(subscription, new_price, field="unit_id")
    old_unit = subscription.unit
    payload["old_lines"] = _current_lines(subscription)
    payload["old_list_price"] = _money_text(subscription.list_price)
    subscription.unit = new_unit
    subscription.list_price = new_unit.list_price
    subscription.final_price = new_price
    try:
        with transaction.atomic():  # one live subscription per unit: the last guard
            subscription.save(update_fields=["unit", "list_price", "final_price", "updated_at"])
    except IntegrityError as exc:
        raise _unit_taken() from exc
    _store_lines(subscription, payload["new_lines"])
    held = UNIT_STATUS_OF[SubscriptionStatus(subscription.status)]
    label = str(subscription)
    customer = subscription.customer
    unit_change_status(
        by=by, unit=new_unit, to=UnitStatus.SUBSCRIBED, reason=label, subject=customer
    )
    if held == UnitStatus.SIGNED:
        unit_change_status(
            by=by, unit=new_unit, to=UnitStatus.SIGNED, reason=label, subject=customer
        )
    unit_change_status(
        by=by, unit=old_unit, to=UnitStatus.AVAILABLE, reason=label, subject=customer
    )
    _contract_follows_price(by, subscription, new_price)


def _apply_rename(by, change, subscription) -> None:
    payload = change.payload
    old = subscription.customer
    if old.pk != payload["from_customer_id"]:
        raise Conflict(_("The deal changed meanwhile: ask again."), code="changed_meanwhile")
    new = _live_customer(payload["to_customer_id"], field="customer_id")
    CoBuyer.objects.filter(subscription=subscription, customer=new).delete()
    subscription.customer = new
    subscription.save(update_fields=["customer", "updated_at"])
    if payload.get("keep_old_buyer"):
        CoBuyer.objects.get_or_create(subscription=subscription, customer=old)
    record_event(
        by=by,
        verb="deals.buyer_changed",
        target=subscription,
        subject=new,
        details={"number": subscription.number, "from": old.pk, "to": new.pk, "change": change.pk},
    )


def _apply_add_co_buyer(by, change, subscription) -> None:
    customer = _live_customer(change.payload["customer_id"], field="customer_id")
    if customer.pk == subscription.customer_id:
        raise Conflict(
            _("The main buyer cannot also be a co-buyer."),
            field="customer_id",
            code="co_buyer_is_buyer",
        )
    _row, created = CoBuyer.objects.get_or_create(subscription=subscription, customer=customer)
    if not created:
        raise Conflict(_("This person is a co-buyer already."), code="already_co_buyer")


def _apply_remove_co_buyer(by, change, subscription) -> None:
    removed, _rows = CoBuyer.objects.filter(
        subscription=subscription, customer_id=change.payload["customer_id"]
    ).delete()
    if not removed:
        raise Conflict(_("This person is not a co-buyer of the deal."), code="not_co_buyer")


def _apply_price_adjustment(by, change, subscription) -> None:
    payload = change.payload
    _check_price_unchanged(subscription, payload)
    new_price = Decimal(payload["new_final_price"])
    _check_new_price(subscription, new_price, field="final_price")
    payload["old_lines"] = _current_lines(subscription)
    subscription.final_price = new_price
    validate_fields(subscription, ["final_price"])
    subscription.save(update_fields=["final_price", "updated_at"])
    _store_lines(subscription, payload["new_lines"])
    _contract_follows_price(by, subscription, new_price)


def _apply_cancellation(by, change, subscription) -> None:
    payload = change.payload
    refund = Decimal(payload["refund_amount"])
    text = _cancel_text(change)
    paid = paid_total(subscription)
    if refund > paid:
        raise Conflict(
            _("The refund is more than was paid (%(paid)s yuan): ask again.")
            % {"paid": f"{paid:,}"},
            field="refund_amount",
            code="refund_too_large",
        )
    if refund > 0:
        payment = payment_record(
            by=by,
            subscription=subscription,
            amount=-refund,
            method=payload["refund_method"],
            receipt_no=payload.get("refund_receipt_no", ""),
            reason=text,
        )
        payload["refund_payment_id"] = payment.pk
    payload["kept"] = _money_text(paid - refund)
    _set_status(by, subscription, SubscriptionStatus.CANCELLED, reason=text, change=change.pk)
    subscription.cancelled_at = timezone.now()
    subscription.cancel_reason = text
    subscription.save(update_fields=["cancelled_at", "cancel_reason", "updated_at"])
    unit_change_status(
        by=by,
        unit=subscription.unit,
        to=UnitStatus.AVAILABLE,
        reason=text,
        subject=subscription.customer,
    )
    contract = _live_contract(subscription)
    if contract is not None:
        contract.cancelled_at = subscription.cancelled_at
        contract.save(update_fields=["cancelled_at", "updated_at"])
        record_event(
            by=by,
            verb="deals.contract_cancelled",
            target=contract,
            subject=subscription.customer,
            details={"number": contract.number, "change": change.pk},
        )
        payload["contract_id"] = contract.pk
    # The queue number stays used: a deal cancelled after subscription is final.
    if subscription.points_used:
        from anju.membership.services import points_offset_return

        payer = _points_payer(subscription)
        # The approver decides the deal; he may not see the buyer's record itself (a buyer
        # registered at another project): then the points come back as the system's act.
        payload["points_returned"] = points_offset_return(
            by=by if by is not None and can_see(by, payer) else None,
            customer=payer,
            reference=f"subscription:{subscription.pk}",
            reason=text,
        )


APPLY = {
    ChangeKind.CHANGE_UNIT: _apply_change_unit,
    ChangeKind.RENAME: _apply_rename,
    ChangeKind.ADD_CO_BUYER: _apply_add_co_buyer,
    ChangeKind.REMOVE_CO_BUYER: _apply_remove_co_buyer,
    ChangeKind.PRICE_ADJUSTMENT: _apply_price_adjustment,
    ChangeKind.CANCELLATION: _apply_cancellation,
}


def _check_price_unchanged(subscription, payload) -> None:
    if subscription.final_price != Decimal(payload["old_final_price"]):
        raise Conflict(_("The deal changed meanwhile: ask again."), code="changed_meanwhile")


def _current_lines(subscription) -> list[dict]:
    return [
        _line_dict(line)
        for line in PriceLine.objects.filter(subscription=subscription).order_by("position")
    ]


def _live_customer(pk, *, field):
    from anju.customers.models import Customer

    customer = Customer.objects.unscoped("the customer an approved change names").get(pk=pk)
    require_visible_customer(None, customer, field=field)  # merged or erased meanwhile
    return customer


def _points_payer(subscription):
    """Who paid the points offset: the buyer at subscription — the first rename's old buyer
    if the deal was renamed since (the points were his), else the buyer."""
    from anju.customers.models import Customer

    first_rename = (
        SalesChange.objects.unscoped("the renames of the locked subscription")
        .filter(subscription=subscription, kind=ChangeKind.RENAME, status=ChangeStatus.APPLIED)
        .order_by("applied_at", "pk")
        .first()
    )
    if first_rename is None:
        return subscription.customer
    return Customer.objects.unscoped("the buyer who paid the offset").get(
        pk=first_rename.payload["from_customer_id"]
    )


def _cancel_text(change) -> str:
    first_line = change.reason.strip().splitlines()[0] if change.reason.strip() else ""
    return (_("Cancellation: %(reason)s") % {"reason": first_line})[:200]


def _contract_follows_price(by, subscription, new_price) -> None:
    """A signed deal's new price: the contract's total follows; the difference goes on the
    last instalment, a reduction comes off the last ones first (never below what they have
    been paid); what was paid is spread again."""
    contract = _live_contract(subscription)
    if contract is None or contract.total == new_price:
        return
    old_total = contract.total
    instalments = list(
        Instalment.objects.filter(contract=contract).order_by("-due_date", "-position")
    )
    diff = new_price - old_total
    if instalments and diff > 0:
        instalments[0].amount += diff
        instalments[0].save(update_fields=["amount"])
    elif instalments:
        left = -diff
        for instalment in instalments:
            take = min(left, instalment.amount - instalment.paid)
            if take <= 0:
                continue
            instalment.amount -= take
            left -= take
            if instalment.amount == 0:
                instalment.delete()
            else:
                instalment.save(update_fields=["amount"])
            if not left:
                break
    contract.total = new_price
    kept = [i for i in instalments if i.pk is not None]
    if any(i.kind == InstalmentKind.DOWN_PAYMENT for i in kept):
        contract.down_payment = sum(
            (i.amount for i in kept if i.kind == InstalmentKind.DOWN_PAYMENT), Decimal("0")
        )
    if any(i.kind == InstalmentKind.LOAN for i in kept):
        contract.loan_amount = sum(
            (i.amount for i in kept if i.kind == InstalmentKind.LOAN), Decimal("0")
        )
    contract.save(update_fields=["total", "down_payment", "loan_amount", "updated_at"])
    spread_over_instalments(subscription)
    record_event(
        by=by,
        verb="deals.contract_price_changed",
        target=contract,
        subject=subscription.customer,
        details={"number": contract.number, "from": str(old_total), "to": str(new_price)},
    )


# --- what the approval queue shows (no query per row: from the payload) ---------------------


def _approval_payload(change, subscription) -> dict:
    return {
        "change_id": change.pk,
        "subscription_id": subscription.pk,
        "number": str(subscription),
        "unit": str(subscription.unit),
        "customer": mask_name(subscription.customer.name),
        "kind": change.kind,
        "what": change_what(change),
        "reason": change.reason[:200],
    }


def change_what(change) -> str:
    """One line saying what the change does, from its payload."""
    p = change.payload or {}
    kind = change.kind
    if kind == ChangeKind.CHANGE_UNIT:
        return _("unit %(from)s → %(to)s, price %(old)s → %(new)s yuan") % {
            "from": p.get("from_unit", ""),
            "to": p.get("to_unit", ""),
            "old": _yuan(p.get("old_final_price")),
            "new": _yuan(p.get("new_final_price")),
        }
    if kind == ChangeKind.RENAME:
        return _("buyer %(from)s → %(to)s") % {
            "from": p.get("from_customer", ""),
            "to": p.get("to_customer", ""),
        }
    if kind == ChangeKind.ADD_CO_BUYER:
        return _("add co-buyer %(name)s") % {"name": p.get("customer", "")}
    if kind == ChangeKind.REMOVE_CO_BUYER:
        return _("remove co-buyer %(name)s") % {"name": p.get("customer", "")}
    if kind == ChangeKind.PRICE_ADJUSTMENT:
        return _("price %(old)s → %(new)s yuan") % {
            "old": _yuan(p.get("old_final_price")),
            "new": _yuan(p.get("new_final_price")),
        }
    if kind == ChangeKind.CANCELLATION:
        return _("cancel the deal, refund %(refund)s of %(paid)s yuan paid") % {
            "refund": _yuan(p.get("refund_amount")),
            "paid": _yuan(p.get("paid")),
        }
    return kind


def change_summary(change, subscription) -> str:
    return _("%(number)s %(unit)s: %(kind)s — %(what)s") % {
        "number": subscription,
        "unit": subscription.unit,
        "kind": ChangeKind(change.kind).label,
        "what": change_what(change),
    }


def _money_text(value) -> str:
    """An amount as the payload keeps it: a string in fen ("5000.00")."""
    return str(Decimal(value).quantize(Decimal("0.01")))


def _yuan(value) -> str:
    try:
        return f"{Decimal(value):,}"
    except Exception:  # noqa: BLE001 — a payload written by an older version: shown as is
        return str(value or "")


def describe_change_request(request) -> str:
    """The approvals queue's line, from the request's payload alone."""
    payload = request.payload or {}
    if "what" not in payload:
        return request.summary
    return _("%(customer)s · %(what)s · %(reason)s") % {
        "customer": payload.get("customer", ""),
        "what": payload["what"],
        "reason": payload.get("reason", ""),
    }


def change_request_url(request):
    from django.urls import reverse

    change_id = (request.payload or {}).get("change_id") or request.target_id
    return reverse("deals:change_detail", args=[change_id])


__all__ = [
    "CHANGE_APPROVAL_KIND",
    "apply_approved_change",
    "change_request_url",
    "describe_change_request",
    "mark_change_rejected",
    "mark_change_withdrawn",
    "sales_change_request",
    "sales_change_withdraw",
]
