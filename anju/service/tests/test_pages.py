"""The service desk's pages (SVC-1 … SVC-5): the list and its export, receiving a ticket,
the ticket's page and each step's form — its happy path and its refusals (a form error,
nothing changed) —, photos, time limits, group cases, the customer's panel."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from anju.approvals.services import approval_decide
from anju.core.models import Event
from anju.inventory.models import Unit
from anju.service import services
from anju.service.models import (
    Level,
    ServiceCase,
    ServiceSettings,
    SlaPolicy,
    Status,
    Ticket,
    TicketAttachment,
)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def png(name="crack.png", size=(20, 10)):
    out = io.BytesIO()
    Image.new("RGB", size, "navy").save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def text(response) -> str:
    return response.content.decode()


def snapshot(ticket):
    row = Ticket.objects.filter(pk=ticket.pk).values().get()
    return row, Event.objects.filter(target_id=ticket.pk, verb__startswith="service.").count()


# --- the list and its export ---------------------------------------------------------------------


def test_the_list_filters_marks_overdue_rows_and_says_how_much_time_is_left(
    world, login, receive, django_assert_max_num_queries
):
    agent = world.users["service"]
    fresh = receive(subject="新投诉：电梯异响")
    late = receive(subject="超时投诉：地库漏水")
    Ticket.objects.filter(pk=late.pk).update(
        next_due_at=timezone.now() - timedelta(hours=2, minutes=5), overdue=True
    )
    other = receive(subject="咨询：交房时间", ticket_type="consultation", category="other")
    services.ticket_close(by=agent, ticket=other, summary="已告知")
    client = login(agent)

    with django_assert_max_num_queries(14):
        page = client.get("/service/tickets/")
    body = text(page)
    assert page.status_code == 200
    assert fresh.subject in body and late.subject in body
    assert other.subject not in body  # open tickets by default
    assert 'data-late="1" data-ticket="' + str(late) in body
    assert "已超时 2 小时" in body and "还剩 1 小时" in body  # a 2-hour first response

    closed = text(client.get("/service/tickets/?status=closed"))
    assert other.subject in closed and fresh.subject not in closed
    overdue = text(client.get("/service/tickets/?overdue=1"))
    assert late.subject in overdue and fresh.subject not in overdue
    by_number = text(client.get(f"/service/tickets/?q={late}"))
    assert late.subject in by_number and fresh.subject not in by_number
    by_subject = text(client.get("/service/tickets/?q=电梯"))
    assert fresh.subject in by_subject and late.subject not in by_subject
    typed = text(client.get("/service/tickets/?status=all&ticket_type=consultation"))
    assert other.subject in typed and fresh.subject not in typed
    mine = text(client.get("/service/tickets/?mine=1"))
    assert fresh.subject in mine
    theirs = text(login(world.users["servicemgr"]).get("/service/tickets/?mine=1"))
    assert fresh.subject not in theirs

    bad = client.get("/service/tickets/?date_from=2026-05-02&date_to=2026-05-01")
    assert bad.status_code == 400 and fresh.subject not in text(bad)  # never the whole list


def test_the_list_does_not_grow_with_its_rows(world, login, receive, django_assert_max_num_queries):
    client = login(world.users["servicemgr"])
    receive(subject="第一张")
    with django_assert_max_num_queries(12) as few:
        assert client.get("/service/tickets/?status=all").status_code == 200
    for n in range(12):
        receive(subject=f"批量投诉{n}", customer=None, contact_name=f"业主{n}")
    with django_assert_max_num_queries(12) as many:
        assert client.get("/service/tickets/?status=all").status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_export_keeps_the_filters_and_masks_the_phone(world, login, receive):
    contact = receive(customer=None, contact_name="邻居王先生", contact_phone="13911112222")
    receive(subject="另一张")
    client = login(world.users["servicemgr"])  # exports, may not unmask
    answer = client.get(f"/service/tickets/export.csv?q={contact}")
    assert answer.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(answer.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 2
    line = dict(zip(rows[0], rows[1], strict=True))
    assert line["工单号"] == str(contact) and line["客户"] == "邻居王先生"
    assert "13911112222" not in answer_text(rows) and line["手机号"].startswith("139")
    assert login(world.users["service"]).get("/service/tickets/export.csv").status_code == 403


def answer_text(rows) -> str:
    return "\n".join(",".join(r) for r in rows)


# --- receiving ---------------------------------------------------------------------------------


def receive_form(**extra):
    data = {
        "ticket_type": "complaint",
        "channel": "hotline",
        "category": "quality",
        "severity": "normal",
        "sensitive_reason": "",
        "complainant_type": "",
        "subject": "客厅墙面开裂",
        "description": "客厅东墙出现多条裂缝。",
        "demand": "上门查看并修复",
    }
    data.update(extra)
    return data


def test_receive_from_the_customers_page_with_photos(world, login, make_customer):
    customer = make_customer(name="投诉业主甲", grade="A")
    client = login(world.users["service"])
    panel = text(client.get(f"/customers/{customer.pk}/"))
    assert f"/service/tickets/new/?customer={customer.pk}" in panel
    form = client.get(f"/service/tickets/new/?customer={customer.pk}")
    assert form.status_code == 200 and customer.name in text(form)
    assert customer.phone not in text(form)  # masked, never retyped
    unit = Unit.objects.filter(project=world.projects["binhai"]).order_by("pk").first()
    done = client.post(
        "/service/tickets/new/",
        receive_form(
            project=world.projects["binhai"].pk,
            customer=customer.pk,
            unit=unit.pk,
            photos=[png("a.png"), png("b.png")],
        ),
    )
    ticket = Ticket.objects.get(customer=customer)
    assert done.status_code == 302 and done["Location"] == f"/service/tickets/{ticket.pk}/"
    assert ticket.unit == unit and ticket.customer_class == "A"
    assert ticket.attachments.count() == 2
    page = text(client.get(done["Location"]))
    assert "客厅墙面开裂" in page and page.count("/service/attachments/") == 4  # link + img
    again = text(client.get(f"/customers/{customer.pk}/"))
    assert str(ticket) in again  # the 360° panel lists it


def test_receive_a_caller_not_on_file_found_by_nobody(world, login):
    client = login(world.users["service"])
    searched = client.post(
        "/service/tickets/new/",
        {"project": world.projects["binhai"].pk, "action": "find", "q": "查无此人"},
    )
    assert 'data-testid="no-results"' in text(searched)
    done = client.post(
        "/service/tickets/new/",
        receive_form(
            project=world.projects["binhai"].pk,
            ticket_type="consultation",
            category="other",
            contact_name="路人甲",
            contact_phone="13800001111",
        ),
    )
    ticket = Ticket.objects.get(contact_name="路人甲")
    assert done.status_code == 302 and ticket.customer is None


@pytest.mark.parametrize(
    "photo,message",
    [
        (SimpleUploadedFile("bill.jpg", b"%PDF-1.7 a bill", content_type="image/jpeg"), "不是照片"),
        (
            SimpleUploadedFile("huge.png", b"\x89PNG" + b"0" * (5 * 1024 * 1024), "image/png"),
            "5 MB",
        ),
    ],
)
def test_a_receipt_with_a_bad_photo_is_refused_whole(world, login, photo, message):
    client = login(world.users["service"])
    before = Ticket.objects.count()
    answer = client.post(
        "/service/tickets/new/",
        receive_form(project=world.projects["binhai"].pk, photos=[png(), photo]),
    )
    assert answer.status_code == 400
    assert 'data-testid="error-photos"' in text(answer) and message in text(answer)
    assert Ticket.objects.count() == before and not TicketAttachment.objects.exists()


def test_a_sensitive_ticket_needs_its_reason_on_the_form(world, login):
    client = login(world.users["service"])
    before = Ticket.objects.count()
    answer = client.post(
        "/service/tickets/new/",
        receive_form(project=world.projects["binhai"].pk, severity="sensitive"),
    )
    assert answer.status_code == 400 and "媒体" in text(answer)
    assert Ticket.objects.count() == before


def test_only_the_desk_receives(world, login, make_customer):
    assert login(world.users["consultant"]).get("/service/tickets/new/").status_code == 403
    zh = login(world.users["manager_zh"])
    assert zh.get("/service/tickets/new/").status_code == 403
    customer = make_customer()
    # a desk of another company never gets a form for this company's customer
    assert (
        login(world.users["manager_zh"]).get(f"/service/tickets/new/?customer={customer.pk}")
    ).status_code in (403, 404)


# --- the ticket's page and its steps -----------------------------------------------------------


def test_another_companys_user_gets_404_for_the_ticket_its_steps_and_photos(world, login, receive):
    ticket = receive()
    [photo] = __import__("anju.service.attachments", fromlist=["x"]).attachment_add(
        by=world.users["service"], ticket=ticket, uploads=[png()]
    )
    client = login(world.users["manager_zh"])
    assert client.get(f"/service/tickets/{ticket.pk}/").status_code == 404
    assert client.get(f"/service/attachments/{photo.token}/").status_code == 404
    before = snapshot(ticket)
    assert (
        client.post(f"/service/tickets/{ticket.pk}/judge/", {"judge-valid": "1"}).status_code == 404
    )
    assert snapshot(ticket) == before


def test_the_photo_is_streamed_with_its_stored_type_to_who_sees_the_ticket(world, login, receive):
    from anju.service.attachments import attachment_add

    ticket = receive()
    [photo] = attachment_add(by=world.users["service"], ticket=ticket, uploads=[png()])
    answer = login(world.users["engineer"]).get(f"/service/attachments/{photo.token}/")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "image/png"
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert b"".join(answer.streaming_content)[:4] == b"\x89PNG"
    consultant = login(world.users["consultant"])  # sees only his own tickets
    assert consultant.get(f"/service/attachments/{photo.token}/").status_code == 404
    assert consultant.get("/service/attachments/no-such-token/").status_code == 404


def test_the_detail_page_does_not_grow_with_the_history(
    world, login, receive, django_assert_max_num_queries
):
    from anju.service.attachments import attachment_add

    agent, manager, engineer = (
        world.users["service"],
        world.users["servicemgr"],
        world.users["engineer"],
    )
    client = login(agent)
    fresh = receive()
    services.ticket_judge(by=agent, ticket=fresh, valid=True)
    with django_assert_max_num_queries(18) as short:
        assert client.get(f"/service/tickets/{fresh.pk}/").status_code == 200
    ticket = receive()
    attachment_add(by=agent, ticket=ticket, uploads=[png(), png()])
    services.ticket_judge(by=agent, ticket=ticket, valid=True)
    services.ticket_assign(by=agent, ticket=ticket, responsible=engineer)
    for loop in range(2):
        services.ticket_analyse(by=engineer, ticket=ticket, cause=f"原因{loop}")
        solution = services.solution_propose(
            by=engineer, ticket=ticket, kind="repair", description="重做防水"
        )
        approval_decide(by=manager, request=solution.approval, approve=True, comment="同意")
        services.ticket_implement(by=engineer, ticket=ticket, note="已修复")
        services.revisit_record(
            by=agent, ticket=ticket, satisfaction="unsatisfied" if loop == 0 else "satisfied"
        )
    ticket.refresh_from_db()
    assert ticket.status == Status.IMPLEMENTED  # assign, revisit and close forms all shown
    with django_assert_max_num_queries(18) as long:
        page = client.get(f"/service/tickets/{ticket.pk}/")
    assert page.status_code == 200
    assert len(long.captured_queries) <= len(short.captured_queries) + 2  # revisit/close forms
    body = text(page)
    for words in (
        "受理",
        "判定投诉成立",
        "原因已查明",
        "方案已批准",
        "回访：满意",
        "上传照片 2 张",
    ):
        assert words in body, words


def test_the_complaint_loop_through_its_forms(world, login, receive):
    """Each step's form: judged, assigned to the engineer, who finds the cause and proposes a
    solution; approved; carried out; 不满意 → back to cause analysis one level up."""
    agent, manager, engineer = (
        world.users["service"],
        world.users["servicemgr"],
        world.users["engineer"],
    )
    ticket = receive()
    desk = login(agent)
    url = f"/service/tickets/{ticket.pk}/"
    page = text(desk.get(url))
    assert 'data-testid="form-judge"' in page and 'data-testid="form-cause"' not in page

    assert desk.post(url + "judge/", {"judge-valid": "1"}).status_code == 302
    assert 'data-testid="form-assign"' in text(desk.get(url))
    answer = desk.post(url + "assign/", {"assign-responsible": engineer.pk})
    assert answer.status_code == 302, text(answer)[:3000]
    ticket.refresh_from_db()
    assert ticket.status == Status.ASSIGNED and ticket.responsible == engineer

    worker = login(engineer)
    assert 'data-testid="form-cause"' in text(worker.get(url))
    assert worker.post(url + "cause/", {"cause-cause": "楼上防水层破损"}).status_code == 302
    answer = worker.post(
        url + "solution/",
        {
            "solution-kind": "compensate",
            "solution-description": "维修并补偿",
            "solution-compensation": "800",
        },
    )
    assert answer.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLUTION_PENDING
    solution = ticket.solutions.get()
    assert f"/approvals/{solution.approval_id}/" in text(login(manager).get(url))
    approval_decide(by=manager, request=solution.approval, approve=True, comment="同意")

    assert 'data-testid="form-implement"' in text(worker.get(url))
    assert worker.post(url + "implement/", {"implement-note": "已修复"}).status_code == 302
    page = text(desk.get(url))
    assert 'data-testid="form-revisit"' in page and 'data-testid="form-close"' in page
    answer = desk.post(
        url + "revisit/", {"revisit-satisfaction": "unsatisfied", "revisit-comment": "仍渗水"}
    )
    assert answer.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.ASSIGNED and ticket.level == Level.SERVICE_MANAGER
    page = text(desk.get(url))
    assert "客服经理" in page and "回访：不满意" in page


def test_closing_too_early_is_a_form_error_and_changes_nothing(world, login, receive):
    agent, manager, engineer = (
        world.users["service"],
        world.users["servicemgr"],
        world.users["engineer"],
    )
    ticket = receive()  # engineering quality: 2 revisits before closing
    services.ticket_judge(by=agent, ticket=ticket, valid=True)
    services.ticket_assign(by=agent, ticket=ticket, responsible=engineer)
    services.ticket_analyse(by=engineer, ticket=ticket, cause="施工质量")
    solution = services.solution_propose(
        by=engineer, ticket=ticket, kind="repair", description="返修"
    )
    approval_decide(by=manager, request=solution.approval, approve=True, comment="同意")
    services.ticket_implement(by=engineer, ticket=ticket, note="已返修")
    services.revisit_record(by=agent, ticket=ticket, satisfaction="satisfied")
    before = snapshot(ticket)
    answer = login(agent).post(
        f"/service/tickets/{ticket.pk}/close/", {"close-summary": "业主满意"}
    )
    assert answer.status_code == 409
    assert 'data-testid="form-error"' in text(answer) and "2" in text(answer)
    assert snapshot(ticket) == before


def test_an_illegal_step_is_a_form_error_and_changes_nothing(world, login, receive):
    ticket = receive()  # received, not judged: no cause yet
    before = snapshot(ticket)
    answer = login(world.users["service"]).post(
        f"/service/tickets/{ticket.pk}/cause/", {"cause-cause": "先写原因"}
    )
    assert answer.status_code == 409 and 'data-testid="form-error"' in text(answer)
    assert snapshot(ticket) == before


def test_an_invalid_complaint_needs_its_explanation(world, login, receive):
    ticket = receive()
    client = login(world.users["service"])
    before = snapshot(ticket)
    answer = client.post(f"/service/tickets/{ticket.pk}/judge/", {"judge-valid": "0"})
    assert answer.status_code == 400 and 'data-testid="error-explanation"' in text(answer)
    assert snapshot(ticket) == before
    done = client.post(
        f"/service/tickets/{ticket.pk}/judge/",
        {"judge-valid": "0", "judge-explanation": "经核查属正常沉降，不影响安全。"},
    )
    assert done.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and ticket.outcome == "invalid"


def test_who_may_not_act_gets_403_and_sees_no_button(world, login, receive):
    ticket = receive()
    manager = login(world.users["manager"])  # sales manager of the project: sees, may not act
    page = text(manager.get(f"/service/tickets/{ticket.pk}/"))
    assert 'data-testid="form-' not in page
    before = snapshot(ticket)
    for step, data in (
        ("judge", {"judge-valid": "1"}),
        ("cause", {"cause-cause": "x"}),
        ("close", {"close-summary": "x"}),
        ("photos", {"photos-photos": png()}),
    ):
        assert manager.post(f"/service/tickets/{ticket.pk}/{step}/", data).status_code == 403
    assert snapshot(ticket) == before
    assert manager.get(f"/service/tickets/{ticket.pk}/judge/").status_code == 405


def test_a_request_is_answered_at_once_and_a_praise_closed(world, login, receive):
    client = login(world.users["service"])
    question = receive(ticket_type="consultation", category="other")
    page = text(client.get(f"/service/tickets/{question.pk}/"))
    assert 'data-testid="form-close"' in page and 'data-testid="form-judge"' not in page
    answer = client.post(f"/service/tickets/{question.pk}/close/", {"close-summary": "已答复"})
    assert answer.status_code == 302
    question.refresh_from_db()
    assert question.status == Status.CLOSED and question.outcome == "answered"


def test_reclassify_to_sensitive_and_photos_on_the_page(world, login, receive):
    ticket = receive()
    client = login(world.users["service"])
    url = f"/service/tickets/{ticket.pk}/"
    refused = client.post(
        url + "reclassify/", {"reclassify-category": "quality", "reclassify-severity": "sensitive"}
    )
    assert refused.status_code == 400 and '<details class="mb-3" open>' in text(refused)
    ok = client.post(
        url + "reclassify/",
        {
            "reclassify-category": "quality",
            "reclassify-severity": "sensitive",
            "reclassify-sensitive_reason": "media",
        },
    )
    assert ok.status_code == 302
    ticket.refresh_from_db()
    assert ticket.severity == "sensitive" and ticket.level == Level.MANAGEMENT

    bad = client.post(
        url + "photos/",
        {"photos-photos": SimpleUploadedFile("x.gif", b"GIF89a-broken", "image/gif")},
    )
    assert bad.status_code == 400 and 'data-testid="error-photos"' in text(bad)
    assert not ticket.attachments.exists()
    assert client.post(url + "photos/", {"photos-photos": [png(), png()]}).status_code == 302
    assert ticket.attachments.count() == 2


# --- time limits, the desk's settings ------------------------------------------------------------


def _sla_post(client, company, **changes):
    page = client.get(f"/service/sla/?company={company.pk}")
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data.update(changes)
    return client.post(f"/service/sla/?company={company.pk}", data)


def test_a_manager_sets_the_time_limits(world, login):
    company = world.companies["sz"]
    client = login(world.users["servicemgr"])
    page = client.get("/service/sla/")
    assert page.status_code == 200 and "2 小时" in text(page)  # the complaint's default
    answer = _sla_post(client, company, complaint__normal__first_response_minutes="60")
    assert answer.status_code == 302
    row = SlaPolicy.objects.get(company=company, ticket_type="complaint", severity="normal")
    assert (row.first_response_minutes, row.solution_minutes) == (60, 3 * 24 * 60)
    assert SlaPolicy.objects.filter(company=company).count() == 1  # defaults keep no row
    event = Event.objects.get(verb="service.sla_policy_set", target_id=row.pk)
    assert event.details["before"]["first_response_minutes"] == 120
    assert event.details["after"]["first_response_minutes"] == 60


def test_limits_out_of_order_are_refused_and_nothing_is_saved(world, login):
    company = world.companies["sz"]
    client = login(world.users["servicemgr"])
    answer = _sla_post(
        client,
        company,
        complaint__normal__first_response_minutes="30",  # fine alone …
        repair__normal__first_response_minutes="99999",  # … but this is after its solution
    )
    assert answer.status_code == 400
    assert 'data-testid="error-repair__normal__first_response_minutes"' in text(answer)
    assert not SlaPolicy.objects.filter(company=company).exists()


def test_the_desk_settings_and_who_may_open_them(world, login):
    company = world.companies["sz"]
    client = login(world.users["servicemgr"])
    agent = world.users["service"]
    answer = client.post(
        "/service/sla/desk/",
        {"company": company.pk, "desk-intake_user": agent.pk, "desk-revisit_working_days": "3"},
    )
    assert answer.status_code == 302
    row = ServiceSettings.objects.get(company=company)
    assert row.intake_user == agent and row.revisit_working_days == 3
    refused = client.post(
        "/service/sla/desk/",
        {"company": company.pk, "desk-intake_user": agent.pk, "desk-revisit_working_days": "0"},
    )
    assert refused.status_code == 400
    row.refresh_from_db()
    assert row.revisit_working_days == 3
    other = world.companies["zh"]
    assert client.get(f"/service/sla/?company={other.pk}").status_code == 404
    assert login(agent).get("/service/sla/").status_code == 403  # (one client, logged in anew)
    assert login(world.users["manager_zh"]).get("/service/sla/").status_code == 403


# --- group cases -------------------------------------------------------------------------------


def test_a_group_case_from_the_ticked_tickets(world, login, receive):
    first, second = receive(subject="业主甲：噪音"), receive(subject="业主乙：噪音")
    client = login(world.users["service"])
    answer = client.post(
        "/service/cases/new/", {"case-title": "夜间施工噪音", "tickets": [first.pk, second.pk]}
    )
    case = ServiceCase.objects.get(title="夜间施工噪音")
    assert answer.status_code == 302 and answer["Location"] == f"/service/cases/{case.pk}/"
    first.refresh_from_db()
    assert first.case == case and first.severity == "sensitive"
    page = text(client.get(answer["Location"]))
    assert str(first) in page and str(second) in page
    assert "夜间施工噪音" in text(client.get("/service/cases/"))
    nothing = client.post("/service/cases/new/", {"case-title": "空", "tickets": []})
    assert nothing.status_code == 302 and not ServiceCase.objects.filter(title="空").exists()
    assert login(world.users["manager_zh"]).get(answer["Location"]).status_code == 404
