"""Deals on the customer 360° timeline (CUS-6): queue numbers, subscriptions with their
price, contracts and payments — one provider, **one query** (a UNION ALL of the four kinds,
each read through ``visible_to``, newest first, at most ``limit`` rows)."""

from decimal import Decimal

from django.db.models import CharField, DateTimeField, DecimalField, F, IntegerField, Value
from django.db.models.functions import Cast, Coalesce, Concat, NullIf
from django.urls import reverse
from django.utils.translation import gettext as _

from anju.customers.timeline import TimelineEntry, merged_ids

from .models import (
    Contract,
    Payment,
    PaymentMethod,
    PaymentPlan,
    QueueStatus,
    QueueTicket,
    Subscription,
    SubscriptionStatus,
)

KINDS = ("queue", "subscription", "contract", "payment")
COLUMNS = tuple(
    f"t_{name}"
    for name in (
        "kind",
        "id",
        "when",
        "number",
        "amount",
        "state",
        "label",
        "note",
        "link",
        "actor",
    )
)


def _text(value):
    return Value(value, output_field=CharField())


def _null_int():
    return Cast(Value(None), output_field=IntegerField())


def _name(path):
    """The staff member's display name, else his login name."""
    return Coalesce(NullIf(F(f"{path}__display_name"), _text("")), F(f"{path}__username"))


def _unit(prefix=""):
    return Concat(
        F(f"{prefix}unit__building__name"),
        _text("-"),
        F(f"{prefix}unit__number"),
        output_field=CharField(),
    )


def _row(qs, **columns):
    """``qs`` reduced to the shared columns, in the shared order (a UNION needs both)."""
    return qs.order_by().annotate(**columns).values(*COLUMNS)


def _streams(user, ids):
    money = DecimalField(max_digits=14, decimal_places=2)
    queue = _row(
        QueueTicket.objects.visible_to(user).filter(customer_id__in=ids),
        t_kind=_text("queue"),
        t_id=F("pk"),
        t_when=Cast(F("created_at"), DateTimeField()),
        t_number=F("number"),
        t_amount=Cast(F("deposit_amount"), money),
        t_state=F("status"),
        t_label=F("project__name"),
        t_note=F("intention"),
        t_link=_null_int(),
        t_actor=_name("consultant"),
    )
    subscriptions = _row(
        Subscription.objects.visible_to(user).filter(customer_id__in=ids),
        t_kind=_text("subscription"),
        t_id=F("pk"),
        t_when=Cast(F("created_at"), DateTimeField()),
        t_number=F("number"),
        t_amount=Cast(F("final_price"), money),
        t_state=F("status"),
        t_label=_unit(),
        t_note=F("project__name"),
        t_link=Cast(F("contract__id"), IntegerField()),
        t_actor=_name("consultant"),
    )
    contracts = _row(
        Contract.objects.visible_to(user).filter(subscription__customer_id__in=ids),
        t_kind=_text("contract"),
        t_id=F("pk"),
        t_when=Cast(F("signed_at"), DateTimeField()),
        t_number=F("number"),
        t_amount=Cast(F("total"), money),
        t_state=F("payment_plan"),
        t_label=_unit("subscription__"),
        t_note=F("project__name"),
        t_link=F("pk"),
        t_actor=_name("consultant"),
    )
    payments = _row(
        Payment.objects.visible_to(user).filter(subscription__customer_id__in=ids),
        t_kind=_text("payment"),
        t_id=F("pk"),
        t_when=Cast(F("created_at"), DateTimeField()),
        t_number=_null_int(),
        t_amount=Cast(F("amount"), money),
        t_state=F("method"),
        t_label=_unit("subscription__"),
        t_note=Coalesce(F("reason"), _text("")),
        t_link=Cast(F("subscription__contract__id"), IntegerField()),
        t_actor=_name("recorded_by"),
    )
    return queue, subscriptions, contracts, payments


def deals_timeline(user, customer, limit):
    """The customer's deals, newest first: one query whatever the history."""
    queue, subscriptions, contracts, payments = _streams(user, merged_ids(customer))
    rows = queue.union(subscriptions, contracts, payments, all=True).order_by("-t_when", "-t_id")
    for row in rows[:limit]:
        yield _entry(row)


def _entry(row) -> TimelineEntry:
    # SQLite hands a UNION's decimals back without their scale (5530400): the fen again.
    kind, amount = row["t_kind"], Decimal(str(row["t_amount"])).quantize(Decimal("0.01"))
    url = reverse("deals:contract_detail", args=[row["t_link"]]) if row["t_link"] else ""
    if kind == "queue":
        title = _("Queue number %(number)s · %(project)s (%(status)s)") % {
            "number": f"{row['t_number']:04d}",
            "project": row["t_label"],
            "status": QueueStatus(row["t_state"]).label,
        }
        if amount:
            title += " · " + _("deposit %(amount)s yuan") % {"amount": f"{amount:,}"}
    elif kind == "subscription":
        title = _("Subscription RG%(number)06d · %(unit)s · %(price)s yuan (%(status)s)") % {
            "number": row["t_number"],
            "unit": row["t_label"],
            "price": f"{amount:,}",
            "status": SubscriptionStatus(row["t_state"]).label,
        }
    elif kind == "contract":
        title = _("Contract HT%(number)06d signed · %(unit)s · %(price)s yuan (%(plan)s)") % {
            "number": row["t_number"],
            "unit": row["t_label"],
            "price": f"{amount:,}",
            "plan": PaymentPlan(row["t_state"]).label,
        }
    elif amount < 0:
        title = _("Refund %(amount)s yuan · %(unit)s (%(method)s)") % {
            "amount": f"{-amount:,}",
            "unit": row["t_label"],
            "method": PaymentMethod(row["t_state"]).label,
        }
    else:
        title = _("Payment %(amount)s yuan · %(unit)s (%(method)s)") % {
            "amount": f"{amount:,}",
            "unit": row["t_label"],
            "method": PaymentMethod(row["t_state"]).label,
        }
    return TimelineEntry(
        when=row["t_when"],
        kind=kind,
        title=title,
        body=row["t_note"] if kind in ("queue", "payment") else "",
        url=url,
        actor=row["t_actor"] or "",
        extra={"kind": kind, "amount": str(amount), "state": row["t_state"]},
        record_id=row["t_id"],
    )
