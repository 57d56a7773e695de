"""Issue 9 item 1: a consultant reaches his own customer — one click, logged; others keep
the mask. The one rule is ``services.may_reveal``, used by the 360° page and the API."""

import pytest

from anju.core.models import PersonalDataAccess
from anju.core.services import api_token_create
from anju.customers.models import Customer

pytestmark = pytest.mark.django_db


def own_customer(world):
    return (
        Customer.objects.filter(
            owner=world.users["consultant"],
            project=world.projects["binhai"],
            merged_into__isnull=True,
            anonymised_at__isnull=True,
        )
        .exclude(phone="")
        .first()
    )


def bearer(user):
    _t, secret = api_token_create(by=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_the_owner_reveals_his_customers_phone_as_a_tel_link_and_it_is_logged(world, login):
    customer = own_customer(world)
    client = login(world.users["consultant"])
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'data-testid="reveal-phone"' in page and customer.phone not in page
    shown = client.post(f"/customers/{customer.pk}/reveal/phone/", HTTP_HX_REQUEST="true")
    html = shown.content.decode()
    assert shown.status_code == 200 and f'href="tel:{customer.phone}"' in html
    log = PersonalDataAccess.objects.get(target_id=customer.pk)
    assert (log.user, log.action, log.fields) == (world.users["consultant"], "view", "phone")


def test_the_owner_reveals_through_the_api_too(world, client):
    customer = own_customer(world)
    shown = client.post(
        f"/api/v1/customers/{customer.pk}/reveal/phone", **bearer(world.users["consultant"])
    )
    assert shown.status_code == 200 and shown.json()["value"] == customer.phone
    assert PersonalDataAccess.objects.filter(
        target_id=customer.pk, user=world.users["consultant"], fields="phone"
    ).exists()


def test_the_owner_may_not_reveal_the_id_number(world, login, client):
    """Calling needs the phone; the ID number stays for roles that may unmask (PIPL)."""
    customer = own_customer(world)
    Customer.objects.filter(pk=customer.pk).update(id_number="440301199001011234")
    page = login(world.users["consultant"])
    assert page.post(f"/customers/{customer.pk}/reveal/id_number/").status_code == 403
    api = client.post(
        f"/api/v1/customers/{customer.pk}/reveal/id_number", **bearer(world.users["consultant"])
    )
    assert api.status_code == 403
    assert not PersonalDataAccess.objects.filter(target_id=customer.pk).exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("keyaccount", 404),  # a colleague on the same project: not his customer, not his file
        ("consultant2", 404),  # a consultant on another project
        ("engineer", 403),  # sees the project's customers, is not responsible for them
        ("callcentre", 403),  # sees the company's customers, may not unmask
    ],
)
def test_others_keep_the_mask(world, login, client, who, status):
    customer = own_customer(world)
    user = world.users[who]
    page = login(user)
    detail = page.get(f"/customers/{customer.pk}/")
    if detail.status_code == 200:
        assert b"reveal-phone" not in detail.content
        assert customer.phone not in detail.content.decode()
    refused = page.post(f"/customers/{customer.pk}/reveal/phone/")
    assert refused.status_code == status and customer.phone not in refused.content.decode()
    api = client.post(f"/api/v1/customers/{customer.pk}/reveal/phone", **bearer(user))
    assert api.status_code == status and customer.phone not in api.content.decode()
    assert not PersonalDataAccess.objects.filter(target_id=customer.pk).exists()
