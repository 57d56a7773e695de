"""Queue numbers (QUE-1): sequential per project, cancelled with the refund, never reissued."""

from decimal import Decimal

import pytest

from anju.core.errors import ApplicationError, Conflict, NotFound, NotPermitted
from anju.deals.models import QueueStatus, QueueTicket
from anju.deals.services import queue_number_cancel, queue_number_issue


def _issue(world, customer, by="consultant", project="binhai", **kwargs):
    return queue_number_issue(
        by=world.users[by], project=world.projects[project], customer=customer, **kwargs
    )


def _last(world, project="binhai"):
    from anju.core.numbering import peek_last_number

    return peek_last_number(kind="queue", scope=world.projects[project])


def test_numbers_follow_each_other_per_project(world, make_customer):
    start = _last(world)
    first = _issue(world, make_customer(name="甲"))
    second = _issue(world, make_customer(name="乙"))
    assert (first.number, second.number) == (start + 1, start + 2)
    other_start = _last(world, "yunjing")
    elsewhere = _issue(
        world,
        make_customer(name="丙", project="yunjing", by="consultant2"),
        by="consultant2",
        project="yunjing",
    )
    assert elsewhere.number == other_start + 1


def test_a_cancelled_number_is_never_issued_again(world, make_customer):
    ticket = _issue(world, make_customer(name="甲"))
    queue_number_cancel(by=world.users["consultant"], ticket=ticket, reason="客户放弃")
    assert _issue(world, make_customer(name="乙")).number == ticket.number + 1
    ticket.refresh_from_db()
    assert ticket.status == QueueStatus.CANCELLED


def test_a_deposit_needs_its_method_and_its_refund_is_recorded(world, buyer):
    with pytest.raises(ApplicationError) as exc:
        _issue(world, buyer, deposit_amount="20000")
    assert exc.value.field == "deposit_method"
    assert not QueueTicket.objects.filter(customer=buyer).exists()
    ticket = _issue(
        world, buyer, deposit_amount="20000", deposit_method="wechat", deposit_receipt_no="SJ-0001"
    )
    with pytest.raises(ApplicationError) as exc:
        queue_number_cancel(by=world.users["consultant"], ticket=ticket, reason="放弃")
    assert exc.value.code == "refund_required" and exc.value.field == "refund_amount"
    with pytest.raises(ApplicationError) as exc:
        queue_number_cancel(
            by=world.users["consultant"],
            ticket=ticket,
            reason="放弃",
            refund_amount="20000.01",
            refund_method="wechat",
        )
    assert exc.value.code == "refund_too_large"
    ticket.refresh_from_db()
    assert ticket.status == QueueStatus.WAITING  # nothing half-written
    done = queue_number_cancel(
        by=world.users["consultant"],
        ticket=ticket,
        reason="放弃",
        refund_amount="20000",
        refund_method="wechat",
        refund_receipt_no="TK-01",
    )
    assert done.refund_amount == Decimal("20000.00") and done.refund_receipt_no == "TK-01"


def test_one_live_number_per_customer_and_project(world, buyer):
    _issue(world, buyer)
    with pytest.raises(Conflict) as exc:
        _issue(world, buyer)
    assert exc.value.code == "already_queued"
    assert QueueTicket.objects.filter(customer=buyer).count() == 1


def test_a_refused_issue_takes_no_number(world, buyer, make_customer):
    start = _last(world)
    with pytest.raises(ApplicationError):
        _issue(world, buyer, deposit_amount="-5", deposit_method="cash")
    assert _issue(world, make_customer(name="乙")).number == start + 1


def test_only_the_sales_team_issues_numbers_and_only_for_customers_they_see(
    world, buyer, make_customer
):
    with pytest.raises(NotPermitted):
        _issue(world, buyer, by="service")
    stranger = make_customer(name="别人的", by="consultant2", project="yunjing")
    with pytest.raises(NotFound):
        _issue(world, stranger)  # another consultant's customer: as if it did not exist
    assert not QueueTicket.objects.filter(customer=buyer).exists()


def test_a_customer_of_another_company_gets_no_number_here(world, make_customer):
    zh = make_customer(name="珠海客户", project="haiwan", by="consultant_zh")
    with pytest.raises((ApplicationError, NotFound)):
        _issue(world, zh, by="manager")
