"""Reception's lists within the query budget at every role (issue 10: ≤ 10 queries for a
page, ≤ 6 for a list API; the user's role assignments read once per request)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

ROLES = ("group", "management", "manager", "consultant", "callcentre")
LISTS = (
    ("/reception/calls/", 10),
    ("/api/v1/calls", 6),
    ("/reception/visits/", 10),
    ("/api/v1/visits", 6),
    ("/reception/tasks/", 10),
    ("/api/v1/tasks", 6),
    ("/reception/opportunities/", 10),
    ("/api/v1/opportunities", 6),
)


@pytest.mark.parametrize("role", ROLES)
def test_reception_lists_stay_within_the_query_budget(world, login, role):
    client = login(world.users[role])
    for url, budget in LISTS:
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, url
        sqls = [q["sql"] for q in ctx.captured_queries]
        assert len(sqls) <= budget, (url, [s[:100] for s in sqls])
        assert sum('FROM "org_roleassignment"' in s for s in sqls) == 1, url
