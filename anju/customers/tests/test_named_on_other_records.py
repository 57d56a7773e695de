"""A customer named on another app's record — a queue number, a deal, a service ticket, a
message — that the viewer handles while the customer's file is not his to open (another
project's customer): the name is masked, the code and the link to the file left out. The
record stays his to work on. The same rule opportunities and visits follow (ORG-2, issue 9
items 3 and 4); the service ticket API already masked the name this way."""

from decimal import Decimal

import pytest

from anju.core.masking import mask_name
from anju.customers.models import Customer
from anju.customers.services import customer_register

pytestmark = pytest.mark.django_db

NAME = "欧阳晓峰"


def register(world, *, by, project, phone):
    return customer_register(
        by=world.users[by],
        company=world.companies["sz"],
        project=world.projects[project],
        name=NAME,
        phone=phone,
    ).customer


def exported(response):
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content).decode("utf-8-sig")


def assert_masked(text, customer, where):
    assert mask_name(NAME) in text, f"{where} does not show the masked name"
    for secret in (NAME, customer.code, customer.phone, f"/customers/{customer.pk}/"):
        assert secret not in text, f"{where} shows {secret!r}"


def test_a_queue_number_on_one_project_masks_another_project_s_customer(
    world, login, yunjing_manager
):
    from anju.deals.services import queue_number_issue

    customer = register(world, by="consultant", project="binhai", phone="13912348765")
    ticket = queue_number_issue(  # company management sells on both projects
        by=world.users["management"],
        project=world.projects["yunjing"],
        customer=customer,
        deposit_amount=Decimal("0"),
    )
    assert not Customer.objects.visible_to(yunjing_manager).filter(pk=customer.pk).exists()
    client = login(yunjing_manager)
    for url in ("/deals/queue/", f"/deals/queue/{ticket.pk}/"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert str(ticket) in page.content.decode(), url  # the number is his to call
        assert_masked(page.content.decode(), customer, url)
    # he cannot sell to a customer he may not open: no "choose a unit", and its page masks him
    detail = client.get(f"/deals/queue/{ticket.pk}/").content.decode()
    assert f"/deals/queue/{ticket.pk}/choose/" not in detail
    assert_masked(
        client.get(f"/deals/queue/{ticket.pk}/choose/").content.decode(), customer, "选房"
    )
    # the export too, though a sales manager may unmask personal data on his project
    answer = client.get("/api/v1/queue-numbers").json()["items"]
    assert [(t["customer_id"], t["customer_name"]) for t in answer if t["id"] == ticket.pk] == [
        (None, mask_name(NAME))
    ]
    export = exported(client.get("/deals/export/queue.csv"))
    assert f",{ticket.number},{mask_name(NAME)},," in export  # the number, no code
    assert_masked(export, customer, "the export")
    # management sees the customer: named, with his code and a link; in full in the export
    management = login(world.users["management"])
    page = management.get(f"/deals/queue/{ticket.pk}/").content.decode()
    assert NAME in page and customer.code in page and f"/customers/{customer.pk}/" in page
    assert f"/deals/queue/{ticket.pk}/choose/" in page
    export = exported(management.get("/deals/export/queue.csv"))
    assert NAME in export and customer.code in export
    answer = management.get("/api/v1/queue-numbers").json()["items"]
    assert [t["customer_id"] for t in answer if t["id"] == ticket.pk] == [customer.pk]


def test_a_service_ticket_masks_a_customer_its_engineer_may_not_open(world, login):
    from anju.service.services import ticket_receive

    customer = register(world, by="consultant2", project="yunjing", phone="13912348766")
    ticket = ticket_receive(  # the service agent sees the whole company
        by=world.users["service"],
        project=world.projects["binhai"],
        ticket_type="repair",
        channel="hotline",
        subject="厨房漏水",
        description="橱柜下方渗水",
        customer=customer,
    )
    engineer = world.users["engineer"]  # 滨海花园 only
    assert not Customer.objects.visible_to(engineer).filter(pk=customer.pk).exists()
    client = login(engineer)
    for url in ("/service/tickets/", f"/service/tickets/{ticket.pk}/"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert "厨房漏水" in page.content.decode(), url
        assert_masked(page.content.decode(), customer, url)
    answer = client.get(f"/api/v1/service/tickets/{ticket.pk}").json()
    assert answer["customer_id"] is None and answer["customer_name"] == mask_name(NAME)
    # nor can a filter tie the masked row to that customer
    assert client.get(f"/api/v1/service/tickets?customer_id={customer.pk}").json()["items"] == []
    listed = client.get("/api/v1/service/tickets").json()["items"]
    assert ticket.pk in [t["id"] for t in listed]
    service = login(world.users["service"])
    page = service.get(f"/service/tickets/{ticket.pk}/").content.decode()
    assert NAME in page and f"/customers/{customer.pk}/" in page
    assert service.get(f"/api/v1/service/tickets/{ticket.pk}").json()["customer_id"] == customer.pk
    mine = service.get(f"/api/v1/service/tickets?customer_id={customer.pk}").json()["items"]
    assert [t["id"] for t in mine] == [ticket.pk]
    # 滨海花园's sales manager may unmask personal data there: not this customer's (云境)
    export = exported(login(world.users["manager"]).get("/service/tickets/export.csv"))
    assert "厨房漏水" in export
    assert_masked(export, customer, "the ticket export")


def test_a_message_on_one_project_masks_another_project_s_customer(world, login, yunjing_manager):
    from anju.messaging.services import message_enqueue

    customer = register(world, by="consultant", project="binhai", phone="13912348767")
    message = message_enqueue(  # e.g. the reminder of a visit booked on 云境
        by=None,
        company=world.companies["sz"],
        channel="sms",
        kind="service",
        to=customer.phone,
        body=f"{NAME}您好，明天上午十点欢迎莅临云境售楼处。",
        idempotency_key="test-named-elsewhere",
        customer=customer,
        project=world.projects["yunjing"],
    )
    client = login(yunjing_manager)
    for url in ("/messaging/outbox/", f"/messaging/messages/{message.pk}/"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert "云境售楼处" in page.content.decode() or url.endswith("/outbox/"), url
        assert_masked(page.content.decode(), customer, url)
    answer = client.get(f"/api/v1/messages/{message.pk}").json()
    assert answer["id"] == message.pk and answer["customer_id"] is None
    assert f"{mask_name(NAME)}您好" in answer["text"] and NAME not in answer["text"]
    # who may open the customer's file reads the message as it was sent
    answer = login(world.users["management"]).get(f"/api/v1/messages/{message.pk}").json()
    assert f"{NAME}您好" in answer["text"] and answer["customer_id"] == customer.pk


# --- messages about another record: a number already on file, a merge ------------------------


def test_a_number_on_file_for_a_customer_you_may_not_open_is_refused_without_naming_him(
    world, login, make_customer
):
    lis = make_customer(name="李娜的客户")  # 滨海花园, 李娜's
    mine = make_customer(name="云境的客户", project="yunjing", by="consultant2")
    client = login(world.users["consultant2"])
    page = client.post(f"/customers/{mine.pk}/phones/", {"phone": lis.phone}, follow=True)
    text = page.content.decode()
    assert "您无权查看" in text or "may not open" in text  # refused, with the reason
    assert lis.code not in text and "李娜的客户" not in text
    assert not mine.phones.filter(phone=lis.phone).exists()
    # 李娜 may open both of hers: she is told which customer holds it
    other = make_customer(name="李娜的另一位客户")
    text = login(world.users["consultant"]).post(
        f"/customers/{other.pk}/phones/", {"phone": lis.phone}, follow=True
    )
    assert lis.code in text.content.decode()


def test_a_merged_record_does_not_name_the_colleague_s_customer_it_went_into(
    world, login, make_customer, colleague
):
    from anju.customers.services import customer_merge

    kept = make_customer(name="李娜的客户")  # 李娜's
    duplicate = make_customer(name="重复的客户", by="consultant2")  # the colleague's
    customer_merge(by=world.users["manager"], keep=kept, duplicate=duplicate, reason="同一人")
    client = login(colleague)
    page = client.get(f"/customers/{duplicate.pk}/", follow=True)
    assert page.status_code == 200
    assert kept.code not in page.content.decode()
    timeline = client.get(f"/api/v1/customers/{duplicate.pk}/timeline")
    assert timeline.status_code == 200
    assert kept.code not in timeline.content.decode()
    # who may open both sees the code on either timeline
    manager = login(world.users["manager"])
    timeline = manager.get(f"/api/v1/customers/{duplicate.pk}/timeline").content.decode()
    assert kept.code in timeline
