"""CUS-6: calls, visits, tasks and opportunities appear on the customer's timeline, scoped."""

import pytest

from anju.customers.timeline import timeline_for
from anju.reception import services

pytestmark = pytest.mark.django_db


def test_reception_records_on_the_customer_timeline(world, log_call, django_assert_max_num_queries):
    result = log_call(visit_wanted=True)
    customer = result.customer
    services.opportunity_open(
        by=world.users["consultant"],
        customer=customer,
        products_of_interest="三房",
        expected_value=1,
    )
    with django_assert_max_num_queries(6):
        entries = timeline_for(world.users["consultant"], customer)
    kinds = [e.kind for e in entries]
    assert kinds.count("call") == 1 and kinds.count("task") == 2 and kinds.count("opportunity") == 1
    assert all(e.url.startswith("/reception/") for e in entries)
    assert timeline_for(world.users["consultant_zh"], customer) == []
