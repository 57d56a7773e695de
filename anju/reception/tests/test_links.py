"""Issue 9 item 4: never a link the viewer cannot follow. A customer handed to a colleague
keeps his history on the 360° page, but the old consultant's calls are his: the new owner
sees them as text; the old consultant's call page names the customer without a link."""

import re

import pytest

from anju.customers.models import Customer
from anju.customers.services import customer_change_owner
from anju.reception.models import PhoneCall, Visit

pytestmark = pytest.mark.django_db

HREF = re.compile(r'href="([^"]+)"')


def handed_over(world):
    """A customer of the consultant with calls he logged, now the key-account rep's."""
    consultant = world.users["consultant"]
    call = (
        PhoneCall.objects.filter(consultant=consultant, customer__owner=consultant)
        .select_related("customer")
        .first()
    )
    customer = customer_change_owner(
        by=world.users["manager"],
        customer=call.customer,
        to=world.users["keyaccount"],
        reason="交接",
    )
    return customer, call


def followable(client, html):
    """Every link of a page's main part that is a record's page answers 200 to this viewer."""
    main = html.split("<main", 1)[1]
    for url in sorted(set(HREF.findall(main)))[:12]:  # a sample keeps the test quick
        if re.match(r"^/(customers|reception)/[a-z-]*/?\d+/$", url) or re.match(
            r"^/(customers|reception)/(calls|visits|tasks|opportunities)/\d+/$", url
        ):
            assert client.get(url).status_code == 200, url


def test_the_new_owner_sees_the_old_calls_as_text(world, login):
    customer, call = handed_over(world)
    client = login(world.users["keyaccount"])
    response = client.get(f"/customers/{customer.pk}/")
    entries = [e for e in response.context["timeline"] if e.kind == "call"]
    mine = [e for e in entries if e.record_id == call.pk]
    assert mine and mine[0].url == ""  # the consultant's call: text, not a 404 link
    html = response.content.decode()
    assert f"/reception/calls/{call.pk}/" not in html
    followable(client, html)
    manager = login(world.users["manager"]).get(f"/customers/{customer.pk}/")
    assert any(e.record_id == call.pk and e.url for e in manager.context["timeline"])


def test_the_old_consultants_call_page_names_the_customer_without_a_link(world, login):
    customer, call = handed_over(world)
    client = login(world.users["consultant"])
    html = client.get(f"/reception/calls/{call.pk}/").content.decode()
    assert customer.name in html
    assert f"/customers/{customer.pk}/" not in html
    followable(client, html)
    manager_html = login(world.users["manager"]).get(f"/reception/calls/{call.pk}/").content
    assert f"/customers/{customer.pk}/".encode() in manager_html


def test_a_visit_of_a_customer_the_viewer_cannot_open_offers_no_opportunity(world, login):
    consultant = world.users["consultant"]
    visit = Visit.objects.filter(consultant=consultant, customer__owner=consultant).first()
    customer_change_owner(
        by=world.users["manager"],
        customer=Customer.objects.get(pk=visit.customer_id),
        to=world.users["keyaccount"],
        reason="交接",
    )
    client = login(consultant)
    html = client.get(f"/reception/visits/{visit.pk}/").content.decode()
    assert f"?customer={visit.customer_id}" not in html
    followable(client, html)


def test_lists_link_only_what_the_viewer_may_open(world, login):
    handed_over(world)
    client = login(world.users["consultant"])
    for url in ("/reception/calls/", "/reception/visits/", "/reception/opportunities/"):
        followable(client, client.get(url).content.decode())
