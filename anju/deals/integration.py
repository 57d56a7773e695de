"""The deals app in the kernel's customer hooks (issue 12), registered once from
``wiring.wire()`` through ``register()``:

- CUS-3: a customer merge moves the duplicate's queue numbers, subscriptions, co-buyer rows
  and relative-tier claims to the survivor (``merge_deals``);
- CUS-4/CUS-5: a hand-over moves the leaving consultant's *open* deal work to the new owner
  (``hand_over_open_deals``);
- SEC-2 (PIPL): the data package and erasure live in ``privacy.py``;
- SEC-3: the deals rows people edit or a manager configures are in the audit log;
- INT-2: the events an ERP or a finance system needs are publishable to webhooks, each with
  its own ``data`` block (``*_data``).
"""

from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.core.errors import Conflict
from anju.core.events import record_event, record_events
from anju.core.masking import mask_text

from .models import (
    LIVE_QUEUE_STATUSES,
    CoBuyer,
    Contract,
    Payment,
    QueueTicket,
    RelativeTierClaim,
    SalesChange,
    Subscription,
    SubscriptionStatus,
)

# --- CUS-3: merge --------------------------------------------------------------------------------

# Where a sales change's payload names a customer (rename, add/remove a co-buyer).
PAYLOAD_CUSTOMER_KEYS = ("from_customer_id", "to_customer_id", "customer_id")


def merge_deals(*, duplicate, survivor) -> dict:
    """Fold the duplicate's deals into the survivor, inside the merge's transaction.

    Every row moves whatever its state (history included: the survivor's 360° shows the
    whole story, as the other apps' rows do): queue numbers, subscriptions he is the main
    buyer of (their contracts, payments and sales changes follow their subscription), his
    co-buyer rows, the relative-tier claims naming him, and the customer ids in sales
    changes' payloads (a pending rename to the duplicate renames to the survivor; an
    applied one keeps pointing at the person who paid the points).

    Two edge cases a real merge meets:

    - **The survivor would become his own co-buyer** (he is the main buyer of a subscription
      the duplicate co-buys, or the other way round), or a co-buyer twice (both were
      co-buyers of the same deal): that co-buyer row is dropped, with a
      ``deals.co_buyer_dropped`` event on the subscription. The person is on the deal
      anyway, as its buyer or its co-buyer.
    - **Both hold a live queue number for the same project**: the merge is refused (409
      ``already_queued``, nothing written) naming the numbers. The deals app allows one
      live number per customer and project, and the club's rule for two memberships
      (``membership.wiring.merge_club_records``: the survivor keeps the better of the two,
      nothing of value is lost) cannot be followed automatically here: keeping both would
      break the one-number rule (the person could choose twice on launch day), and ending
      one means cancelling it with the refund of its deposit (诚意金) — money going back,
      which a person records (``queue_number_cancel``: amount, method, receipt). So the
      user is told to cancel one of the two first (usually the later number), then to
      merge; nothing is lost meanwhile.
    """
    _refuse_two_live_numbers(duplicate=duplicate, survivor=survivor)
    moved = {
        "queue_numbers": QueueTicket.objects.unscoped("merge: the service checked both customers")
        .filter(customer=duplicate)
        .update(customer=survivor, updated_at=timezone.now()),
        "subscriptions": Subscription.objects.unscoped("merge: the service checked both customers")
        .filter(customer=duplicate)
        .update(customer=survivor, updated_at=timezone.now()),
    }
    dropped = _drop_co_buyer_rows(duplicate=duplicate, survivor=survivor)
    moved["co_buyers"] = CoBuyer.objects.filter(customer=duplicate).update(customer=survivor)
    moved["co_buyers_dropped"] = dropped
    moved["relative_tier_claims"] = RelativeTierClaim.objects.filter(relative=duplicate).update(
        relative=survivor
    )
    moved["sales_changes"] = _repoint_change_payloads(duplicate=duplicate, survivor=survivor)
    return moved


def _refuse_two_live_numbers(*, duplicate, survivor) -> None:
    live = list(
        QueueTicket.objects.unscoped("merge: the service checked both customers")
        .filter(customer__in=[duplicate, survivor], status__in=LIVE_QUEUE_STATUSES)
        .select_related("project")
        .order_by("project_id", "number")
    )
    holders = {}
    for ticket in live:
        holders.setdefault(ticket.project_id, []).append(ticket)
    for tickets in holders.values():
        if len({t.customer_id for t in tickets}) > 1:
            raise Conflict(
                _(
                    "%(survivor)s and %(duplicate)s both hold a live queue number for "
                    "%(project)s (%(numbers)s), and one person holds one live number per "
                    "project. Cancel one of them first (with the refund of its deposit), "
                    "then merge."
                )
                % {
                    "survivor": survivor.code,
                    "duplicate": duplicate.code,
                    "project": tickets[0].project.name,
                    "numbers": "、".join(str(t) for t in tickets),
                },
                field="duplicate",
                code="already_queued",
            )


def _drop_co_buyer_rows(*, duplicate, survivor) -> int:
    """Co-buyer rows that the merge would turn into "the buyer co-buys his own deal" or
    "the same co-buyer twice" (the subscriptions have moved already)."""
    rows = list(
        CoBuyer.objects.filter(
            Q(customer__in=[duplicate, survivor], subscription__customer=survivor)
            | Q(customer=duplicate, subscription__co_buyers__customer=survivor)
        )
        .select_related("subscription")
        .distinct()
    )
    if not rows:
        return 0
    CoBuyer.objects.filter(pk__in=[r.pk for r in rows]).delete()
    for row in rows:
        record_event(
            by=None,
            verb="deals.co_buyer_dropped",
            target=row.subscription,
            subject=survivor,
            details={
                "number": row.subscription.number,
                "customer": row.customer_id,
                "merged_into": survivor.pk,
            },
        )
    return len(rows)


def _repoint_change_payloads(*, duplicate, survivor) -> int:
    query = Q()
    for key in PAYLOAD_CUSTOMER_KEYS:
        query |= Q(**{f"payload__{key}": duplicate.pk})
    changes = list(
        SalesChange.objects.unscoped("merge: the service checked both customers").filter(query)
    )
    for change in changes:
        for key in PAYLOAD_CUSTOMER_KEYS:
            if change.payload.get(key) == duplicate.pk:
                change.payload[key] = survivor.pk
    SalesChange.objects.unscoped("merge: the service checked both customers").bulk_update(
        changes, ["payload"], batch_size=500
    )
    return len(changes)


# --- CUS-4/CUS-5: hand-over ----------------------------------------------------------------------

# Deal work still to be done: the new consultant calls the number on launch day, sets the
# terms, confirms, asks the approval again, signs. A signed deal is a sale made: its
# subscription and contract keep the consultant who made it (the sales record, commission).
OPEN_SUBSCRIPTION_STATUSES = (
    SubscriptionStatus.DRAFT,
    SubscriptionStatus.PENDING,
    SubscriptionStatus.SUBSCRIBED,
)


def hand_over_open_deals(*, customer_ids, from_user, to_user) -> dict:
    """The leaver's open deal work on these customers follows them to the new owner.

    Moves, where ``from_user`` is the consultant: live queue numbers (waiting, called,
    skipped) and subscriptions not yet signed (draft, waiting for approval, subscribed) —
    ``consultant`` is their scope's owner, so the new consultant sees them and may act on
    them; their payments and pending sales changes follow (scoped by the subscription's
    consultant). Stays: used and cancelled numbers, signed and cancelled subscriptions and
    every contract (``Contract.consultant``): the record of who sold what. Open revisit
    tasks are reception's follow-up tasks and move with them (reception's handler).

    Only in projects where ``to_user`` may sell (SELL_UNITS): a deal in a project he does
    not work in stays with its consultant for a manager to hand over there, and is counted
    (``deals_not_moved``). Each moved row gets a ``deals.consultant_changed`` event (the
    actor is the owner change's, on its ``customer.owner_changed`` event).
    """
    tickets = list(
        QueueTicket.objects.unscoped("hand-over: the service checked the customers").filter(
            customer_id__in=customer_ids, consultant=from_user, status__in=LIVE_QUEUE_STATUSES
        )
    )
    subscriptions = list(
        Subscription.objects.unscoped("hand-over: the service checked the customers").filter(
            customer_id__in=customer_ids,
            consultant=from_user,
            status__in=OPEN_SUBSCRIPTION_STATUSES,
        )
    )
    sells_in = _projects_sold_by(to_user, tickets + subscriptions)
    moving_tickets = [t for t in tickets if t.project_id in sells_in]
    moving_subscriptions = [s for s in subscriptions if s.project_id in sells_in]
    now = timezone.now()
    for model, rows in ((QueueTicket, moving_tickets), (Subscription, moving_subscriptions)):
        if not rows:
            continue
        model.objects.unscoped("hand-over: the service checked the customers").filter(
            pk__in=[r.pk for r in rows]
        ).update(consultant=to_user, updated_at=now)
        record_events(
            by=None,
            verb="deals.consultant_changed",
            targets=rows,
            subject_is_target=False,
            details=lambda row: {
                "number": row.number,
                "customer": row.customer_id,
                "from": from_user.pk,
                "to": to_user.pk,
            },
        )
    return {
        "live_queue_numbers": len(moving_tickets),
        "open_subscriptions": len(moving_subscriptions),
        "deals_not_moved": len(tickets)
        + len(subscriptions)
        - len(moving_tickets)
        - len(moving_subscriptions),
    }


def _projects_sold_by(user, rows) -> set[int]:
    from anju.core.permissions import has_perm
    from anju.core.roles import Perm

    places = {(r.company_id, r.project_id) for r in rows}
    return {
        project
        for company, project in places
        if has_perm(user, Perm.SELL_UNITS, company=company, project=project)
    }


# --- SEC-3: audit log ------------------------------------------------------------------------------


def _register_audit_log() -> None:
    """Who changed what, before and after (django-auditlog), for the rows people edit:
    what a manager configures (templates, discounts, authority, reminders, launches) and
    the deal rows themselves (numbers, subscriptions and their parties, contracts and their
    plans, payments, sales changes). Price lines are not registered: they are written in
    one go whenever a price is agreed (no per-row signal) and the price they explain is
    audited on the subscription."""
    from auditlog.registry import auditlog

    from . import models

    auditlog.register(models.SalesDiscount, m2m_fields={"buildings"})
    auditlog.register(models.LaunchDay, m2m_fields={"buildings"})
    for model in (
        models.DocumentTemplate,
        models.DiscountAuthority,
        models.PaymentReminderSettings,
        models.QueueTicket,
        models.Subscription,
        models.CoBuyer,
        models.RelativeTierClaim,
        models.Contract,
        models.Instalment,
        models.Payment,
        models.SalesChange,
    ):
        auditlog.register(model)


# --- INT-2: webhooks -----------------------------------------------------------------------------


def _money(value) -> str | None:
    return None if value is None else str(value)


def _text(value: str, unmask: bool) -> str:
    """Free text typed by staff: mobiles and ID numbers in it masked unless ``unmask``."""
    return value if unmask else mask_text(value)


def _iso(value):
    from anju.webhooks.payloads import iso

    return iso(value)


def _unit_block(unit) -> dict:
    return {
        "id": unit.pk,
        "building_id": unit.building_id,
        "building": unit.building.name,
        "number": unit.number,
        "label": str(unit),
        "layout": unit.layout,
        "area": _money(unit.area),
    }


def subscription_block(subscription, *, unmask: bool, with_lines: bool = True) -> dict:
    """A deal as an ERP books it: ids and numbers, the unit, the parties (ids and codes:
    a co-buyer's name is read through the API, where reading it is logged), amounts as
    strings, what was paid so far."""
    subscription = (
        Subscription.objects.unscoped("webhooks: the deal rows an event names (system)")
        .select_related("unit__building", "queue_ticket")
        .get(pk=subscription.pk)
    )
    paid = (
        Payment.objects.unscoped("webhooks: the deal rows an event names (system)")
        .filter(subscription=subscription)
        .aggregate(total=Sum("amount"))["total"]
    ) or Decimal("0")
    paid = paid.quantize(Decimal("0.01"))  # a SUM comes back without its scale on SQLite
    block = {
        "id": subscription.pk,
        "number": subscription.number,
        "reference": str(subscription),
        "project_id": subscription.project_id,
        "unit": _unit_block(subscription.unit),
        "customer_id": subscription.customer_id,
        "co_buyers": [
            {"id": c.customer_id, "code": c.customer.code}
            for c in subscription.co_buyers.select_related("customer").order_by("pk")
        ],
        "consultant_id": subscription.consultant_id,
        "queue_number": subscription.queue_ticket.number if subscription.queue_ticket else None,
        "status": subscription.status,
        "payment_plan": subscription.payment_plan,
        "list_price": _money(subscription.list_price),
        "special_discount": _money(subscription.special_discount),
        "points_used": subscription.points_used,
        "points_value": _money(subscription.points_value),
        "tier_code": subscription.tier_code,
        "final_price": _money(subscription.final_price),
        "deposit": _money(subscription.deposit),
        "paid_total": _money(paid),
        "balance": _money(subscription.final_price - paid),
        "sign_by": subscription.sign_by,
        "subscribed_at": _iso(subscription.subscribed_at),
        "signed_at": _iso(subscription.signed_at),
        "cancelled_at": _iso(subscription.cancelled_at),
        "cancel_reason": _text(subscription.cancel_reason, unmask),
    }
    if with_lines:
        block["price_lines"] = [
            {
                "position": line.position,
                "step": line.step,
                "code": line.code,
                "label": line.label,
                "rate": _money(line.rate),
                "amount": _money(line.amount),
                "running_total": _money(line.running_total),
                "note": _text(line.note, unmask),
            }
            for line in subscription.price_lines.order_by("position")
        ]
    return block


def queue_ticket_data(event, ticket, unmask: bool) -> dict:
    return {
        "queue_ticket": {
            "id": ticket.pk,
            "number": ticket.number,
            "project_id": ticket.project_id,
            "customer_id": ticket.customer_id,
            "consultant_id": ticket.consultant_id,
            "status": ticket.status,
            "intention": _text(ticket.intention, unmask),
            "deposit_amount": _money(ticket.deposit_amount),
            "deposit_method": ticket.deposit_method,
            "deposit_receipt_no": ticket.deposit_receipt_no,
            "issued_at": _iso(ticket.created_at),
            "called_at": _iso(ticket.called_at),
            "cancelled_at": _iso(ticket.cancelled_at),
            "cancel_reason": _text(ticket.cancel_reason, unmask),
            "refund_amount": _money(ticket.refund_amount),
            "refund_method": ticket.refund_method,
            "refund_receipt_no": ticket.refund_receipt_no,
        }
    }


def subscription_data(event, subscription, unmask: bool) -> dict:
    return {"subscription": subscription_block(subscription, unmask=unmask)}


def contract_data(event, contract, unmask: bool) -> dict:
    contract = (
        Contract.objects.unscoped("webhooks: the deal rows an event names (system)")
        .select_related("subscription")
        .get(pk=contract.pk)
    )
    return {
        "contract": {
            "id": contract.pk,
            "number": contract.number,
            "reference": str(contract),
            "subscription_id": contract.subscription_id,
            "project_id": contract.project_id,
            "consultant_id": contract.consultant_id,
            "payment_plan": contract.payment_plan,
            "total": _money(contract.total),
            "down_payment": _money(contract.down_payment),
            "loan_amount": _money(contract.loan_amount),
            "signed_at": _iso(contract.signed_at),
            "cancelled_at": _iso(contract.cancelled_at),
            "instalments": [
                {
                    "position": i.position,
                    "kind": i.kind,
                    "due_date": i.due_date,
                    "amount": _money(i.amount),
                    "paid": _money(i.paid),
                }
                for i in contract.instalments.order_by("position")
            ],
        },
        "subscription": subscription_block(contract.subscription, unmask=unmask, with_lines=False),
    }


def payment_data(event, subscription, unmask: bool) -> dict:
    """``deals.payment_recorded`` / ``deals.refund_recorded``: the event's target is the
    subscription; the payment is the one its details name."""
    data = {"subscription": subscription_block(subscription, unmask=unmask, with_lines=False)}
    payment = (
        Payment.objects.unscoped("webhooks: the deal rows an event names (system)")
        .filter(pk=(event.details or {}).get("payment"), subscription=subscription)
        .first()
    )
    if payment is not None:
        data["payment"] = {
            "id": payment.pk,
            "amount": _money(payment.amount),
            "refund": payment.amount < 0,
            "method": payment.method,
            "receipt_no": payment.receipt_no,
            "paid_on": payment.paid_on,
            "reason": _text(payment.reason, unmask),
            "recorded_by_id": payment.recorded_by_id,
            "recorded_at": _iso(payment.created_at),
        }
    return data


# What a sales change did, for a receiver (the payload's masked names and price lines stay
# inside: the subscription block shows the deal as it is now).
CHANGE_FACTS = (
    "from_unit_id",
    "to_unit_id",
    "old_final_price",
    "new_final_price",
    "from_customer_id",
    "to_customer_id",
    "customer_id",
    "keep_old_buyer",
    "refund_amount",
    "refund_method",
    "refund_receipt_no",
    "refund_payment_id",
    "contract_id",
)


def sales_change_data(event, change, unmask: bool) -> dict:
    payload = change.payload or {}
    return {
        "sales_change": {
            "id": change.pk,
            "kind": change.kind,
            "status": change.status,
            "subscription_id": change.subscription_id,
            "requested_by_id": change.requested_by_id,
            "requested_at": _iso(change.created_at),
            "applied_at": _iso(change.applied_at),
            "reason": _text(change.reason, unmask),
            "changes": {key: payload[key] for key in CHANGE_FACTS if key in payload},
        },
        "subscription": subscription_block(change.subscription, unmask=unmask),
    }


def _register_webhooks() -> None:
    """The verbs the deals services record (``record_event`` in services/), for an ERP or a
    finance system. 认购 is ``deals.subscription_status_changed`` (``details.to`` is
    ``subscribed``; the same verb says pending, signed, cancelled)."""
    from anju.webhooks.registry import register_webhook_verb

    for verb, label, data in (
        ("deals.queue_issued", gettext_lazy("Queue number issued"), queue_ticket_data),
        ("deals.queue_cancelled", gettext_lazy("Queue number cancelled"), queue_ticket_data),
        (
            "deals.subscription_status_changed",
            gettext_lazy("Subscription status changed (subscribed, signed, cancelled …)"),
            subscription_data,
        ),
        ("deals.contract_signed", gettext_lazy("Contract signed"), contract_data),
        ("deals.contract_cancelled", gettext_lazy("Contract cancelled"), contract_data),
        ("deals.payment_recorded", gettext_lazy("Payment recorded"), payment_data),
        ("deals.refund_recorded", gettext_lazy("Refund recorded"), payment_data),
        ("deals.change_applied", gettext_lazy("Sales change applied"), sales_change_data),
    ):
        register_webhook_verb(verb, label, data=data)


# --- registration ----------------------------------------------------------------------------------


def register() -> None:
    from anju.customers.handover import register_handover_handler
    from anju.customers.merging import register_merge_handler

    from . import privacy

    register_merge_handler(merge_deals)
    register_handover_handler(hand_over_open_deals)
    privacy.register()
    _register_audit_log()
    _register_webhooks()
