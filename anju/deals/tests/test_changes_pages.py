"""Sales-change pages (SUB-5): ask with a form per kind (htmx swaps the fields), the list
with its filters, one change; the approvals queue shows and links it."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from anju.deals.models import ChangeKind, ChangeStatus, SalesChange
from anju.deals.services import payment_record
from anju.deals.services.changes import sales_change_request

from .changes_helpers import approval_of, approve, nothing_asked, subscribe


@pytest.fixture
def deal(held, consultant):
    return subscribe(held, consultant)


def _ask_url(deal):
    return reverse("deals:change_request", args=[deal.pk])


def _ask(consultant, deal, kind=ChangeKind.PRICE_ADJUSTMENT, **details):
    details = details or {"final_price": "1000000"}
    return sales_change_request(
        by=consultant, subscription=deal, kind=kind, reason="客户申请", **details
    )


def test_the_form_offers_the_available_units_and_sends_a_unit_change(
    login, consultant, deal, available_unit
):
    client = login(consultant)
    page = client.get(_ask_url(deal))
    assert page.status_code == 200
    target = available_unit()
    html = page.content.decode()
    assert f'value="{target.pk}"' in html and 'data-kind="change_unit"' in html
    assert f'value="{deal.unit_id}"' not in html.split('data-testid="change-fields"')[1]
    response = client.post(
        _ask_url(deal), {"kind": "change_unit", "unit": target.pk, "reason": "换到高层"}
    )
    change = SalesChange.objects.get(subscription=deal)
    assert response.status_code == 302
    assert response["Location"] == reverse("deals:change_detail", args=[change.pk])
    assert change.kind == ChangeKind.CHANGE_UNIT and change.payload["to_unit_id"] == target.pk


def test_choosing_a_kind_swaps_the_fields_with_htmx(login, consultant, deal):
    client = login(consultant)
    for kind, field in [
        ("rename", 'name="customer"'),
        ("price_adjustment", 'name="final_price"'),
        ("cancellation", 'name="refund_amount"'),
        ("remove_co_buyer", 'name="customer"'),
    ]:
        response = client.get(_ask_url(deal), {"kind": kind}, HTTP_HX_REQUEST="true")
        html = response.content.decode()
        assert response.status_code == 200 and "<html" not in html
        assert f'data-kind="{kind}"' in html and field in html


def test_a_refused_change_is_shown_on_its_field_and_nothing_is_asked(
    login, consultant, deal, world
):
    payment_record(by=world.users["manager"], subscription=deal, amount="1000", method="cash")
    response = login(consultant).post(
        _ask_url(deal),
        {
            "kind": "cancellation",
            "refund_amount": "2000",
            "refund_method": "cash",
            "reason": "退房",
        },
    )
    assert response.status_code == 400
    assert 'data-testid="error-refund_amount"' in response.content.decode()
    nothing_asked(deal)


def test_a_missing_reason_or_a_bad_price_are_form_errors(login, consultant, deal):
    client = login(consultant)
    response = client.post(_ask_url(deal), {"kind": "price_adjustment", "final_price": "abc"})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="error-reason"' in html and 'data-testid="error-final_price"' in html
    nothing_asked(deal)


def test_a_pending_change_is_shown_instead_of_the_form(login, consultant, deal):
    change = _ask(consultant, deal)
    html = login(consultant).get(_ask_url(deal)).content.decode()
    assert 'data-testid="pending-change"' in html
    assert reverse("deals:change_detail", args=[change.pk]) in html
    assert 'data-testid="change-form"' not in html


def test_a_draft_cannot_be_changed(login, consultant, held):
    html = login(consultant).get(_ask_url(held)).content.decode()
    assert 'data-testid="not-changeable"' in html


def test_the_form_is_for_the_sales_team_only(login, deal, world):
    assert login(world.users["service"]).get(_ask_url(deal)).status_code == 403
    assert login(world.users["consultant_zh"]).get(_ask_url(deal)).status_code == 404
    response = login(world.users["service"]).post(
        _ask_url(deal), {"kind": "cancellation", "refund_amount": "0", "reason": "x"}
    )
    assert response.status_code == 403
    nothing_asked(deal)


def test_the_list_filters_by_kind_and_status_in_constant_queries(
    login, consultant, deal, world, available_unit, make_customer
):
    from anju.deals.services import subscription_hold

    url = reverse("deals:change_list")

    def rows(user="manager", **params):  # the demo's changes are listed too: count beyond
        return login(world.users[user]).get(url, params).content.decode().count("data-change=")

    demo = {
        "all": rows(),
        "pending": rows(status="pending"),
        "price": rows(kind="price_adjustment"),
        "zh": rows("manager_zh"),
    }
    manager = login(world.users["manager"])
    first = _ask(consultant, deal)
    approve(world, first)
    with CaptureQueriesContext(connection) as one:
        assert manager.get(url).status_code == 200
    for n in range(3):
        other = subscribe(
            subscription_hold(
                by=consultant, unit=available_unit(), customer=make_customer(name=f"买家{n}")
            ),
            consultant,
        )
        _ask(consultant, other, ChangeKind.CANCELLATION, refund_amount="0")
    with CaptureQueriesContext(connection) as four:
        response = manager.get(url)
    assert len(four) == len(one)
    assert response.content.decode().count("data-change=") == demo["all"] + 4
    assert rows(status="pending") == demo["pending"] + 3
    price = manager.get(url, {"kind": "price_adjustment"}).content.decode()
    assert price.count("data-change=") == demo["price"] + 1 and f'data-change="{first.pk}"' in price
    bad = manager.get(url, {"kind": "nonsense"})
    assert bad.status_code == 200 and bad.content.decode().count("data-change=") == 0
    assert rows("manager_zh") == demo["zh"]  # a colleague of another company: none of them


def test_the_detail_shows_what_changes_and_the_approval(login, consultant, deal, world):
    change = _ask(consultant, deal)
    page = login(consultant).get(reverse("deals:change_detail", args=[change.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "1,000,000" in html and 'data-testid="new-lines"' in html
    assert reverse("approvals:detail", args=[approval_of(change).pk]) in html
    approve(world, change)
    html = login(consultant).get(reverse("deals:change_detail", args=[change.pk])).content
    assert b'data-testid="old-lines"' in html and b'data-status="applied"' in html
    assert (
        login(world.users["consultant_zh"])
        .get(reverse("deals:change_detail", args=[change.pk]))
        .status_code
        == 404
    )


def test_the_approval_queue_shows_the_change_and_links_to_it(login, consultant, deal, world):
    change = _ask(consultant, deal, ChangeKind.CANCELLATION, refund_amount="0")
    html = login(world.users["manager"]).get(reverse("approvals:queue")).content.decode()
    assert reverse("deals:change_detail", args=[change.pk]) in html
    assert f"{deal}" in html
    # deciding there applies it
    response = login(world.users["manager"]).post(
        reverse("approvals:decide", args=[approval_of(change).pk]),
        {"decision": "approve", "comment": ""},
    )
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPLIED
    deal.refresh_from_db()
    assert deal.status == "cancelled" and deal.final_price > Decimal("0")


def test_the_changes_are_on_the_buyers_timeline(login, consultant, deal, world):
    from anju.customers.timeline import timeline_for

    change = _ask(consultant, deal, ChangeKind.CANCELLATION, refund_amount="0")
    approve(world, change)
    entries = [e for e in timeline_for(consultant, deal.customer) if e.kind == "sales_change"]
    assert [e.extra["verb"] for e in entries] == [
        "deals.change_applied",
        "deals.change_requested",
    ]
    url = reverse("deals:change_detail", args=[change.pk])
    assert all(e.url == url for e in entries)
    assert "deals.change_" not in " ".join(
        e.title for e in timeline_for(consultant, deal.customer)
    )  # the generic event list leaves them to this provider
    page = login(consultant).get(reverse("customers:detail", args=[deal.customer_id]))
    assert page.status_code == 200 and url in page.content.decode()
