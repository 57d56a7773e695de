"""The complaint loop (SVC-4) and the requests' short flows, through the services."""

from decimal import Decimal

import pytest

from anju.approvals.models import ApprovalRequest
from anju.approvals.services import approval_decide
from anju.core.errors import ApplicationError, Conflict, NotPermitted
from anju.core.events import Event
from anju.core.models import Notification
from anju.messaging.models import Message
from anju.service import services
from anju.service.models import Handling, Level, Status, Ticket, TicketType

pytestmark = pytest.mark.django_db


def _to_implemented(ticket, desk, *, responsible=None):
    agent, manager, _management, engineer = desk
    responsible = responsible or engineer
    services.ticket_judge(by=agent, ticket=ticket, valid=True)
    services.ticket_assign(by=agent, ticket=ticket, responsible=responsible)
    services.ticket_analyse(by=responsible, ticket=ticket, cause="楼上防水层破损。")
    solution = services.solution_propose(
        by=responsible,
        ticket=ticket,
        kind="compensate",
        description="修复防水层，赔偿吊顶损失。",
        compensation=Decimal("1500.00"),
    )
    approval_decide(by=manager, request=solution.approval, approve=True, comment="同意")
    return services.ticket_implement(by=responsible, ticket=ticket, note="已修复并赔付。")


def test_the_full_loop_with_an_unsatisfied_revisit_goes_back_to_cause_analysis_one_level_up(
    receive, desk
):
    """SVC-4 step 9: 不满意 → back to step 4, level agent → service manager; then satisfied
    twice (engineering quality) → closed, handled after repeated loops."""
    agent, manager, _management, engineer = desk
    ticket = receive()
    assert ticket.status == Status.RECEIVED and ticket.number > 0 and ticket.customer_class == "B"
    assert ticket.next_due_at == ticket.first_response_due
    ticket = _to_implemented(ticket, desk)
    assert ticket.status == Status.IMPLEMENTED and ticket.revisit_due_on is not None

    services.revisit_record(by=agent, ticket=ticket, satisfaction="unsatisfied", comment="还在渗")
    ticket.refresh_from_db()
    assert ticket.status == Status.ASSIGNED and ticket.loops == 1
    assert ticket.level == Level.SERVICE_MANAGER and ticket.implemented_at is None
    assert Notification.objects.filter(user=manager, url__endswith=f"/{ticket.pk}/").exists()

    ticket = _loop_again(ticket, desk)
    services.revisit_record(by=agent, ticket=ticket, satisfaction="satisfied")
    with pytest.raises(Conflict) as refused:  # quality: two revisits in this loop
        services.ticket_close(by=agent, ticket=ticket, summary="已解决")
    assert refused.value.code == "revisits_required"
    services.revisit_record(by=agent, ticket=ticket, satisfaction="very_satisfied")
    ticket = services.ticket_close(by=agent, ticket=ticket, summary="两次回访均满意。")
    assert ticket.status == Status.CLOSED and ticket.handling == Handling.REPEATED
    assert ticket.next_due_at is None and ticket.satisfaction == "very_satisfied"
    verbs = list(
        Event.objects.unscoped("test")
        .filter(target_id=ticket.pk, verb__startswith="service.")
        .values_list("verb", flat=True)
    )
    assert verbs.count("service.revisit_unsatisfied") == 1 and "service.ticket_closed" in verbs
    sent = Message.objects.unscoped("test").filter(
        idempotency_key__startswith=f"service:{ticket.pk}:"
    )
    assert {m.source for m in sent} == {"service:received", "service:done", "service:closed"}


def _loop_again(ticket, desk):
    agent, manager, _management, engineer = desk
    services.ticket_analyse(by=engineer, ticket=ticket, cause="楼上管道接口松动。")
    solution = services.solution_propose(
        by=engineer, ticket=ticket, kind="repair", description="更换管道接口。"
    )
    approval_decide(by=manager, request=solution.approval, approve=True, comment="同意")
    return services.ticket_implement(by=engineer, ticket=ticket)


def test_a_quality_complaint_needs_two_revisits_a_service_complaint_one(receive, desk):
    agent = desk[0]
    quality = _to_implemented(receive(category="quality"), desk)
    services.revisit_record(by=agent, ticket=quality, satisfaction="satisfied")
    with pytest.raises(Conflict):
        services.ticket_close(by=agent, ticket=quality, summary="满意")
    quality.refresh_from_db()
    assert quality.status == Status.IMPLEMENTED  # nothing half-written
    services.revisit_record(by=agent, ticket=quality, satisfaction="satisfied")
    assert services.ticket_close(by=agent, ticket=quality, summary="满意").status == Status.CLOSED

    service = _to_implemented(receive(category="service"), desk)
    services.revisit_record(by=agent, ticket=service, satisfaction="average")
    assert services.ticket_close(by=agent, ticket=service, summary="一般").status == Status.CLOSED


def test_refused_steps_are_409_and_change_nothing(receive, desk):
    agent, manager, _management, engineer = desk
    ticket = receive()
    with pytest.raises(Conflict) as early:  # a revisit before implementation
        services.revisit_record(by=agent, ticket=ticket, satisfaction="satisfied")
    assert early.value.code == "not_implemented"
    with pytest.raises(Conflict) as illegal:  # cause analysis before it is judged and assigned
        services.ticket_analyse(by=agent, ticket=ticket, cause="x")
    assert illegal.value.code == "invalid_transition"
    with pytest.raises(Conflict) as unjudged:  # a complaint is judged before it can close
        services.ticket_close(by=agent, ticket=ticket, summary="x")
    assert unjudged.value.code == "invalid_transition"
    ticket.refresh_from_db()
    assert ticket.status == Status.RECEIVED and ticket.cause == ""


def test_nobody_approves_his_own_solution(receive, desk):
    agent, manager, _management, _engineer = desk
    ticket = receive()
    services.ticket_judge(by=agent, ticket=ticket, valid=True)
    services.ticket_assign(by=agent, ticket=ticket, responsible=manager)
    services.ticket_analyse(by=manager, ticket=ticket, cause="施工质量问题。")
    solution = services.solution_propose(
        by=manager, ticket=ticket, kind="explain", description="解释并道歉。"
    )
    with pytest.raises((NotPermitted, Conflict, ApplicationError)):
        approval_decide(by=manager, request=solution.approval, approve=True, comment="自批")
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLUTION_PENDING
    request = ApprovalRequest.objects.unscoped("test").get(pk=solution.approval_id)
    assert request.status == "pending"


def test_a_rejected_solution_goes_back_for_another(receive, desk):
    agent, manager, _management, engineer = desk
    ticket = receive()
    services.ticket_judge(by=agent, ticket=ticket, valid=True)
    services.ticket_assign(by=agent, ticket=ticket, responsible=engineer)
    services.ticket_analyse(by=engineer, ticket=ticket, cause="x")
    solution = services.solution_propose(
        by=engineer, ticket=ticket, kind="explain", description="解释。"
    )
    approval_decide(by=manager, request=solution.approval, approve=False, comment="需要维修")
    ticket.refresh_from_db()
    assert ticket.status == Status.ANALYSED
    assert Notification.objects.filter(user=engineer, title__contains=str(ticket)).count() == 2


def test_an_invalid_complaint_is_answered_and_closed_at_once(receive, desk):
    agent = desk[0]
    ticket = receive(category="design")
    with pytest.raises(ApplicationError):
        services.ticket_judge(by=agent, ticket=ticket, valid=False)  # no explanation
    ticket = services.ticket_judge(
        by=agent, ticket=ticket, valid=False, explanation="小区规划与销售时公示一致。"
    )
    assert ticket.status == Status.CLOSED and ticket.outcome == "invalid"
    assert ticket.handling == Handling.AT_ONCE
    closed = Message.objects.unscoped("test").get(idempotency_key=f"service:{ticket.pk}:closed:0")
    assert "小区规划与销售时公示一致。" in closed.body


def test_requests_take_their_short_flow(receive, desk):
    agent, _manager, _management, engineer = desk
    question = receive(ticket_type=TicketType.CONSULTATION, category="other")
    closed = services.ticket_close(by=agent, ticket=question, summary="已电话答复交房时间。")
    assert closed.outcome == "answered" and closed.handling == Handling.AT_ONCE
    repair = receive(ticket_type=TicketType.REPAIR, category="repairs")
    with pytest.raises(Conflict):
        services.ticket_judge(by=agent, ticket=repair, valid=True)
    services.ticket_assign(by=agent, ticket=repair, responsible=engineer)
    services.ticket_implement(by=engineer, ticket=repair, note="已更换水龙头。")
    with pytest.raises(Conflict):  # a repair needs its revisit
        services.ticket_close(by=agent, ticket=repair, summary="x")
    services.revisit_record(by=agent, ticket=repair, satisfaction="satisfied")
    assert services.ticket_close(by=agent, ticket=repair, summary="完成").status == Status.CLOSED


def test_only_the_desk_and_the_responsible_act(receive, desk, world):
    agent, _manager, _management, engineer = desk
    ticket = receive()
    consultant = world.users["consultant"]
    with pytest.raises(NotPermitted):
        services.ticket_receive(
            by=consultant,
            project=world.projects["binhai"],
            ticket_type="complaint",
            channel="hotline",
            subject="x",
            description="x",
        )
    services.ticket_judge(by=agent, ticket=ticket, valid=True)
    services.ticket_assign(by=agent, ticket=ticket, responsible=engineer)
    other_project = world.users["consultant2"]
    with pytest.raises(Exception) as refused:
        services.ticket_analyse(by=other_project, ticket=ticket, cause="x")
    assert type(refused.value).__name__ in {"NotFound", "Http404", "NotPermitted"}
    assert Ticket.objects.unscoped("test").get(pk=ticket.pk).cause == ""


def test_a_sensitive_ticket_goes_to_management_at_once(receive, desk):
    _agent, manager, management, _engineer = desk
    with pytest.raises(ApplicationError):
        receive(severity="sensitive")  # why: media or group
    ticket = receive(severity="sensitive", sensitive_reason="media")
    assert ticket.level == Level.MANAGEMENT
    for person in (manager, management):
        assert Notification.objects.filter(user=person, key__startswith=f"service:{ticket.pk}:")


def test_a_group_case_links_owners_tickets_and_makes_them_sensitive(receive, desk, world):
    agent, _manager, management, _engineer = desk
    first, second = receive(category="design"), receive(category="design")
    case = services.case_open(
        by=agent, project=world.projects["binhai"], title="小区绿化缩水", tickets=[first, second]
    )
    assert set(case.tickets.values_list("pk", flat=True)) == {first.pk, second.pk}
    first.refresh_from_db()
    assert first.severity == "sensitive" and first.sensitive_reason == "group"
    assert Notification.objects.filter(user=management, key=f"service:{first.pk}:receipt:0:0")


def test_ticket_numbers_run_per_company(receive, world):
    first, second = receive(), receive()
    assert second.number == first.number + 1
    assert str(second) == f"KF{second.number:06d}"
