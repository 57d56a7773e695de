"""An opportunity on one project for a customer of another project of the company (company
management opened it: he sees both). The manager of the opportunity's project oversees the
opportunity, not the customer: he must not learn who it is — in the list, the page, the API
or the export (ORG-2; the rule issue 9 item 3 set for visits)."""

import json
from decimal import Decimal

import pytest

from anju.customers.models import Customer
from anju.customers.services import customer_register
from anju.reception.services import opportunity_open

pytestmark = pytest.mark.django_db


def assert_nothing_leaks(text, customer, where):
    # The consultant credited is staff, not the customer's data: the manager sees who.
    for secret in (customer.name, customer.code, customer.phone, f"/customers/{customer.pk}/"):
        assert secret not in text, f"{where} leaks {secret!r}"


@pytest.fixture
def cross_project_opportunity(world):
    customer = customer_register(
        by=world.users["consultant"],
        company=world.companies["sz"],
        project=world.projects["binhai"],
        name="欧阳晓峰",
        phone="13912348765",
    ).customer
    opportunity = opportunity_open(
        by=world.users["management"],
        customer=customer,
        project=world.projects["yunjing"],
        expected_value=Decimal("3200000"),
        products_of_interest="云境 三房 南向",
    )
    return opportunity, Customer.objects.get(pk=customer.pk)


def test_the_opportunity_s_manager_sees_it_but_not_the_other_project_s_customer(
    world, login, yunjing_manager, cross_project_opportunity
):
    opportunity, customer = cross_project_opportunity
    assert not Customer.objects.visible_to(yunjing_manager).filter(pk=customer.pk).exists()
    client = login(yunjing_manager)
    for url in (
        "/reception/opportunities/?state=all",
        f"/reception/opportunities/{opportunity.pk}/",
        "/reception/pipeline/",
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        text = page.content.decode()
        assert "云境 三房 南向" in text  # the opportunity itself is his to follow
        assert 'data-testid="protected-customer"' in text, url
        assert_nothing_leaks(text, customer, url)
    shown = client.get(f"/api/v1/opportunities/{opportunity.pk}").json()
    assert shown["id"] == opportunity.pk and shown["customer_id"] is None
    # he may move it through the stages; the answer does not name the customer either
    moved = client.post(
        f"/api/v1/opportunities/{opportunity.pk}/stage",
        {"stage": "needs"},
        content_type="application/json",
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["stage"] == "needs" and moved.json()["customer_id"] is None
    listed = client.get("/api/v1/opportunities?state=all").json()["items"]
    assert [o["customer_id"] for o in listed if o["id"] == opportunity.pk] == [None]
    export = client.get("/reception/export/opportunities.csv?state=all")
    exported = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "云境 三房 南向" in exported
    assert_nothing_leaks(exported, customer, "the export")
    assert_nothing_leaks(json.dumps(listed, ensure_ascii=False), customer, "the API list")


def test_who_sees_the_customer_still_sees_him_on_the_opportunity(
    world, login, cross_project_opportunity
):
    opportunity, customer = cross_project_opportunity
    client = login(world.users["management"])
    text = client.get(f"/reception/opportunities/{opportunity.pk}/").content.decode()
    assert f'href="/customers/{customer.pk}/">欧阳晓峰</a>' in text
    assert client.get(f"/api/v1/opportunities/{opportunity.pk}").json()["customer_id"] == (
        customer.pk
    )
    listing = client.get("/reception/opportunities/?state=all").content.decode()
    assert f'href="/customers/{customer.pk}/">欧阳晓峰</a>' in listing
