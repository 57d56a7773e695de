"""Shared set-up of the sales-change tests (SUB-5): deals subscribed or signed, approvals."""

import itertools
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from anju.approvals.models import ApprovalRequest, ApprovalStatus
from anju.approvals.services import approval_decide
from anju.deals.models import Contract, Instalment, InstalmentKind, SalesChange, Subscription
from anju.deals.services import subscription_confirm
from anju.deals.services.changes import CHANGE_APPROVAL_KIND
from anju.inventory.models import UnitStatus
from anju.inventory.services import unit_change_status

_contract_numbers = itertools.count(9000)


def subscribe(subscription, by):
    """Confirm a held draft (within authority): 认购, unit 认购."""
    subscription_confirm(by=by, subscription=subscription)
    return reload(subscription)


def sign(subscription, *, instalments=("0.3", "0.7")):
    """签约 as the contracts service will: a contract with instalments (shares of the price),
    the subscription and its unit signed. Written directly: set-up, not the code under test."""
    now = timezone.now()
    contract = Contract.objects.create(
        company_id=subscription.company_id,
        project_id=subscription.project_id,
        number=next(_contract_numbers),
        subscription=subscription,
        consultant=subscription.consultant,
        payment_plan="instalments",
        total=subscription.final_price,
        signed_at=now,
    )
    left = subscription.final_price
    for position, share in enumerate(instalments, start=1):
        last = position == len(instalments)
        amount = (
            left if last else (subscription.final_price * Decimal(share)).quantize(Decimal("0.01"))
        )
        left -= amount
        Instalment.objects.create(
            contract=contract,
            position=position,
            kind=InstalmentKind.DOWN_PAYMENT if position == 1 else InstalmentKind.INSTALMENT,
            due_date=timezone.localdate() + timedelta(days=30 * position),
            amount=amount,
        )
    Subscription.objects.filter(pk=subscription.pk).update(status="signed", signed_at=now)
    unit_change_status(by=None, unit=subscription.unit, to=UnitStatus.SIGNED)
    return contract


def reload(obj):
    return type(obj)._base_manager.select_related().get(pk=obj.pk)


def approval_of(change) -> ApprovalRequest:
    return ApprovalRequest._base_manager.get(kind=CHANGE_APPROVAL_KIND, target_id=change.pk)


def approve(world, change, by="manager"):
    return approval_decide(
        by=world.users[by], request=approval_of(change), approve=True, comment="同意"
    )


def reject(world, change, by="manager", comment="不同意"):
    return approval_decide(
        by=world.users[by], request=approval_of(change), approve=False, comment=comment
    )


def is_pending(change) -> bool:
    return approval_of(change).status == ApprovalStatus.PENDING


def nothing_asked(deal) -> None:
    """No change of ``deal`` was written, nor an approval for a change that is not there (a
    half-written request). The demo's own changes wait with their approvals: they are not
    this test's."""
    assert not SalesChange.objects.filter(subscription=deal).exists()
    changes = SalesChange.objects.values("pk")
    assert not (
        ApprovalRequest.objects.filter(kind=CHANGE_APPROVAL_KIND)
        .exclude(target_id__in=changes)
        .exists()
    )
