"""The deals demo (issue 12 item 11): deals at every step — contracts signed weeks ago with
every payment plan, their payments and a refund, overdue instalments on the managers' lists
in their scope with their reminders sent (at any hour of seeding), a sales change waiting."""

import io
import random
from datetime import datetime, time
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Sum
from django.utils import timezone

from anju.approvals.selectors import approvals_pending_for
from anju.core.demo_world import DemoWorld
from anju.customers.models import CustomerStatus
from anju.deals import demo
from anju.deals.contract_selectors import overdue_instalments
from anju.deals.models import (
    ChangeStatus,
    Contract,
    InstalmentKind,
    Payment,
    PaymentPlan,
    SalesChange,
    SubscriptionStatus,
)
from anju.deals.services.changes import CHANGE_APPROVAL_KIND
from anju.deals.services.reminders import OVERDUE, reminder_key
from anju.inventory.models import UnitStatus
from anju.messaging.models import Message, Status

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
ORDER = list(CustomerStatus.values)


def _reminders():
    return Message.objects.filter(source__startswith="deals:reminder:")


def test_the_demo_signed_deals_with_every_plan_paid_as_recorded(world):
    contracts = list(
        Contract.objects.select_related("subscription__unit", "subscription__customer")
        .prefetch_related("instalments")
        .filter(project__code__in=demo.DEALS)
    )
    assert {c.payment_plan for c in contracts} == set(PaymentPlan.values)
    assert len(contracts) == sum(len(deals) for deals in demo.DEALS.values())
    paid_in_full = 0
    for contract in contracts:
        subscription, instalments = contract.subscription, list(contract.instalments.all())
        assert subscription.status == SubscriptionStatus.SIGNED
        # signed, or already handed over by the delivery demo (SVC-7: 交付 follows 签约)
        assert subscription.unit.status in (UnitStatus.SIGNED, UnitStatus.DELIVERED)
        assert ORDER.index(subscription.customer.status) >= ORDER.index(CustomerStatus.SIGNED)
        assert timezone.localdate(subscription.subscribed_at) <= timezone.localdate(
            contract.signed_at
        )
        assert sum(i.amount for i in instalments) == contract.total == subscription.final_price
        paid = Payment.objects.filter(subscription=subscription).aggregate(s=Sum("amount"))["s"]
        assert sum(i.paid for i in instalments) == paid  # spread over the instalments
        paid_in_full += paid == contract.total
    assert paid_in_full >= 2
    refund = Payment.objects.get(amount__lt=0, subscription__contract__in=contracts)
    assert refund.reason  # a refund says why


def test_the_overdue_lists_have_the_demo_rows_in_each_managers_scope(world):
    def rows(username):
        return list(overdue_instalments(world.users[username]))

    binhai = rows("manager")
    assert {i.kind for i in binhai} == {InstalmentKind.INSTALMENT, InstalmentKind.DOWN_PAYMENT}
    assert {i.contract.project.code for i in binhai} == {"binhai"}
    assert all((timezone.localdate() - i.due_date).days >= 14 for i in binhai)  # weeks late
    assert all(0 < i.paid < i.amount for i in binhai if i.kind == InstalmentKind.DOWN_PAYMENT)
    zhuhai = rows("manager_zh")
    assert zhuhai and {i.contract.project.code for i in zhuhai} == {"haiwan"}
    assert {i.pk for i in rows("group")} >= {i.pk for i in binhai + zhuhai}


def test_the_overdue_instalments_were_reminded_and_the_reminders_sent(world):
    overdue = list(overdue_instalments(world.users["group"]))
    assert overdue
    keys = {reminder_key(i, OVERDUE) for i in overdue}
    sent = _reminders().filter(idempotency_key__in=keys, status=Status.SENT)
    assert sent.count() == len(keys)
    assert _reminders().filter(source="deals:reminder:before", status=Status.SENT).exists()


def test_seeded_at_night_the_reminders_are_still_sent(world):
    """The daily task waits out the quiet hours; the demo runs it as of the evening before."""
    expected = set(_reminders().values_list("idempotency_key", flat=True))
    _reminders().delete()
    data = DemoWorld(scale=1, rng=random.Random(1), stdout=io.StringIO())
    data["companies"] = world.companies
    night = datetime.combine(timezone.localdate(), time(23, 30), tzinfo=SHANGHAI)
    with mock.patch("django.utils.timezone.now", return_value=night):
        assert demo._payment_reminders(data) == len(expected) > 0
    assert set(
        _reminders().filter(status=Status.SENT).values_list("idempotency_key", flat=True)
    ) == (expected)


def test_a_price_adjustment_waits_for_the_manager(world):
    change = SalesChange.objects.get(status=ChangeStatus.PENDING, project__code="binhai")
    assert change.subscription.status == SubscriptionStatus.SIGNED
    waiting = approvals_pending_for(world.users["manager"]).filter(kind=CHANGE_APPROVAL_KIND)
    assert [a.target_id for a in waiting] == [change.pk]
    assert not approvals_pending_for(world.users["manager_zh"]).filter(kind=CHANGE_APPROVAL_KIND)
