"""The deals app's part of PIPL (SEC-2): a person's queue numbers, subscriptions with their
price lines, co-buyer roles, relative-tier claims, contracts, instalments, payments and sales
changes in his data package, and their erasure. Registered from ``integration.register()``.

Reads are system reads on purpose: the customers services checked the requester (see
``anju/customers/privacy.py``). "His deals" are the subscriptions he is the main buyer *or a
co-buyer* of: a co-buyer (共同买受人) is a party to the contract, so its contract, plan and
payments are data about him too. Other people on those deals (the buyer, the co-buyers)
appear with their names masked (张*丰), as in the customers app's relations sheet.

**Erasure — what the deals rows keep.** A deal is a contract and its money: the rows stay
as anonymous facts (sales figures, the unit's history, the cash book, numbering without
gaps stay right), pointing at the anonymised customer row:

- kept as they are: queue numbers and their deposits/refunds with receipt numbers,
  subscriptions' prices and terms, price lines' amounts, co-buyer rows, contracts,
  instalments, payments' amounts, methods, dates and receipt numbers — legal and
  financial records, none of them personal text;
- scrubbed (``erasure.scrub``: his names become the anonymous label, his numbers ***):
  the free text staff typed — a number's intention and cancellation reason, a
  subscription's cancellation reason, price-line labels and notes, payment reasons, sales
  changes' reasons, and the texts of the deals' approval requests; in sales changes'
  payloads and approval payloads the masked name shown for him (王*) becomes the label;
- deleted: the proof file of a relative-tier claim he is on (as the buyer or as the
  relative) — a copy of a household register or a marriage certificate only identifies;
  the claim row keeps the relation and whether it was approved, which explain the price.

**Not while a deal is in progress.** The erasure is refused (409 ``deal_in_progress``,
nothing erased) while the person holds a live queue number, is the buyer or a co-buyer of a
subscription not yet signed (a unit held, a deposit paid), or of a signed deal with a
balance still due: performing a contract needs to know its party (PIPL art. 13 (2)), and
erasing him would leave a deposit nobody can refund and reminders nobody receives. Cancel or
complete the deal (a sales change, a refund), then erase. The nightly retention erases only
leads and visitors, so it meets this only for an old visitor still holding a live queue
number: it logs the refusal and tries again the next night.
"""

from django.db import transaction
from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.core.errors import Conflict
from anju.core.masking import mask_name
from anju.customers.privacy import (
    Erasure,
    model_rows,
    plain,
    register_erasure_handler,
    register_personal_data_provider,
)
from anju.customers.privacy_customers import person_ids

from .models import (
    LIVE_QUEUE_STATUSES,
    CoBuyer,
    Contract,
    Instalment,
    Payment,
    PriceLine,
    QueueTicket,
    RelativeTierClaim,
    SalesChange,
    Subscription,
    SubscriptionStatus,
)

UNSIGNED = (SubscriptionStatus.DRAFT, SubscriptionStatus.PENDING, SubscriptionStatus.SUBSCRIBED)


def _deals_of(ids):
    """Subscriptions the person (``ids``: him and his merged duplicates) buys or co-buys."""
    co_bought = CoBuyer.objects.filter(customer_id__in=ids).values("subscription_id")
    return Subscription.objects.unscoped("PIPL: one person's deals").filter(
        Q(customer_id__in=ids) | Q(pk__in=co_bought)
    )


# --- the data package -----------------------------------------------------------------------------


def queue_rows(customer):
    rows = (
        QueueTicket.objects.unscoped("PIPL: one person's queue numbers")
        .filter(customer_id__in=person_ids(customer))
        .select_related("project", "customer", "consultant")
        .order_by("created_at", "pk")
    )
    return model_rows(rows, exclude={"company"})


def subscription_rows(customer):
    """The subscriptions he is the main buyer of (co-buyer roles: their own sheet)."""
    subscriptions = list(
        Subscription.objects.unscoped("PIPL: one person's subscriptions")
        .filter(customer_id__in=person_ids(customer))
        .select_related("project", "unit__building", "customer", "consultant", "queue_ticket")
        .prefetch_related("co_buyers__customer")
        .order_by("created_at", "pk")
    )
    rows = model_rows(subscriptions, exclude={"company", "needs_approval", "approval_reasons"})
    for row, subscription in zip(rows, subscriptions, strict=True):
        row["co_buyers"] = "、".join(
            mask_name(c.customer.name) for c in subscription.co_buyers.all()
        )
    return rows


def price_line_rows(customer):
    """How each of his subscriptions' price was reached, line by line (SUB-2)."""
    lines = (
        PriceLine.objects.filter(subscription__customer_id__in=person_ids(customer))
        .select_related("subscription")
        .order_by("subscription__created_at", "subscription_id", "position")
    )
    return [
        {
            "subscription": str(line.subscription),
            "position": line.position,
            "step": line.step,
            "code": line.code,
            "label": line.label,
            "rate": plain(line.rate),
            "amount": plain(line.amount),
            "running_total": plain(line.running_total),
            "note": line.note,
        }
        for line in lines
    ]


def co_buyer_rows(customer):
    """The deals he co-buys; the main buyer's name masked (another person's data)."""
    rows = (
        CoBuyer.objects.filter(customer_id__in=person_ids(customer))
        .select_related(
            "subscription__project", "subscription__unit__building", "subscription__customer"
        )
        .order_by("created_at", "pk")
    )
    return [
        {
            "subscription": str(row.subscription),
            "project": row.subscription.project.name,
            "unit": str(row.subscription.unit),
            "buyer": mask_name(row.subscription.customer.name),
            "status": row.subscription.get_status_display(),
            "since": plain(row.created_at),
        }
        for row in rows
    ]


def relative_claim_rows(customer):
    """Deals that asked for his tier as a direct relative of the buyer (with proof)."""
    rows = (
        RelativeTierClaim.objects.filter(relative_id__in=person_ids(customer))
        .select_related("subscription__customer", "subscription__project")
        .order_by("created_at", "pk")
    )
    return [
        {
            "subscription": str(row.subscription),
            "project": row.subscription.project.name,
            "buyer": mask_name(row.subscription.customer.name),
            "relation": _relation_label(row.relation),
            "approved": row.approved,
            "proof": row.proof.name.rsplit("/", 1)[-1] if row.proof else "",
            "since": plain(row.created_at),
        }
        for row in rows
    ]


def _relation_label(kind: str) -> str:
    from anju.customers.models import RelationKind

    return RelationKind(kind).label if kind in RelationKind.values else kind


def contract_rows(customer):
    deals = _deals_of(person_ids(customer))
    rows = (
        Contract.objects.unscoped("PIPL: the contracts of one person's deals")
        .filter(subscription__in=deals)
        .select_related("project", "subscription", "consultant")
        .order_by("signed_at", "pk")
    )
    return model_rows(rows, exclude={"company"})


def instalment_rows(customer):
    deals = _deals_of(person_ids(customer))
    rows = (
        Instalment.objects.filter(contract__subscription__in=deals)
        .select_related("contract")
        .order_by("contract__signed_at", "contract_id", "position")
    )
    return model_rows(rows)


def payment_rows(customer):
    deals = _deals_of(person_ids(customer))
    rows = (
        Payment.objects.unscoped("PIPL: the payments of one person's deals")
        .filter(subscription__in=deals)
        .select_related("project", "subscription", "recorded_by")
        .order_by("paid_on", "pk")
    )
    return model_rows(rows, exclude={"company"})


def sales_change_rows(customer):
    """Changes of his deals, and changes naming him (to become a buyer or a co-buyer)."""
    from .services.changes import change_what

    ids = person_ids(customer)
    rows = (
        SalesChange.objects.unscoped("PIPL: the sales changes about one person")
        .filter(Q(subscription__in=_deals_of(ids)) | _payload_names(ids))
        .select_related("subscription", "requested_by")
        .order_by("created_at", "pk")
    )
    return [
        {
            "subscription": str(change.subscription),
            "kind": change.get_kind_display(),
            "what": change_what(change),
            "reason": change.reason,
            "status": change.get_status_display(),
            "requested_by": str(change.requested_by),
            "created_at": plain(change.created_at),
            "applied_at": plain(change.applied_at),
        }
        for change in rows
    ]


def _payload_names(ids) -> Q:
    from .integration import PAYLOAD_CUSTOMER_KEYS

    query = Q(pk__in=[])
    for key in PAYLOAD_CUSTOMER_KEYS:
        query |= Q(**{f"payload__{key}__in": list(ids)})
    return query


# --- erasure ---------------------------------------------------------------------------------------


def erase_deals_rows(erasure: Erasure) -> None:
    """See the module's docstring: refuse while a deal is in progress, else keep the rows,
    scrub the typed text, delete relative-claim proofs."""
    ids = erasure.customer_ids
    _refuse_deals_in_progress(ids)
    deals = list(_deals_of(ids).order_by("pk"))
    deal_ids = [d.pk for d in deals]

    tickets = list(QueueTicket.objects.unscoped("PIPL erasure").filter(customer_id__in=ids))
    erasure.count(
        "queue_numbers", _scrub(erasure, QueueTicket, tickets, ("intention", "cancel_reason"))
    )
    erasure.count("subscriptions", _scrub(erasure, Subscription, deals, ("cancel_reason",)))
    lines = list(PriceLine.objects.filter(subscription_id__in=deal_ids))
    erasure.count("price_lines", _scrub(erasure, PriceLine, lines, ("label", "note"), touch=False))
    payments = list(Payment.objects.unscoped("PIPL erasure").filter(subscription_id__in=deal_ids))
    erasure.count("payments", _scrub(erasure, Payment, payments, ("reason",)))
    contracts = Contract.objects.unscoped("PIPL erasure").filter(subscription_id__in=deal_ids)
    erasure.touch(Contract, contracts.values_list("pk", flat=True))
    erasure.touch(CoBuyer, CoBuyer.objects.filter(customer_id__in=ids).values_list("pk", flat=True))
    changes = _erase_changes(erasure, deal_ids)
    _erase_claims(erasure, ids)
    _erase_approval_texts(erasure, deal_ids, changes)


def _refuse_deals_in_progress(ids) -> None:
    paid = (
        Payment.objects.unscoped("PIPL erasure: what was paid on the deal")
        .filter(subscription=OuterRef("pk"))
        .order_by()
        .values("subscription")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = DecimalField(max_digits=14, decimal_places=2)
    open_deals = list(
        _deals_of(ids)
        .annotate(paid=Coalesce(Subquery(paid, output_field=money), Value(0, output_field=money)))
        .filter(
            Q(status__in=UNSIGNED)
            | Q(
                status=SubscriptionStatus.SIGNED,
                contract__cancelled_at__isnull=True,
                paid__lt=F("final_price"),
            )
        )
        .order_by("pk")
    )
    tickets = list(
        QueueTicket.objects.unscoped("PIPL erasure: live numbers")
        .filter(customer_id__in=ids, status__in=LIVE_QUEUE_STATUSES)
        .order_by("pk")
    )
    if not (open_deals or tickets):
        return
    what = [_("queue number %(number)s") % {"number": t} for t in tickets]
    what += [
        _("subscription %(number)s (%(status)s)") % {"number": s, "status": s.get_status_display()}
        for s in open_deals
    ]
    raise Conflict(
        _(
            "This customer has deals in progress: %(deals)s. A deal in progress needs its "
            "party (a deposit to refund, a unit held, a balance due): cancel or complete it "
            "first, then erase."
        )
        % {"deals": "、".join(what)},
        code="deal_in_progress",
    )


def _scrub(erasure, model, rows, fields, *, touch=True) -> int:
    """Scrub ``fields`` of ``rows`` where they mention the person; returns how many changed."""
    if touch:
        erasure.touch(model, [r.pk for r in rows], fields)
    changed = []
    for row in rows:
        if any(erasure.mentions(getattr(row, f)) for f in fields):
            for f in fields:
                setattr(row, f, erasure.scrub(getattr(row, f)))
            changed.append(row)
    manager = model.objects.unscoped("PIPL erasure") if hasattr(model, "scope") else model.objects
    manager.bulk_update(changed, list(fields), batch_size=500)
    return len(changed)


_MASKED_NAME_OF = {"from_customer_id": "from_customer", "to_customer_id": "to_customer"}


def _erase_changes(erasure, deal_ids) -> list:
    ids = set(erasure.customer_ids)
    changes = list(
        SalesChange.objects.unscoped("PIPL erasure")
        .filter(Q(subscription_id__in=deal_ids) | _payload_names(ids))
        .select_related("subscription")
    )
    erasure.touch(SalesChange, [c.pk for c in changes], {"reason", "payload"})
    changed = []
    for change in changes:
        payload = erasure.scrub_json(change.payload, personal_keys=frozenset())
        for key in ("from_customer_id", "to_customer_id", "customer_id"):
            if payload.get(key) in ids:
                payload[_MASKED_NAME_OF.get(key, "customer")] = erasure.label
        reason = erasure.scrub(change.reason)
        if payload != change.payload or reason != change.reason:
            change.payload, change.reason = payload, reason
            changed.append(change)
    SalesChange.objects.unscoped("PIPL erasure").bulk_update(
        changed, ["payload", "reason"], batch_size=500
    )
    erasure.count("sales_changes", len(changed))
    return changes


def _erase_claims(erasure, ids) -> None:
    claims = list(
        RelativeTierClaim.objects.filter(
            Q(relative_id__in=ids) | Q(subscription__customer_id__in=ids)
        )
    )
    erasure.touch(RelativeTierClaim, [c.pk for c in claims], {"proof"})
    with_proof = [c for c in claims if c.proof]
    files = [(c.proof.storage, c.proof.name) for c in with_proof]
    for claim in with_proof:
        claim.proof = ""
    RelativeTierClaim.objects.bulk_update(with_proof, ["proof"], batch_size=500)
    # The files go once the erasure is committed (a refusal further on keeps them).
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in files])
    erasure.count("relative_proofs_deleted", len(with_proof))


def _erase_approval_texts(erasure, deal_ids, changes) -> None:
    """The deals' approval requests (price, sales change) carry summaries, reasons and the
    buyer's masked name; the approvals app keeps them as the record of the decision."""
    from anju.approvals.models import ApprovalRequest

    from .services import PRICE_APPROVAL_KIND
    from .services.changes import CHANGE_APPROVAL_KIND, change_what

    named = {c.pk for c in changes if _names_person(c, erasure)}
    requests = list(
        ApprovalRequest.objects.unscoped("PIPL erasure").filter(
            Q(kind=PRICE_APPROVAL_KIND, target_id__in=deal_ids)
            | Q(kind=CHANGE_APPROVAL_KIND, target_id__in=[c.pk for c in changes])
        )
    )
    erasure.touch(ApprovalRequest, [r.pk for r in requests], {"summary", "payload", "comment"})
    by_id = {c.pk: c for c in changes}
    changed = []
    for request in requests:
        payload = erasure.scrub_json(request.payload, personal_keys=frozenset())
        change = by_id.get(request.target_id) if request.kind == CHANGE_APPROVAL_KIND else None
        if change is not None and "customer" in payload:
            if change.subscription.customer_id in erasure.customer_ids:
                payload["customer"] = erasure.label
            if change.pk in named:
                payload["what"] = change_what(change)  # from the scrubbed change payload
        summary, comment = erasure.scrub(request.summary), erasure.scrub(request.comment)
        if (payload, summary, comment) != (request.payload, request.summary, request.comment):
            request.payload, request.summary, request.comment = payload, summary, comment
            changed.append(request)
    ApprovalRequest.objects.unscoped("PIPL erasure").bulk_update(
        changed, ["payload", "summary", "comment"], batch_size=500
    )
    erasure.count("approval_requests", len(changed))


def _names_person(change, erasure) -> bool:
    return any(
        change.payload.get(key) in erasure.customer_ids
        for key in ("from_customer_id", "to_customer_id", "customer_id")
    )


# --- registration ----------------------------------------------------------------------------------


def register() -> None:
    label = gettext_lazy
    subscription = label("Subscription number")
    register_personal_data_provider(
        "queue_numbers", queue_rows, label=label("Queue numbers"), model=QueueTicket
    )
    register_personal_data_provider(
        "subscriptions",
        subscription_rows,
        label=label("Subscriptions"),
        model=Subscription,
        titles={"co_buyers": label("Co-buyers"), "queue_ticket": label("Queue number")},
    )
    register_personal_data_provider(
        "subscription_price_lines",
        price_line_rows,
        label=label("Subscription price lines"),
        titles={
            "subscription": subscription,
            "position": label("Line"),
            "step": label("Price step"),
            "code": label("Code of the step"),
            "label": label("Price line"),
            "rate": label("Rate"),
            "amount": label("Amount (CNY)"),
            "running_total": label("Running total (CNY)"),
            "note": label("Note on the line"),
        },
    )
    register_personal_data_provider(
        "co_buyer_roles",
        co_buyer_rows,
        label=label("Deals as a co-buyer"),
        titles={
            "subscription": subscription,
            "project": label("Project"),
            "unit": label("Unit"),
            "buyer": label("Buyer"),
            "status": label("Status"),
            "since": label("Since"),
        },
    )
    register_personal_data_provider(
        "relative_tier_claims",
        relative_claim_rows,
        label=label("Tier lent as a relative"),
        titles={
            "subscription": subscription,
            "project": label("Project"),
            "buyer": label("Buyer"),
            "relation": label("Relation to the buyer"),
            "approved": label("Approved"),
            "proof": label("Proof of the relation"),
            "since": label("Since"),
        },
    )
    register_personal_data_provider(
        "contracts",
        contract_rows,
        label=label("Contracts"),
        model=Contract,
        titles={"subscription": subscription},
    )
    register_personal_data_provider(
        "instalments",
        instalment_rows,
        label=label("Instalments"),
        model=Instalment,
        titles={
            "contract": label("Contract"),
            "position": label("Line"),
            "kind": label("Instalment"),
        },
    )
    register_personal_data_provider(
        "payments",
        payment_rows,
        label=label("Payments and refunds"),
        model=Payment,
        titles={"subscription": subscription, "recorded_by": label("Recorded by")},
    )
    register_personal_data_provider(
        "sales_changes",
        sales_change_rows,
        label=label("Sales changes"),
        titles={
            "subscription": subscription,
            "kind": label("Change"),
            "what": label("What changes"),
            "reason": label("Reason"),
            "status": label("Status"),
            "requested_by": label("Asked by"),
            "created_at": label("Asked at"),
            "applied_at": label("Applied at"),
        },
    )
    register_erasure_handler(erase_deals_rows)
