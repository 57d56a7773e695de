"""Club pages after the review of issue 11 (MEM-1 … MEM-3): the approvals lists without a
query per tier request, the member page's buttons and messages, the family choice, the gift
form's scope, the catalogue's restock, the settings page keeping what was typed."""

import pytest
from django.urls import reverse
from django.utils import timezone

from anju.membership import selectors, services
from anju.membership.models import Gift, Membership, Tier

pytestmark = pytest.mark.django_db


def _tier(customer, code):
    return Tier.objects.get(holding=customer.company.holding, code=code)


# --- item 9: the approvals lists read no member per request ------------------------------------


def test_approval_lists_do_not_query_per_tier_request(
    world, login, member, django_assert_max_num_queries
):
    agent, manager = world.users["service"], world.users["servicemgr"]

    def ask(n):
        for _ in range(n):
            customer = member()
            services.tier_change_request(
                by=agent, customer=customer, tier=_tier(customer, "gold"), reason="活跃"
            )

    ask(2)
    pages = [
        (manager, reverse("approvals:queue")),
        (manager, "/api/v1/approvals/pending?page_size=50"),
        (agent, reverse("approvals:mine")),
        (agent, "/api/v1/approvals/mine?page_size=50"),
    ]
    before = {}
    for user, url in pages:
        client = login(user)
        client.get(url)  # the session's first use is recorded once
        with django_assert_max_num_queries(40) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        before[url] = len(ctx.captured_queries)
    ask(5)
    for user, url in pages:
        client = login(user)
        with django_assert_max_num_queries(40) as ctx:
            response = client.get(url)
        assert len(ctx.captured_queries) == before[url], url
    api = login(manager).get("/api/v1/approvals/pending?page_size=50").json()["items"]
    mine = [row for row in api if row["kind"] == services.APPROVAL_KIND]
    assert len(mine) >= 7 and all(row["target_url"].startswith("/club/customers/") for row in mine)


# --- item 5: the ledger's buttons -----------------------------------------------------------


def test_a_redemption_row_offers_return_not_reverse(world, login, member, credit, staff):
    customer = member()
    bought = credit(customer, 500)
    gift = services.gift_create(
        by=staff, company=customer.company, name="页面台灯", points_cost=100, stock=2
    )
    redemption = services.points_redeem_gift(by=staff, customer=customer, gift=gift)
    offset = services.points_redeem_offset(
        by=staff, customer=customer, points=50, reference="sub:3"
    )
    client = login(world.users["servicemgr"])
    page = client.get(reverse("membership:member", args=[customer.pk])).content.decode()
    assert f'data-testid="return-gift-{redemption.pk}"' in page
    assert f'data-testid="reverse-{redemption.entry_id}"' not in page
    assert f'data-testid="reverse-{offset.pk}"' not in page
    assert f'data-testid="reverse-{bought.pk}"' in page
    response = client.post(
        reverse("membership:redemption_return", args=[redemption.pk]), {"reason": "质量问题"}
    )
    assert response.status_code == 302
    gift.refresh_from_db()
    assert gift.stock == 2 and selectors.points_balance(customer) == 450
    page = client.get(reverse("membership:member", args=[customer.pk])).content.decode()
    assert f'data-testid="returned-{redemption.pk}"' in page


# --- item 13: a used offset reference says so ---------------------------------------------------


def test_an_offset_again_says_it_was_already_used(world, login, member, credit):
    customer = member()
    credit(customer, 1000)
    client = login(world.users["service"])
    url = reverse("membership:redeem_offset", args=[customer.pk])
    client.post(url, {"points": 100, "reference": "sub:5"})
    again = client.post(url, {"points": 100, "reference": "sub:5"}, follow=True)
    today = f"{timezone.localdate():%Y-%m-%d}"
    assert f"该单号已使用过：{today} 抵扣 100 积分。" in again.content.decode()  # already used
    other = client.post(url, {"points": 200, "reference": "sub:5"})
    assert other.status_code == 400
    assert selectors.points_balance(customer) == 900
    api = f"/api/v1/membership/customers/{customer.pk}/offsets"
    replay = client.post(
        api, {"points": 100, "reference": "sub:5"}, content_type="application/json"
    )
    assert replay.status_code == 200
    refused = client.post(
        api, {"points": 300, "reference": "sub:5"}, content_type="application/json"
    )
    assert refused.status_code == 409 and refused.json()["code"] == "reference_used"


# --- item 15: a family member is chosen from the customer's family ------------------------------


def test_a_family_member_joins_through_a_relative_chosen_from_a_list(
    world, login, member, make_customer
):
    from anju.customers.services import relation_add

    owner = member(name="业主甲")
    stranger = member(name="路人乙")
    spouse = make_customer(name="配偶丙")
    relation_add(by=world.users["consultant"], customer=spouse, related=owner, kind="spouse")
    client = login(world.users["service"])
    page = client.get(reverse("membership:member", args=[spouse.pk])).content.decode()
    assert f'<option value="{owner.pk}">' in page
    assert f'<option value="{stranger.pk}">' not in page
    join = reverse("membership:join", args=[spouse.pk])
    refused = client.post(join, {"member_type": "family", "family_of": stranger.pk})
    assert refused.status_code == 400
    assert not Membership.objects.unscoped("t").filter(customer=spouse).exists()
    joined = client.post(join, {"member_type": "family", "family_of": owner.pk})
    assert joined.status_code == 302
    membership = Membership.objects.unscoped("t").get(customer=spouse)
    assert (membership.member_type, membership.family_of_id) == ("family", owner.pk)


# --- item 19: the gift form shows the catalogue the user sees ----------------------------------


def test_the_gift_choices_are_the_users_catalogue(world, staff):
    sz = world.companies["sz"]
    services.gift_create(by=staff, company=sz, name="深圳专享", points_cost=10, stock=1)
    seen = selectors.gifts_offered(world.users["service"], sz.pk)
    assert seen.filter(name="深圳专享").exists()
    outsider = world.users["consultant_zh"]  # 珠海: does not see 深圳's catalogue
    assert not selectors.gifts_offered(outsider, sz.pk).exists()
    assert Gift.objects.unscoped("t").filter(company=sz, name="深圳专享").exists()


# --- item 4: the catalogue page restocks by a delta ---------------------------------------------


def test_the_catalogue_form_does_not_overwrite_the_stock(world, login, member, credit, staff):
    customer = member()
    credit(customer, 500)
    gift = services.gift_create(
        by=staff, company=customer.company, name="页面水杯", points_cost=100, stock=10
    )
    client = login(world.users["servicemgr"])
    page = client.get("/club/gifts/").content.decode()
    assert f'data-testid="restock-{gift.pk}"' in page
    services.points_redeem_gift(by=staff, customer=customer, gift=gift, quantity=3)
    client.post(  # the row as loaded before the redemption, with a new price
        reverse("membership:gift_edit", args=[gift.pk]),
        {"name": gift.name, "description": "", "points_cost": 90, "restock": "", "is_active": "on"},
    )
    gift.refresh_from_db()
    assert (gift.stock, gift.points_cost) == (7, 90)


# --- item 24: the settings page keeps the input after a refusal --------------------------------


def test_a_refused_settings_change_keeps_what_was_typed(world, login, member):
    member()  # the group's club exists
    holding = world.companies["sz"].holding
    tiers = list(Tier.objects.filter(holding=holding).order_by("rank"))
    data = {"what": "tiers"}
    for tier in tiers:
        data[f"t{tier.pk}-name"] = "重名卡" if tier.rank in (1, 2) else tier.name
        data[f"t{tier.pk}-rank"] = tier.rank
        data[f"t{tier.pk}-discount_rate"] = "0.0300" if tier.rank == 2 else tier.discount_rate
    response = login(world.users["group"]).post(reverse("membership:settings"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert html.count('value="重名卡"') == 2 and 'value="0.0300"' in html
    assert Tier.objects.filter(holding=holding, name="重名卡").count() == 0
