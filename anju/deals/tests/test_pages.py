"""Deals pages: the queue, a subscription's price explained, launch day driven from a tablet."""

import pytest

from anju.deals.models import LaunchDay, QueueStatus, QueueTicket, Subscription, SubscriptionStatus
from anju.deals.services import launch_open, queue_number_issue
from anju.inventory.models import Unit, UnitStatus


def test_issue_a_number_from_the_customer_page_and_see_it_listed(world, login, buyer):
    client = login(world.users["consultant"])
    page = client.get(f"/deals/queue/new/{buyer.pk}/")
    assert page.status_code == 200
    done = client.post(
        f"/deals/queue/new/{buyer.pk}/",
        {
            "project": world.projects["binhai"].pk,
            "deposit_amount": "20000",
            "deposit_method": "wechat",
            "deposit_receipt_no": "SJ-9",
        },
    )
    ticket = QueueTicket.objects.get(customer=buyer)
    assert done.status_code == 302 and done["Location"] == f"/deals/queue/{ticket.pk}/"
    listed = client.get("/deals/queue/")
    assert listed.status_code == 200 and str(ticket).encode() in listed.content


def test_a_deposit_without_method_stays_on_the_form_with_the_error(world, login, buyer):
    client = login(world.users["consultant"])
    answer = client.post(
        f"/deals/queue/new/{buyer.pk}/",
        {
            "project": world.projects["binhai"].pk,
            "deposit_amount": "100",
        },
    )
    assert answer.status_code == 400 and "invalid-feedback" in answer.content.decode()
    assert not QueueTicket.objects.filter(customer=buyer).exists()


def test_the_queue_list_does_not_grow_with_its_rows(
    world, login, make_customer, django_assert_max_num_queries
):
    consultant = world.users["consultant"]
    client = login(consultant)
    for i in range(5):
        queue_number_issue(
            by=consultant, project=world.projects["binhai"], customer=make_customer(name=f"客{i}")
        )
    with django_assert_max_num_queries(16):
        assert client.get("/deals/queue/").status_code == 200


def test_choose_a_unit_then_set_terms_and_confirm(world, login, buyer, available_unit):
    consultant = world.users["consultant"]
    ticket = queue_number_issue(by=consultant, project=world.projects["binhai"], customer=buyer)
    client = login(consultant)
    unit = available_unit()
    held = client.post(f"/deals/queue/{ticket.pk}/choose/", {"unit": unit.pk})
    subscription = Subscription.objects.get(customer=buyer)
    assert held.status_code == 302
    page = client.get(f"/deals/subscriptions/{subscription.pk}/")
    assert page.status_code == 200 and 'data-testid="price-lines"' in page.content.decode()
    terms = client.post(
        f"/deals/subscriptions/{subscription.pk}/",
        {
            "payment_plan": "one_off",
            "discount_codes": ["one_off"],
            "special_discount": "0",
            "points": "0",
            "deposit": "50000",
        },
    )
    assert terms.status_code == 302, terms.content.decode()[:2000]
    subscription.refresh_from_db()
    assert subscription.final_price < subscription.list_price
    client.post(f"/deals/subscriptions/{subscription.pk}/confirm/")
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.SUBSCRIBED


def test_the_launch_calls_numbers_in_order_and_a_click_holds_the_unit(
    world, login, make_customer, available_unit
):
    consultant = world.users["consultant"]
    project = world.projects["binhai"]
    LaunchDay.objects.filter(project=project).delete()
    unit = available_unit()
    launch = launch_open(by=consultant, project=project, buildings=[unit.building])
    waiting = list(
        QueueTicket.objects.filter(project=project, status=QueueStatus.WAITING).order_by("number")
    )
    if not waiting:
        waiting = [
            queue_number_issue(by=consultant, project=project, customer=make_customer(name="甲"))
        ]
    client = login(consultant)
    client.post(f"/deals/launch/{launch.pk}/next/")
    screen = client.get(f"/deals/launch/{launch.pk}/")
    assert screen.status_code == 200 and str(waiting[0]) in screen.content.decode()
    launch.refresh_from_db()
    assert launch.current_id == waiting[0].pk
    chosen = client.post(f"/deals/launch/{launch.pk}/choose/", {"unit": unit.pk})
    assert chosen.status_code == 302
    subscription = Subscription.objects.get(unit=unit, status=SubscriptionStatus.DRAFT)
    assert subscription.queue_ticket_id == waiting[0].pk
    fragment = client.get(f"/deals/launch/{launch.pk}/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()


def test_a_skipped_number_chooses_again_only_once_recalled(
    world, login, make_customer, available_unit
):
    """QUE-1: a no-show's number is skipped; holding a unit with it says so (409
    ``ticket_skipped``), and once recalled it chooses."""
    consultant = world.users["consultant"]
    project = world.projects["binhai"]
    LaunchDay.objects.filter(project=project).delete()
    unit = available_unit()
    customer = make_customer(name="丙")
    ticket = queue_number_issue(by=consultant, project=project, customer=customer)
    QueueTicket.objects.filter(project=project, status=QueueStatus.WAITING).exclude(
        pk=ticket.pk
    ).update(status=QueueStatus.CANCELLED)  # the demo's earlier numbers are not ours
    launch = launch_open(by=consultant, project=project, buildings=[unit.building])
    client = login(consultant)
    client.post(f"/deals/launch/{launch.pk}/next/")
    client.post(f"/deals/launch/{launch.pk}/next/")  # he did not come: skipped
    ticket.refresh_from_db()
    assert ticket.status == QueueStatus.SKIPPED
    body = {"unit_id": unit.pk, "customer_id": customer.pk, "queue_ticket_id": ticket.pk}
    refused = client.post("/api/v1/subscriptions", body, content_type="application/json")
    assert refused.status_code == 409 and refused.json()["code"] == "ticket_skipped"
    assert "过号" in refused.json()["detail"]
    assert not Subscription.objects.filter(unit=unit).exists()
    client.post(f"/deals/launch/{launch.pk}/recall/", {"ticket": ticket.pk})
    chosen = client.post(f"/deals/launch/{launch.pk}/choose/", {"unit": unit.pk})
    assert chosen.status_code == 302
    assert Subscription.objects.get(unit=unit).queue_ticket_id == ticket.pk


def test_no_one_jumps_the_queue_while_the_launch_sells_the_building(
    world, login, make_customer, available_unit
):
    """QUE-1: while a launch sells a building, its units are held only by the number being
    called. A waiting number, or a hold without one, is refused (409 ``on_launch``) with
    nothing held and the number not consumed; a unit of another building, or of the
    building once the launch closed, is held as usual."""
    consultant = world.users["consultant"]
    project = world.projects["binhai"]
    LaunchDay.objects.filter(project=project).delete()
    unit = available_unit()
    other_building = (
        Unit.objects.filter(project=project, status=UnitStatus.AVAILABLE)
        .exclude(building=unit.building)
        .select_related("building")
        .first()
    )
    waiting_customer = make_customer(name="丁")
    waiting = queue_number_issue(by=consultant, project=project, customer=waiting_customer)
    launch = launch_open(by=consultant, project=project, buildings=[unit.building])
    client = login(consultant)

    def hold(unit, **extra):
        body = {"unit_id": unit.pk, "customer_id": waiting_customer.pk, **extra}
        return client.post("/api/v1/subscriptions", body, content_type="application/json")

    for jumping in (hold(unit, queue_ticket_id=waiting.pk), hold(unit)):
        assert jumping.status_code == 409 and jumping.json()["code"] == "on_launch"
        assert (
            "首期开盘" not in jumping.json()["detail"] and launch.name in jumping.json()["detail"]
        )
    assert not Subscription.objects.filter(unit=unit).exists()
    assert QueueTicket.objects.get(pk=waiting.pk).status == QueueStatus.WAITING
    choose = f"/deals/queue/{waiting.pk}/choose/"
    listed = client.get(choose).content.decode()
    assert f'value="{unit.pk}"' not in listed and f'value="{other_building.pk}"' in listed
    assert 'data-testid="launch-note"' in listed and f"{unit.building.name}正在" in listed
    page = client.post(choose, {"unit": unit.pk})
    assert page.status_code == 409 and launch.name in page.content.decode()
    assert not Subscription.objects.filter(unit=unit).exists()

    elsewhere = hold(other_building)
    assert elsewhere.status_code == 201, elsewhere.content

    for _earlier in range(500):  # the demo's numbers before his are called (and skipped)
        client.post(f"/deals/launch/{launch.pk}/next/")
        launch.refresh_from_db()
        if launch.current_id in (waiting.pk, None):
            break
    assert launch.current_id == waiting.pk
    listed = client.get(choose).content.decode()  # his turn: the tablet may choose for him
    assert f'value="{unit.pk}"' in listed and 'data-testid="launch-note"' not in listed
    assert client.post(choose, {"unit": unit.pk}).status_code == 302
    assert Subscription.objects.get(unit=unit).queue_ticket_id == waiting.pk

    client.post(f"/deals/launch/{launch.pk}/close/")
    after = available_unit(skip=0)  # the launch's building, for sale as usual again
    assert after.building_id == unit.building_id and hold(after).status_code == 201


@pytest.mark.parametrize("who", ["service", "engineer"])
def test_people_who_do_not_sell_cannot_issue_numbers(world, login, buyer, who):
    answer = login(world.users[who]).get(f"/deals/queue/new/{buyer.pk}/")
    assert answer.status_code in (403, 404)


def test_the_board_shows_each_units_deal_with_the_buyer_masked(world, login, held):
    held.customer.name = "欧阳娜娜"
    held.customer.save(update_fields=["name"])
    page = login(world.users["manager"]).get(f"/inventory/buildings/{held.unit.building_id}/board/")
    html = page.content.decode()
    assert page.status_code == 200 and "欧阳娜娜" not in html and "欧*" in html
    panel = login(world.users["consultant"]).get(
        f"/inventory/units/{held.unit_id}/", HTTP_HX_REQUEST="true"
    )
    assert f"/deals/subscriptions/{held.pk}/" in panel.content.decode()  # his own deal
    other = login(world.users["consultant_zh"]).get(f"/inventory/units/{held.unit_id}/")
    assert other.status_code == 404  # another company's board


def test_the_customer_page_lists_his_deals_with_the_price_lines(world, login, held):
    page = login(world.users["consultant"]).get(f"/customers/{held.customer_id}/")
    html = page.content.decode()
    assert 'data-testid="deals-panel"' in html and str(held) in html
    assert f"/deals/queue/new/{held.customer_id}/" in html


def test_the_subscription_export_follows_the_page_filters(world, login, held):
    client = login(world.users["manager"])
    answer = client.get(f"/deals/export/subscriptions.csv?status=draft&project={held.project_id}")
    assert answer.status_code == 200
    body = b"".join(answer.streaming_content).decode("utf-8-sig")
    assert str(held) in body and held.customer.code in body
    bad = client.get("/deals/export/subscriptions.csv?date_from=2026-02-01&date_to=2026-01-01")
    assert bad.status_code == 400


@pytest.mark.parametrize("path", ["/deals/queue/", "/deals/subscriptions/"])
def test_the_consultant_filter_offers_the_sales_people_only(world, login, path):
    """Found walking the sales manager's day: 置业顾问 listed every colleague, engineers and
    stewards included, who never hold a queue number or a deal."""
    page = login(world.users["manager"]).get(path)
    field = page.context["form"].fields["consultant"]
    offered = {user.pk for user in field.queryset}
    u = world.users
    assert {u["consultant"].pk, u["consultant2"].pk, u["manager"].pk} <= offered
    assert not {u["engineer"].pk, u["steward"].pk, u["service"].pk} & offered
