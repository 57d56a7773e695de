"""Club pages: the member list (filters, constant queries), the member page and its forms,
one-click joining on the visit page, configuration and the gift catalogue."""

import pytest
from django.urls import reverse

from anju.membership import selectors, services
from anju.membership.models import Gift, Membership, PointsEntry, Tier

pytestmark = pytest.mark.django_db


def _member_url(customer):
    return reverse("membership:member", args=[customer.pk])


def test_member_list_filters_and_masks(world, login, member, staff):
    gold = member(name="金卡测试")
    services.tier_apply_rule(by=staff, customer=gold, trigger="second_purchase", reference="c:1")
    client = login(staff)
    page = client.get("/club/?tier=gold").content.decode()
    assert "金卡测试" in page and gold.phone not in page and gold.phone[-4:] in page
    assert "蓝卡" not in page.split("members-table")[1].split("</table>")[0]
    unknown = client.get("/club/?tier=diamond")
    assert (
        unknown.status_code == 200
        and "Unknown tier" in unknown.content.decode()
        or "未知" in unknown.content.decode()
    )
    assert "金卡测试" not in unknown.content.decode()
    by_type = client.get("/club/?member_type=employee").content.decode()
    assert "金卡测试" not in by_type


def test_member_list_queries_do_not_grow_with_rows(
    world, login, member, credit, staff, django_assert_max_num_queries
):
    client = login(staff)
    with django_assert_max_num_queries(20) as before:
        assert client.get("/club/").status_code == 200
    for n in range(5):
        credit(member(name=f"列表{n}"), 100 + n)
    with django_assert_max_num_queries(len(before.captured_queries)):
        assert client.get("/club/").status_code == 200


def test_a_consultant_sees_only_his_customers_members(world, login, member):
    mine = member(name="我的会员")  # made by 李娜 (consultant)
    other = member(name="别人会员", by="consultant2", project="yunjing")
    page = login(world.users["consultant"]).get("/club/").content.decode()
    assert "我的会员" in page and "别人会员" not in page
    assert login(world.users["consultant"]).get(_member_url(other)).status_code == 404
    assert login(world.users["consultant"]).get(_member_url(mine)).status_code == 200


def test_member_page_shows_balance_ledger_and_history(world, login, member, credit, staff):
    customer = member(name="页面会员")
    for n in range(30):
        credit(customer, 10, reference=f"p{n}")
    client = login(staff)
    response = client.get(_member_url(customer))
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="balance">300<' in html
    assert html.count('data-reason="purchase"') == 25  # one page of the ledger
    assert "?page=2" in html and customer.phone not in html
    assert (
        client.get(_member_url(customer) + "?page=2")
        .content.decode()
        .count('data-reason="purchase"')
        == 5
    )
    assert "tier-history" in html and "蓝卡" in html


def test_redeeming_above_the_balance_shows_a_message_and_writes_nothing(
    world, login, member, credit, staff
):
    customer = member()
    credit(customer, 50)
    gift = services.gift_create(
        by=staff, company=customer.company, name="页面伞", points_cost=300, stock=3
    )
    client = login(staff)
    response = client.post(
        reverse("membership:redeem_gift", args=[customer.pk]), {"gift": gift.pk, "quantity": 1}
    )
    assert response.status_code == 400
    assert "300" in response.content.decode() and selectors.points_balance(customer) == 50
    response = client.post(
        reverse("membership:redeem_offset", args=[customer.pk]), {"points": 60, "reference": "s:1"}
    )
    assert response.status_code == 400 and selectors.points_balance(customer) == 50
    gift.refresh_from_db()
    assert gift.stock == 3


def test_redeeming_from_the_page(world, login, member, credit, staff):
    customer = member()
    credit(customer, 500)
    gift = services.gift_create(
        by=staff, company=customer.company, name="页面绘本", points_cost=200, stock=3
    )
    client = login(world.users["consultant"])  # the club desk at the sales office
    response = client.post(
        reverse("membership:redeem_gift", args=[customer.pk]), {"gift": gift.pk, "quantity": 2}
    )
    assert response.status_code == 302
    assert selectors.points_balance(customer) == 100


def test_joining_twice_from_the_page_says_so(world, login, make_customer, staff):
    customer = make_customer()
    client = login(staff)
    url = reverse("membership:join", args=[customer.pk])
    assert client.post(url, {"member_type": "customer"}).status_code == 302
    again = client.post(url, {"member_type": "customer"})
    assert (
        again.status_code == 400
        and Membership.objects.unscoped("t").filter(customer=customer).count() == 1
    )


def test_one_click_join_on_the_visit_page(world, login, make_customer):
    from django.utils import timezone

    from anju.reception.services import visit_register

    consultant = world.users["consultant"]
    customer = make_customer(name="来访入会")
    visit = visit_register(
        by=consultant,
        project=world.projects["binhai"],
        arrived_at=timezone.now(),
        customer=customer,
    ).visit
    client = login(consultant)
    page = client.get(reverse("reception:visit_detail", args=[visit.pk])).content.decode()
    assert 'data-testid="join-club"' in page
    response = client.post(reverse("membership:visit_join", args=[visit.pk]))
    assert response.status_code == 302
    membership = Membership.objects.unscoped("t").get(customer=customer)
    assert membership.via_visit == visit and membership.tier.code == "blue"
    page = client.get(reverse("reception:visit_detail", args=[visit.pk])).content.decode()
    assert 'data-testid="join-club"' not in page and "蓝卡" in page


def test_the_visit_page_has_no_club_button_for_who_may_not_enrol(world, login):
    from anju.reception.models import Visit

    visit = Visit.objects.unscoped("t").filter(project=world.projects["binhai"]).first()
    page = login(world.users["engineer"]).get(reverse("reception:visit_detail", args=[visit.pk]))
    assert page.status_code in (200, 404)
    assert b'data-testid="join-club"' not in page.content


def test_manual_adjustment_needs_a_club_manager(world, login, member):
    customer = member()
    url = reverse("membership:adjust", args=[customer.pk])
    assert login(world.users["consultant"]).post(url, {"points": 5, "note": "x"}).status_code == 403
    assert (
        login(world.users["servicemgr"]).post(url, {"points": 5, "note": "补录"}).status_code == 302
    )
    assert selectors.points_balance(customer) == 5


def test_reverse_from_the_page(world, login, member, credit):
    customer = member()
    entry = credit(customer, 80)
    client = login(world.users["servicemgr"])
    client.post(reverse("membership:entry_reverse", args=[entry.pk]), {"reason": "录错"})
    assert PointsEntry.objects.unscoped("t").filter(reverses=entry).exists()
    assert selectors.points_balance(customer) == 0


def test_tier_request_from_the_page(world, login, member):
    customer = member()
    gold = Tier.objects.get(holding=customer.company.holding, code="gold")
    client = login(world.users["service"])
    assert (
        client.post(
            reverse("membership:tier_request", args=[customer.pk]),
            {"tier": gold.pk, "reason": "贡献大"},
        ).status_code
        == 302
    )
    page = client.get(_member_url(customer)).content.decode()
    assert 'data-testid="pending-request"' in page


def test_settings_page_saves_tiers_rules_and_points(world, login, staff, member):
    customer = member()
    holding = customer.company.holding
    tiers = {t.code: t for t in Tier.objects.filter(holding=holding)}
    client = login(staff)
    assert client.get("/club/settings/").status_code == 200
    data = {"what": "tiers"}
    for t in tiers.values():
        data[f"t{t.pk}-name"] = t.name if t.code != "gold" else "黑金卡"
        data[f"t{t.pk}-rank"] = t.rank
        data[f"t{t.pk}-discount_rate"] = "0.0300" if t.code == "gold" else t.discount_rate
    assert client.post("/club/settings/", data).status_code == 302
    gold = Tier.objects.get(pk=tiers["gold"].pk)
    assert (gold.name, str(gold.discount_rate)) == ("黑金卡", "0.0300")
    response = client.post(
        "/club/settings/",
        {
            "what": "settings",
            "referral_visit_points": 500,
            "points_expire": "on",
            "expiry_years": 1,
            "points_per_yuan": 20,
        },
    )
    assert response.status_code == 302
    assert services.settings_of(holding).referral_visit_points == 500
    bad = client.post(
        "/club/settings/",
        {"what": "settings", "referral_visit_points": -1, "expiry_years": 99, "points_per_yuan": 0},
    )
    assert bad.status_code == 400


def test_settings_changes_need_a_group_wide_manager(world, login):
    client = login(world.users["servicemgr"])
    assert client.get("/club/settings/").status_code == 200  # reads them
    response = client.post(
        "/club/settings/",
        {"what": "settings", "referral_visit_points": 1, "expiry_years": 1, "points_per_yuan": 1},
    )
    assert response.status_code == 403
    assert login(world.users["consultant"]).get("/club/settings/").status_code == 403


def test_gift_catalogue_add_and_restock(world, login):
    client = login(world.users["servicemgr"])
    sz = world.companies["sz"]
    response = client.post(
        "/club/gifts/new/",
        {"company": sz.pk, "name": "新礼品", "description": "", "points_cost": 120, "stock": 4},
    )
    assert response.status_code == 302
    gift = Gift.objects.unscoped("t").get(company=sz, name="新礼品")
    client.post(
        reverse("membership:gift_edit", args=[gift.pk]),
        {"name": gift.name, "points_cost": 120, "restock": 5, "is_active": "on"},
    )
    gift.refresh_from_db()
    assert gift.stock == 9  # 4 + 5 received
    negative = client.post(
        reverse("membership:gift_edit", args=[gift.pk]),
        {"name": gift.name, "points_cost": 120, "restock": -10},
    )
    gift.refresh_from_db()
    assert negative.status_code == 302 and gift.stock == 9  # cannot write off more than held
    page = client.get("/club/gifts/").content.decode()
    assert "新礼品" in page
    assert (
        login(world.users["consultant"]).post("/club/gifts/new/", {"company": sz.pk}).status_code
        == 403
    )
