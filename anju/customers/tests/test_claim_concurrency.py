"""Issue 7 item 5 (CUS-4): simultaneous claims of a lapsed customer have exactly one winner.

Real threads, each with its own PostgreSQL connection and transaction. The window between
the protection check and the owner change is widened with a barrier (every claimant waits
there for the others, up to a few seconds): without a row lock all of them pass the check
and all of them "win"; with the lock the first holds the row, the others wait for it and
then see the new owner's protection and are refused.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from anju.core.models import Event
from anju.core.testing import requires_postgres, run_at_once
from anju.customers import services
from anju.customers.models import Customer

CLAIMANTS = 6


def _consultants(world, n):
    from anju.org.models import User
    from anju.org.services import role_assign

    users = []
    for i in range(n):
        user = User.objects.create(
            username=f"claimant{i}", display_name=f"置业顾问·抢{i}", company=world.companies["sz"]
        )
        role_assign(
            by=None,
            user=user,
            role="sales_consultant",
            company=world.companies["sz"],
            project=world.projects["binhai"],
        )
        users.append(user)
    return users


def _claim(user, customer):
    services.customer_claim(by=user, customer=Customer.objects.get(pk=customer.pk))


def _register(user, customer):
    """Registering the number of a lapsed customer claims it too (CUS-4)."""
    services.customer_register(
        by=user, company=customer.company, project=customer.project, phone=PHONE, name="赵六"
    )


PHONE = "13812349901"


@requires_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", [_claim, _register], ids=["claim", "register"])
def test_simultaneous_claims_of_a_lapsed_customer_have_exactly_one_winner(world, how):
    """Issue 7 item 5: N consultants claim at once → one owner, N-1 clear refusals."""
    owner = world.users["consultant"]
    customer = services.customer_register(
        by=owner,
        company=world.companies["sz"],
        project=world.projects["binhai"],
        phone=PHONE,
        name="赵六",
    ).customer
    Customer.objects.filter(pk=customer.pk).update(
        protected_until=timezone.now() - timedelta(days=1)  # the protection has lapsed
    )
    claimants = _consultants(world, CLAIMANTS)
    events_before = Event.objects.filter(verb="customer.owner_changed").count()

    def claim(user):
        how(user, customer)
        return user

    # Everyone waits after the protection check for the others before anyone writes (broken
    # when the others are blocked on the row lock: the fixed code).
    won, refused, errors = run_at_once(
        claim, claimants, pause_after=[(services, "_protected_by_other")]
    )
    assert not errors, errors
    assert len(won) == 1, [str(u) for u in won]
    winner = won[0]
    assert len(refused) == CLAIMANTS - 1
    for exc in refused:
        assert exc.code == "protected_by_colleague"
        assert str(winner) in exc.message  # the refusal names who holds it now (CUS-4)
    customer.refresh_from_db()
    assert customer.owner_id == winner.pk
    assert customer.protected_until > timezone.now()
    changes = Event.objects.filter(verb="customer.owner_changed").order_by("id")
    assert changes.count() == events_before + 1
    assert changes.last().details["to"] == winner.pk
    assert changes.last().details["from"] == owner.pk
