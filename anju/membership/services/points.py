"""The points ledger (MEM-2): credits, redemptions, reversals, adjustments, expiry.

Every movement is a new ``PointsEntry`` row; nothing is ever edited. The account's cached
``balance`` moves in the same transaction, by a conditional UPDATE for debits
(``balance >= n``): PostgreSQL re-checks that condition after waiting for a concurrent
redemption's lock, so twenty redemptions of 100 on 1,000 leave exactly ten written and the
balance at 0, never below (the CHECK constraint is the last guard).

``(account, reason, reference)`` is the idempotency key: crediting the same fact twice
returns the first row.
"""

import uuid
from decimal import ROUND_DOWN, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, Conflict, NotFound, NotPermitted
from anju.core.events import record_event
from anju.core.scope import can_see
from anju.core.validation import validate_text

from ..models import (
    CREDIT_REASONS,
    MAX_POINTS,
    Gift,
    PointsAccount,
    PointsEntry,
    PointsReason,
    Redemption,
)
from ._common import (
    expiry_date,
    holding_of,
    live_customer,
    recorded_now,
    refuse_erased,
    require_club_desk,
    require_club_manager,
    settings_of,
    stamp,
)


def _points(value, *, field="points") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApplicationError(_("Enter a whole number of points."), field=field)
    if not 1 <= value <= MAX_POINTS:
        raise ApplicationError(
            _("Points must be between 1 and %(max)s.") % {"max": f"{MAX_POINTS:,}"}, field=field
        )
    return value


def _reference(value) -> str:
    value = (value or "").strip()
    if not value:
        raise ApplicationError(_("A reference is required."), field="reference")
    validate_text(value, field="reference", max_length=80, multiline=False)
    return value


def _note(value) -> str:
    value = (value or "").strip()
    validate_text(value, field="note", max_length=200, multiline=False)
    return value


def account_for(customer) -> PointsAccount:
    """The customer's account, opened on his first movement (race-safe)."""
    found = PointsAccount.objects.unscoped("the account of the customer the caller holds").filter(
        customer=customer
    )
    account = found.first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return PointsAccount.objects.create(company_id=customer.company_id, customer=customer)
    except IntegrityError:
        return found.get()


def _existing(account, reason, reference):
    return (
        PointsEntry.objects.unscoped("idempotency key of the caller's entry")
        .filter(account=account, reason=reason, reference=reference)
        .first()
    )


_BY_POLICY = object()


def _write(
    *,
    by,
    account,
    points,
    reason,
    reference,
    note="",
    reverses=None,
    against=None,
    expires_on=_BY_POLICY,
):
    """Insert one row and move the cached balance with it; a debit the balance does not
    cover raises ``insufficient_points`` and writes nothing. Returns (entry, created).
    A credit expires by the group's rule unless ``expires_on`` is given (a merge transfer
    keeps the original credit's date)."""
    now = recorded_now()
    entry = PointsEntry(
        company_id=account.company_id,
        account=account,
        customer_id=account.customer_id,
        points=points,
        reason=reason,
        reference=reference,
        note=note,
        reverses=reverses,
        against=against,
        created_by=by if getattr(by, "pk", None) else None,
        created_at=now,
    )
    if points > 0 and expires_on is _BY_POLICY:
        policy = settings_of(holding_of(account.customer))
        entry.expires_on = expiry_date(policy, timezone.localtime(now).date())
    elif points > 0:
        entry.expires_on = expires_on
    try:
        with transaction.atomic():
            moved = (
                PointsAccount.objects.unscoped("move the balance of the account being written")
                .filter(pk=account.pk, balance__gte=max(0, -points))
                .update(balance=F("balance") + points)
            )
            if not moved:
                raise Conflict(
                    _("Not enough points: the balance is lower than %(n)s.") % {"n": -points},
                    field="points",
                    code="insufficient_points",
                )
            entry.save()
    except IntegrityError:
        existing = _existing(account, reason, reference)
        if existing is None:
            raise
        return existing, False
    record_event(
        by=by,
        verb="membership.points_moved",
        target=entry,
        subject=account.customer,
        details={"points": points, "reason": reason, "reference": reference},
    )
    return entry, True


def _customer_for_points(by, customer):
    customer = live_customer(customer)
    refuse_erased(customer)
    if by is not None and not can_see(by, customer):
        raise NotPermitted()
    return customer


@transaction.atomic
def points_credit(
    *, by, customer, points: int, reason: str, reference: str, note: str = ""
) -> PointsEntry:
    """Credit points for a business fact (看房积分, purchase, 老带新, event attendance).

    Called by the service that records the fact (reception's visit via the referral task,
    deals, events), which checked its own permission; ``by`` is its user or None.
    Idempotent per (customer, reason, reference): a second call returns the first row.
    A merged duplicate's credit lands on the surviving customer.
    """
    if reason not in CREDIT_REASONS:
        raise ApplicationError(
            _("Unknown reason for a credit."), field="reason", code="unknown_reason"
        )
    points = _points(points)
    reference, note = _reference(reference), _note(note)
    customer = _customer_for_points(by, customer)
    account = account_for(customer)
    existing = _existing(account, reason, reference)
    if existing is not None:
        return existing
    entry, _created = _write(
        by=by, account=account, points=points, reason=reason, reference=reference, note=note
    )
    return entry


def _lock_gift(gift, quantity, customer) -> Gift:
    """Take ``quantity`` from the gift's stock by a conditional UPDATE (never below zero)."""
    if gift.company_id != customer.company_id:
        raise NotFound(_("Unknown gift."), field="gift")
    taken = (
        Gift.objects.unscoped("take stock of the gift the caller chose")
        .filter(pk=gift.pk, is_active=True, stock__gte=quantity)
        .update(stock=F("stock") - quantity, updated_at=timezone.now())
    )
    if not taken:
        raise Conflict(_("This gift is out of stock."), field="gift", code="out_of_stock")
    return Gift.objects.unscoped("the gift just taken from").get(pk=gift.pk)


@transaction.atomic
def points_redeem_gift(*, by, customer, gift, quantity: int = 1) -> Redemption:
    """Give ``quantity`` of ``gift`` for points (兑换礼品): the stock and the balance both
    move or neither does (``out_of_stock``, ``insufficient_points``)."""
    require_club_desk(by, customer)
    customer = _customer_for_points(by, customer)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 100:
        raise ApplicationError(_("Quantity must be between 1 and 100."), field="quantity")
    if not gift.is_active:
        raise Conflict(_("This gift is no longer offered."), field="gift", code="out_of_stock")
    cost = gift.points_cost * quantity
    account = account_for(customer)
    if account.balance < cost:  # the cheap refusal first; _write's UPDATE is the real guard
        raise Conflict(
            _("Not enough points: %(cost)s needed, %(balance)s available.")
            % {"cost": cost, "balance": account.balance},
            field="points",
            code="insufficient_points",
        )
    gift = _lock_gift(gift, quantity, customer)
    redemption = Redemption.objects.create(
        company_id=customer.company_id,
        customer=customer,
        gift=gift,
        quantity=quantity,
        points=cost,
        redeemed_by=by,
    )
    stamp(redemption)
    entry, _created = _write(
        by=by,
        account=account,
        points=-cost,
        reason=PointsReason.GIFT_REDEMPTION,
        reference=f"redemption:{redemption.pk}",
        note=f"{gift.name} × {quantity}",
    )
    redemption.entry = entry
    redemption.save(update_fields=["entry", "updated_at"])
    record_event(
        by=by,
        verb="membership.gift_redeemed",
        target=redemption,
        subject=customer,
        details={"gift": gift.pk, "quantity": quantity, "points": cost, "stock_left": gift.stock},
    )
    return redemption


def credits_consumed_by(entries, debit) -> list[tuple[PointsEntry, int]]:
    """The credits ``debit`` (an untargeted debit of these entries) used, oldest first, and
    how much of each: the ledger replayed in order, debits taking the oldest credits left."""
    rows = sorted(entries, key=lambda e: (e.created_at, e.pk))
    credits = [e for e in rows if e.points > 0]
    left = {e.pk: e.points for e in credits}
    for row in rows:
        if row.points >= 0:
            continue
        if row.against_id in left:
            left[row.against_id] -= min(left[row.against_id], -row.points)
            continue
        wanted, taken = -row.points, []
        for credit in credits:
            if not wanted:
                break
            if credit.created_at > row.created_at or left[credit.pk] <= 0:
                continue
            take = min(left[credit.pk], wanted)
            left[credit.pk] -= take
            wanted -= take
            taken.append((credit, take))
        if row.pk == debit.pk:
            return taken
    return []


def _lock_redemption(redemption) -> Redemption:
    return (
        Redemption.objects.unscoped("lock the redemption the caller holds")
        .select_for_update(of=("self",))
        .select_related("customer", "gift", "entry")
        .get(pk=redemption.pk)
    )


@transaction.atomic
def redemption_return(*, by, redemption, reason: str) -> Redemption:
    """退还礼品 The customer brings the gift back: the stock is restored and the points are
    credited again with the expiry dates of the credits the redemption used (a return does
    not lengthen their life). The redemption is marked returned; once only."""
    require_club_manager(by, redemption.customer)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Say why the gift is returned."), field="reason")
    validate_text(reason, field="reason", max_length=200, multiline=False)
    redemption = _lock_redemption(redemption)
    if redemption.returned_at is not None:
        raise Conflict(_("This gift was returned already."), code="already_returned")
    customer = live_customer(redemption.customer)
    refuse_erased(customer)
    Gift.objects.unscoped("put back the stock of the returned gift").filter(
        pk=redemption.gift_id
    ).update(stock=F("stock") + redemption.quantity, updated_at=timezone.now())
    returned = 0
    if redemption.entry is not None:
        returned = _credit_back(
            by=by,
            debit=redemption.entry,
            customer=customer,
            reason=PointsReason.GIFT_RETURN,
            key=f"return:{redemption.pk}",
            note=f"{redemption.gift.name} × {redemption.quantity}",
        )
    redemption.returned_at, redemption.returned_by = timezone.now(), by
    redemption.return_reason = reason
    redemption.save(update_fields=["returned_at", "returned_by", "return_reason", "updated_at"])
    record_event(
        by=by,
        verb="membership.gift_returned",
        target=redemption,
        subject=customer,
        details={
            "gift": redemption.gift_id,
            "quantity": redemption.quantity,
            "points": returned,
            "reason": reason,
        },
    )
    return redemption


def _credit_back(*, by, debit, customer, reason, key, note) -> int:
    """Credit ``debit``'s points back to ``customer``: one ``reason`` credit per expiry date
    of the credits the debit used (a return does not lengthen their life), referenced
    ``{key}:{date}``; whatever cannot be traced (an old or odd ledger) takes the group's rule
    (``{key}:rest``). Gift returns and price-offset returns share it. Returns the points."""
    by_expiry: dict = {}
    for credit, taken in credits_consumed_by(_account_entries(debit.account), debit):
        by_expiry[credit.expires_on] = by_expiry.get(credit.expires_on, 0) + taken
    untraced = -debit.points - sum(by_expiry.values())
    account = account_for(customer)
    for expires_on, points in sorted(by_expiry.items(), key=lambda kv: (kv[0] is None, kv[0])):
        _write(
            by=by,
            account=account,
            points=points,
            reason=reason,
            reference=f"{key}:{expires_on or 'never'}",
            note=note,
            expires_on=expires_on,
        )
    if untraced > 0:
        _write(
            by=by,
            account=account,
            points=untraced,
            reason=reason,
            reference=f"{key}:rest",
            note=note,
        )
    return -debit.points


def points_offset_value(customer, points: int) -> Decimal:
    """What ``points`` are worth off the price (yuan, rounded down to the fen)."""
    per_yuan = settings_of(holding_of(customer)).points_per_yuan
    return (Decimal(points) / Decimal(per_yuan)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


@transaction.atomic
def points_redeem_offset(*, by, customer, points: int, reference: str) -> PointsEntry:
    """Use points as a price offset (抵扣房款) for ``reference`` (e.g. ``subscription:12``);
    pricing turns them into money with ``points_offset_value``. Idempotent per reference."""
    require_club_desk(by, customer)
    customer = _customer_for_points(by, customer)
    points, reference = _points(points), _reference(reference)
    account = account_for(customer)
    existing = _existing(account, PointsReason.PRICE_OFFSET, reference)
    if existing is not None:
        return _offset_replayed(existing, points)
    value = points_offset_value(customer, points)
    entry, _created = _write(
        by=by,
        account=account,
        points=-points,
        reason=PointsReason.PRICE_OFFSET,
        reference=reference,
        note=_("Price offset of %(value)s yuan") % {"value": value},
    )
    return entry


@transaction.atomic
def points_offset_return(*, by, customer, reference: str, reason: str) -> int:
    """退房 The sale a price offset paid into is undone: the PRICE_OFFSET debit of
    ``reference`` (e.g. ``subscription:12``) is credited back (OFFSET_RETURN), with the
    expiry dates of the credits it used, to the customer (the survivor, if he was merged).

    Called by the service that cancels the sale, which checked its own permission; ``by``
    must see the customer. Once only (``already_returned``); a reference that used no points
    returns nothing (0). Returns the points credited back."""
    reference = _reference(reference)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Say why the offset is returned."), field="reason")
    validate_text(reason, field="reason", max_length=200, multiline=False)
    customer = _customer_for_points(by, customer)
    from anju.customers.services import merged_customer_ids

    debit = (
        PointsEntry.objects.unscoped("the offset the caller's sale used")
        .filter(
            customer_id__in=merged_customer_ids(customer),
            reason=PointsReason.PRICE_OFFSET,
            reference=reference,
        )
        .select_related("account")
        .first()
    )
    if debit is None:
        return 0
    # The debit's account is locked: of two returns of one offset, the second waits, then
    # finds the first one's rows.
    PointsAccount.objects.unscoped("lock the account of the offset being returned").filter(
        pk=debit.account_id
    ).select_for_update().get()
    key = f"offset-return:{debit.pk}"
    if (
        PointsEntry.objects.unscoped("is the offset returned already")
        .filter(reason=PointsReason.OFFSET_RETURN, reference__startswith=f"{key}:")
        .exists()
    ):
        raise Conflict(_("This price offset was returned already."), code="already_returned")
    returned = _credit_back(
        by=by,
        debit=debit,
        customer=customer,
        reason=PointsReason.OFFSET_RETURN,
        key=key,
        note=reason,
    )
    record_event(
        by=by,
        verb="membership.offset_returned",
        target=debit,
        subject=customer,
        details={"points": returned, "reference": reference, "reason": reason},
    )
    return returned


def offset_used_message(entry) -> str:
    """What the desk is told when a reference was used before: how much, and when."""
    return _("This reference was already used: %(n)s points on %(day)s.") % {
        "n": -entry.points,
        "day": f"{timezone.localtime(entry.created_at):%Y-%m-%d}",
    }


def _offset_replayed(existing, points) -> PointsEntry:
    """The same reference again: the same offset is the first row (a retried request, marked
    ``replayed`` so the page and the API say so); different points are another offset under a
    used reference, refused (``reference_used``) rather than pretending to succeed."""
    if -existing.points != points:
        raise Conflict(offset_used_message(existing), field="reference", code="reference_used")
    existing.replayed = True
    return existing


# Debits a ledger reversal does not undo: they moved more than points. A redemption gave a
# gift (stock): it is undone by ``redemption_return``; a price offset went into a sale's price
# (undone by ``points_offset_return`` when the sale is cancelled; that return stays too).
NOT_REVERSIBLE = frozenset(
    {
        PointsReason.REVERSAL,
        PointsReason.EXPIRY,
        PointsReason.MERGE_TRANSFER,
        PointsReason.GIFT_REDEMPTION,
        PointsReason.GIFT_RETURN,
        PointsReason.PRICE_OFFSET,
        PointsReason.OFFSET_RETURN,
    }
)


@transaction.atomic
def points_reverse(*, by, entry, reason: str) -> PointsEntry:
    """Correct a row by its opposite (冲正): the row stays, a REVERSAL row points at it.
    A row is reversed once; reversals and expiries are not reversed again."""
    customer = entry.customer
    require_club_manager(by, customer)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Say why the entry is reversed."), field="reason")
    validate_text(reason, field="reason", max_length=200, multiline=False)
    if entry.reason in (PointsReason.GIFT_REDEMPTION, PointsReason.GIFT_RETURN):
        raise Conflict(
            _("A gift redemption is undone by returning the gift, not by a reversal."),
            code="not_reversible",
        )
    if entry.reason == PointsReason.PRICE_OFFSET:
        raise Conflict(
            _("A price offset is part of a sale's price; it cannot be reversed here."),
            code="not_reversible",
        )
    if entry.reason in NOT_REVERSIBLE:
        raise Conflict(_("This kind of entry cannot be reversed."), code="not_reversible")
    if PointsEntry.objects.unscoped("is it reversed already").filter(reverses=entry).exists():
        raise Conflict(_("This entry was reversed already."), code="already_reversed")
    reversal, created = _write(
        by=by,
        account=entry.account,
        points=-entry.points,
        reason=PointsReason.REVERSAL,
        reference=f"reverse:{entry.pk}",
        note=reason,
        reverses=entry,
        against=entry if entry.points > 0 else None,
    )
    if not created:
        raise Conflict(_("This entry was reversed already."), code="already_reversed")
    return reversal


@transaction.atomic
def points_adjust(*, by, customer, points: int, note: str) -> PointsEntry:
    """A manual correction (人工调整) by a club manager: + or − points with a reason."""
    require_club_manager(by, customer)
    customer = _customer_for_points(by, customer)
    if isinstance(points, bool) or not isinstance(points, int) or points == 0:
        raise ApplicationError(_("Enter a number of points other than 0."), field="points")
    _points(abs(points))
    note = _note(note)
    if not note:
        raise ApplicationError(_("Say why the points are adjusted."), field="note")
    entry, _created = _write(
        by=by,
        account=account_for(customer),
        points=points,
        reason=PointsReason.ADJUSTMENT,
        reference=f"adjust:{uuid.uuid4().hex}",
        note=note,
    )
    return entry


# --- expiry (FIFO) and merge transfers ------------------------------------------------------


def credit_remainders(entries) -> dict[int, int]:
    """What is left of each credit: targeted debits (expiry, reversal of that credit, merge
    transfer) come off their own credit; every other debit comes off the oldest credits
    first (FIFO). ``entries`` are the account's rows in any order; credit id → points left.
    """
    rows = sorted(entries, key=lambda e: (e.created_at, e.pk))
    left = {e.pk: e.points for e in rows if e.points > 0}
    pool = 0
    for e in rows:
        if e.points >= 0:
            continue
        if e.against_id in left:
            take = min(left[e.against_id], -e.points)
            left[e.against_id] -= take
            pool += -e.points - take
        else:
            pool += -e.points
    for e in rows:
        if e.points > 0 and pool:
            take = min(left[e.pk], pool)
            left[e.pk] -= take
            pool -= take
    return left


def _account_entries(account):
    return list(
        PointsEntry.objects.unscoped("the ledger of the account being written").filter(
            account=account
        )
    )


@transaction.atomic
def points_expire_account(*, account, today) -> int:
    """Write EXPIRY rows for what is left of the account's credits that expired before
    ``today``. Idempotent: an expired credit has nothing left (and its key is taken)."""
    account = (
        PointsAccount.objects.unscoped("lock the account the expiry task holds")
        .select_for_update()
        .select_related("customer")
        .get(pk=account.pk)
    )
    entries = _account_entries(account)
    remainders = credit_remainders(entries)
    written = 0
    for credit in sorted(entries, key=lambda e: (e.created_at, e.pk)):
        left = remainders.get(credit.pk, 0)
        if credit.points <= 0 or not credit.expires_on or credit.expires_on >= today or left <= 0:
            continue
        _entry, created = _write(
            by=None,
            account=account,
            points=-left,
            reason=PointsReason.EXPIRY,
            reference=f"expiry:{credit.pk}",
            note=_("Credited %(day)s, expired after %(end)s")
            % {"day": f"{credit.created_at:%Y-%m-%d}", "end": f"{credit.expires_on:%Y-%m-%d}"},
            against=credit,
        )
        written += int(created)
    _settle_expiry(account, today)
    return written


def _settle_expiry(account, today) -> None:
    """Remember that every credit expiring before ``today`` is settled (expired just now, or
    used up), so ``points_expire_due`` leaves the account alone until another expires."""
    settled = account.expiry_settled_before
    if settled is not None and settled > today:
        return
    PointsAccount.objects.unscoped("the expiry task settles the account it holds").filter(
        pk=account.pk
    ).update(expiry_settled_before=today, expiry_settled_at=recorded_now())


def points_expire_due(*, today=None) -> int:
    """Expire every account's credits whose last day is before ``today`` (the periodic
    task; one transaction per account so one bad account does not hold the rest)."""
    today = today or timezone.localdate()
    return sum(points_expire_account(account=a, today=today) for a in accounts_due(today))


def accounts_due(today):
    """The accounts with a credit expired before ``today`` and not settled yet: never looked
    at, or a credit that expired since the last settlement, or one written after it (a merge
    transfer or a gift return keeps an older credit's date). Settled accounts are not read
    again night after night."""
    due = PointsEntry.objects.unscoped("credits due to expire").filter(
        account=OuterRef("pk"), points__gt=0, expires_on__lt=today
    )
    unsettled = due.filter(
        Q(expires_on__gte=OuterRef("expiry_settled_before"))
        | Q(created_at__gt=OuterRef("expiry_settled_at"))
    )
    return (
        PointsAccount.objects.unscoped("the expiry task looks at every account")
        .alias(has_due=Exists(due), has_unsettled=Exists(unsettled))
        .filter(Q(expiry_settled_before__isnull=True, has_due=True) | Q(has_unsettled=True))
        .order_by("pk")
        .iterator()
    )


def transfer_points_on_merge(*, duplicate, survivor) -> int:
    """Move the duplicate's points to the survivor by paired rows (CUS-3 merge handler).

    Why pairs and not re-pointing the rows: the ledger is immutable, and each customer's
    history must still add up to his balance. For every credit with something left, the
    duplicate gets a MERGE_TRANSFER debit against it and the survivor a MERGE_TRANSFER
    credit of the same size that keeps the credit's original expiry date — so merging
    neither loses points nor extends their life. Runs inside the merge's transaction.
    """
    source = (
        PointsAccount.objects.unscoped("merge: the service checked both customers")
        .filter(customer=duplicate)
        .first()
    )
    if source is None:
        return 0
    source = PointsAccount.objects.unscoped("merge: lock").select_for_update().get(pk=source.pk)
    if source.balance <= 0:
        return 0
    entries = _account_entries(source)
    remainders = credit_remainders(entries)
    target = account_for(survivor)
    moved = 0
    for credit in sorted(entries, key=lambda e: (e.created_at, e.pk)):
        left = remainders.get(credit.pk, 0)
        if credit.points <= 0 or left <= 0:
            continue
        reference = f"merge:{duplicate.pk}:{credit.pk}"
        _write(
            by=None,
            account=source,
            points=-left,
            reason=PointsReason.MERGE_TRANSFER,
            reference=reference,
            note=_("Moved to %(code)s") % {"code": survivor.code},
            against=credit,
        )
        _write(
            by=None,
            account=target,
            points=left,
            reason=PointsReason.MERGE_TRANSFER,
            reference=reference,
            note=_("Moved from %(code)s") % {"code": duplicate.code},
            expires_on=credit.expires_on,
        )
        moved += left
    return moved
