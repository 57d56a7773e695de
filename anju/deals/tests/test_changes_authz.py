"""The authorisation matrix (core/tests/test_authz_matrix.py) for the sales-change pages and
endpoints, knocked with real rows: until the demo world has deals, the matrix itself finds
no subscription or change to name, so this test makes one of each in both companies and
runs the matrix's own ``check`` over them, as every demo role."""

import pytest
from django.test import Client

from anju.core.tests.test_authz_matrix import ENDPOINTS, check
from anju.deals.models import ChangeKind
from anju.deals.services import subscription_hold
from anju.deals.services.changes import sales_change_request

from .changes_helpers import subscribe

KEYS = {
    "deals:change_request",
    "deals:change_list",
    "deals:change_detail",
    "POST /subscriptions/{subscription_id}/changes",
    "GET /sales-changes",
    "GET /sales-changes/{change_id}",
}


@pytest.fixture
def deals_in_both_companies(world, available_unit, make_customer):
    for project, seller in (("binhai", "consultant"), ("haiwan", "consultant_zh")):
        by = world.users[seller]
        deal = subscribe(
            subscription_hold(
                by=by,
                unit=available_unit(project),
                customer=make_customer(name="矩阵", project=project, by=seller),
            ),
            by,
        )
        sales_change_request(
            by=by, subscription=deal, kind=ChangeKind.PRICE_ADJUSTMENT, reason="矩阵",
            final_price="1000000",
        )  # fmt: skip
        # a second deal without a pending change, for the write to reach its permission check
        subscribe(
            subscription_hold(
                by=by,
                unit=available_unit(project),
                customer=make_customer(name="矩阵二", project=project, by=seller),
            ),
            by,
        )


@pytest.mark.parametrize("key", sorted(KEYS))
def test_the_matrix_holds_for_sales_changes(key, world, deals_in_both_companies):
    endpoint = next(e for e in ENDPOINTS if e.key == key)
    clients = {}
    for username, user in world.users.items():
        clients[username] = Client()
        clients[username].force_login(user)
    assert check(endpoint, world, clients) == []
