"""CUS-3 one person one customer; CUS-4 ownership protection."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from anju.core.errors import ApplicationError
from anju.customers.models import Customer
from anju.customers.services import customer_register


def register(world, who, phone="138 0013 5678", name="张三丰"):
    return customer_register(
        by=world.users[who],
        company=world.companies["sz"],
        project=world.projects["binhai"],
        phone=phone,
        name=name,
    )


def test_new_number_creates_customer_owned_and_protected(world):
    before = Customer.objects.count()
    reg = register(world, "consultant")
    c = reg.customer
    assert reg.created and c.phone == "13800135678" and c.phone_last4 == "5678"
    assert c.owner == world.users["consultant"]
    assert re.fullmatch(r"SZ\d{7}", c.code) and c.name_initials == "zsf"
    assert Customer.objects.count() == before + 1
    assert c.protected_until > timezone.now() + timedelta(days=29)


def test_same_number_any_format_returns_existing(world):
    first = register(world, "consultant").customer
    count = Customer.objects.count()
    again = register(world, "consultant", phone="+86 138-0013-5678")
    assert not again.created and again.customer.pk == first.pk
    assert Customer.objects.count() == count


def test_second_consultant_refused_naming_owner_then_claims_after_expiry(world):
    first = register(world, "consultant").customer
    with pytest.raises(ApplicationError) as exc:
        register(world, "consultant2")
    assert "置业顾问·李娜" in str(exc.value)
    Customer.objects.filter(pk=first.pk).update(
        protected_until=timezone.now() - timedelta(seconds=1)
    )
    reg = register(world, "consultant2")
    assert not reg.created and reg.customer.owner == world.users["consultant2"]


def test_invalid_phone_is_a_clear_error(world):
    before = Customer.objects.count()
    with pytest.raises(ApplicationError) as exc:
        register(world, "consultant", phone="12345")
    assert exc.value.field == "phone"
    assert Customer.objects.count() == before


@pytest.mark.parametrize(
    "raw, stored",
    [
        ("+86 138-1234-5678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("0755-8888 6666", "075588886666"),  # landlines keep their trunk 0
        ("010 12345678", "01012345678"),
    ],
)
def test_phone_normalisation(raw, stored):
    from anju.customers.phones import normalise_phone

    assert normalise_phone(raw) == stored


@pytest.mark.parametrize("raw", ["1391234abcd", "138 1234 567O", "12345", "电话13812345678"])
def test_phones_with_letters_or_too_short_are_refused(raw):
    from anju.customers.phones import normalise_phone

    with pytest.raises(ApplicationError):
        normalise_phone(raw)
