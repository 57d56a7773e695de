"""The rules of the approval mechanism (issue 12 item 6; MEM-3 manual tier changes use it).

Each refusal asserts that nothing changed: the row, its events, the handlers not called.
"""

import pytest

from anju.approvals.models import ApprovalRequest, ApprovalStatus
from anju.approvals.registry import (
    ApprovalKind,
    approval_kind,
    register_approval_kind,
)
from anju.approvals.services import approval_decide, approval_request, approval_withdraw
from anju.core.errors import ApplicationError, Conflict, NotPermitted
from anju.core.events import events_for
from anju.core.roles import Perm

from .conftest import KIND

pytestmark = pytest.mark.django_db


def _unchanged(request):
    fresh = ApprovalRequest.objects.get(pk=request.pk)
    assert fresh.status == ApprovalStatus.PENDING
    assert fresh.decided_by_id is None and fresh.decided_at is None and fresh.comment == ""
    assert [e.verb for e in events_for(request)] == ["approvals.requested"]


def test_a_request_is_pending_with_who_asked_and_an_event(world, ask):
    request = ask(payload={"rate": "5.00", "unit": 7})
    assert request.status == ApprovalStatus.PENDING
    assert request.requested_by == world.users["consultant"]
    assert request.company == world.companies["sz"]
    assert request.project == world.projects["binhai"]
    assert request.payload == {"rate": "5.00", "unit": 7}
    (event,) = events_for(request)
    assert event.verb == "approvals.requested"
    assert event.actor == world.users["consultant"]
    assert event.details["kind"] == KIND


def test_a_second_pending_request_for_the_same_target_is_refused(world, ask):
    ask(target_id=42)
    with pytest.raises(Conflict) as refused:
        ask(target_id=42, by=world.users["manager"])
    assert refused.value.code == "already_requested"
    assert ApprovalRequest.objects.filter(kind=KIND, target_id=42).count() == 1


def test_after_a_decision_the_same_target_may_be_asked_again(world, ask):
    first = ask(target_id=43)
    approval_decide(by=world.users["manager"], request=first, approve=False, comment="Too much")
    second = ask(target_id=43)
    assert second.pk != first.pk and second.is_pending


@pytest.mark.parametrize(
    "bad, field",
    [
        ({"summary": "  "}, "summary"),
        ({"summary": "x" * 301}, "summary"),
        ({"summary": "bell\x07"}, "summary"),
        ({"payload": ["not", "an", "object"]}, "payload"),
        ({"payload": {"when": object()}}, "payload"),
        ({"payload": {"big": "x" * 10_001}}, "payload"),
    ],
)
def test_bad_input_to_a_request_is_refused_and_nothing_is_written(world, ask, bad, field):
    before = ApprovalRequest.objects.count()
    with pytest.raises(ApplicationError) as refused:
        ask(**bad)
    assert refused.value.field == field
    assert ApprovalRequest.objects.count() == before


def test_an_unknown_kind_is_refused(world):
    with pytest.raises(ApplicationError) as refused:
        approval_request(
            by=world.users["consultant"],
            kind="nobody.registered_this",
            company=world.companies["sz"],
            target_id=1,
            payload={},
            summary="?",
        )
    assert refused.value.code == "unknown_approval_kind"
    assert not ApprovalRequest.objects.filter(kind="nobody.registered_this").exists()


def test_a_project_of_another_company_is_refused(world, ask):
    with pytest.raises(Conflict) as refused:
        ask(company=world.companies["sz"], project="haiwan")
    assert refused.value.code == "company_mismatch"


def test_approval_records_who_when_comment_and_runs_the_handler_once(world, ask, test_kind):
    request = ask()
    manager = world.users["manager"]
    decided = approval_decide(by=manager, request=request, approve=True, comment="OK this once")
    assert decided.status == ApprovalStatus.APPROVED
    assert decided.decided_by == manager and decided.decided_at is not None
    assert decided.comment == "OK this once"
    # The handler saw the request already approved, inside the same transaction.
    assert test_kind.approved == [(manager, request.pk, ApprovalStatus.APPROVED)]
    assert test_kind.rejected == []
    event = events_for(request).get(verb="approvals.approved")
    assert event.actor == manager and event.details["comment"] == "OK this once"


def test_rejection_needs_a_comment_and_runs_the_reject_handler(world, ask, test_kind):
    request = ask()
    manager = world.users["manager"]
    with pytest.raises(ApplicationError) as refused:
        approval_decide(by=manager, request=request, approve=False, comment="   ")
    assert refused.value.field == "comment" and refused.value.code == "required"
    _unchanged(request)
    approval_decide(by=manager, request=request, approve=False, comment="Beyond policy")
    assert test_kind.rejected == [(manager, request.pk, ApprovalStatus.REJECTED)]
    assert events_for(request).get(verb="approvals.rejected").details["comment"] == "Beyond policy"


def test_an_approver_cannot_approve_his_own_request(world, ask, test_kind):
    manager = world.users["manager"]  # holds APPROVE_DISCOUNT in 滨海花园 himself
    request = ask(by=manager)
    for approve in (True, False):
        with pytest.raises(NotPermitted) as refused:
            approval_decide(by=manager, request=request, approve=approve, comment="mine")
        assert refused.value.code == "four_eyes"
    _unchanged(request)
    assert test_kind.approved == [] and test_kind.rejected == []


@pytest.mark.parametrize(
    "decider",
    [
        "consultant2",  # sees nothing of 滨海花园, holds no approval permission
        "service",  # sees the company, but no APPROVE_DISCOUNT
        "manager_zh",  # holds APPROVE_DISCOUNT, but in 珠海
        "consultant",  # the requester's colleague role: no permission (and it is his own)
    ],
)
def test_a_decider_needs_the_kinds_permission_where_the_request_is(world, ask, decider, test_kind):
    request = ask()
    with pytest.raises(NotPermitted):
        approval_decide(by=world.users[decider], request=request, approve=True)
    _unchanged(request)
    assert test_kind.approved == []


def test_company_management_may_decide_in_its_company(world, ask):
    request = ask(project="yunjing")
    decided = approval_decide(by=world.users["management"], request=request, approve=True)
    assert decided.status == ApprovalStatus.APPROVED


def test_a_project_manager_cannot_decide_in_another_project(world, ask):
    request = ask(by=world.users["consultant2"], project="yunjing")
    with pytest.raises(NotPermitted):
        approval_decide(by=world.users["manager"], request=request, approve=True)
    _unchanged(request)


def test_the_kinds_permission_is_the_one_checked(world, ask):
    """service manager holds APPROVE_TIER_CHANGE but not APPROVE_DISCOUNT: a kind needing
    the former he may decide, the test kind he may not."""
    register_approval_kind(
        ApprovalKind(name="test.tier", label="Tier", perm=Perm.APPROVE_TIER_CHANGE)
    )
    try:
        tier = approval_request(
            by=world.users["consultant"],
            kind="test.tier",
            company=world.companies["sz"],
            project=world.projects["binhai"],
            target_id=1,
            payload={},
            summary="蓝卡 → 金卡",
        )
        discount = ask()
        servicemgr = world.users["servicemgr"]
        assert approval_decide(by=servicemgr, request=tier, approve=True).is_pending is False
        with pytest.raises(NotPermitted):
            approval_decide(by=servicemgr, request=discount, approve=True)
        _unchanged(discount)
    finally:
        from anju.approvals.registry import unregister_approval_kind

        unregister_approval_kind("test.tier")
    assert approval_kind("test.tier") is None


@pytest.mark.parametrize("first", [True, False])
def test_a_decided_request_cannot_be_decided_again(world, ask, test_kind, first):
    request = ask()
    approval_decide(by=world.users["manager"], request=request, approve=first, comment="first")
    for second in (True, False):
        with pytest.raises(Conflict) as refused:
            approval_decide(
                by=world.users["management"], request=request, approve=second, comment="again"
            )
        assert refused.value.code == "invalid_transition"
    fresh = ApprovalRequest.objects.get(pk=request.pk)
    assert fresh.decided_by == world.users["manager"] and fresh.comment == "first"
    assert len(test_kind.approved) + len(test_kind.rejected) == 1
    assert events_for(request).count() == 2


def test_a_failing_handler_rolls_the_decision_back(world, ask, test_kind):
    request = ask()
    test_kind.fail_with = ApplicationError("The unit is no longer held.", code="conflict")
    with pytest.raises(ApplicationError, match="no longer held"):
        approval_decide(by=world.users["manager"], request=request, approve=True, comment="go")
    _unchanged(request)
    test_kind.fail_with = None  # the cause fixed, the same request is approved
    assert approval_decide(by=world.users["manager"], request=request, approve=True).status == (
        ApprovalStatus.APPROVED
    )


def test_only_the_requester_withdraws_and_only_while_pending(world, ask, test_kind):
    request = ask()
    for someone_else in ("manager", "management", "consultant2"):
        with pytest.raises(NotPermitted):
            approval_withdraw(by=world.users[someone_else], request=request)
    _unchanged(request)
    withdrawn = approval_withdraw(by=world.users["consultant"], request=request)
    assert withdrawn.status == ApprovalStatus.WITHDRAWN
    assert test_kind.withdrawn == [(world.users["consultant"], request.pk)]
    assert events_for(request).filter(verb="approvals.withdrawn").count() == 1
    with pytest.raises(Conflict):
        approval_withdraw(by=world.users["consultant"], request=request)
    with pytest.raises(Conflict):
        approval_decide(by=world.users["manager"], request=request, approve=True)
    assert test_kind.approved == []


def test_a_decided_request_cannot_be_withdrawn(world, ask):
    request = ask()
    approval_decide(by=world.users["manager"], request=request, approve=True)
    with pytest.raises(Conflict):
        approval_withdraw(by=world.users["consultant"], request=request)
    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.APPROVED


def test_a_kind_cannot_be_registered_twice_under_one_name(test_kind):
    other = ApprovalKind(name=KIND, label="Impostor", perm=Perm.APPROVE_SALES_CHANGE)
    with pytest.raises(ValueError):
        register_approval_kind(other)
    assert approval_kind(KIND) is test_kind.kind
    assert register_approval_kind(test_kind.kind) is test_kind.kind  # the same one: idempotent
