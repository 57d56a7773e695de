"""SEC-2, issue 7 item 10: the personal-data access log has a reader — a page, its export and
``GET /api/v1/access-log`` — for the data steward and the administrator only, scoped to what
the reader may see, filterable alike on page and API."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from anju.core.models import PersonalDataAccess
from anju.core.navigation import nav_for, nav_links
from anju.core.roles import ROLE_PERMS, Perm, Role
from anju.core.services import personal_data_access_log
from anju.customers.models import Customer

READERS = {"datasteward", "admin"}


@pytest.fixture
def log(world):
    """Three log rows: two in 深圳 (a view and an export), one in 珠海."""
    sz = Customer._base_manager.filter(company=world.companies["sz"]).order_by("pk").first()
    zh = Customer._base_manager.filter(company=world.companies["zh"]).order_by("pk").first()
    u = world.users
    rows = {
        "sz_view": personal_data_access_log(
            by=u["manager"], action="view", target=sz, fields="phone", ip="10.0.0.1"
        ),
        "sz_export": personal_data_access_log(
            by=u["management"], action="export", company=world.companies["sz"], record_count=9
        ),
        "zh_view": personal_data_access_log(
            by=u["manager_zh"], action="view", target=zh, fields="id_number"
        ),
    }
    # an older row, to filter by date
    PersonalDataAccess._base_manager.filter(pk=rows["sz_export"].pk).update(
        created_at=timezone.now() - timedelta(days=10)
    )
    return rows | {"sz_customer": sz, "zh_customer": zh}


def ids(response):
    return [e.pk for e in response.context["page"].object_list]


def api_ids(response):
    assert response.status_code == 200, response.content
    return [e["id"] for e in response.json()["items"]]


def test_role_table_gives_the_permission_to_steward_and_administrator_only():
    holders = {role for role, perms in ROLE_PERMS.items() if Perm.VIEW_ACCESS_LOG in perms}
    assert holders == {Role.DATA_STEWARD, Role.ADMINISTRATOR}


@pytest.mark.parametrize("username", ["datasteward", "admin"])
def test_menu_entry_for_readers(world, username):
    assert "/access-log/" in [i["url"] for i in nav_links(nav_for(world.users[username]))]


@pytest.mark.parametrize("username", ["manager", "management", "group", "consultant", "service"])
def test_others_have_no_menu_entry_and_get_403(world, login, username, log):
    assert "/access-log/" not in [i["url"] for i in nav_links(nav_for(world.users[username]))]
    client = login(world.users[username])
    before = PersonalDataAccess._base_manager.count()
    assert client.get("/access-log/").status_code == 403
    assert client.get("/access-log/export.csv").status_code == 403
    assert client.get("/api/v1/access-log").status_code == 403
    assert PersonalDataAccess._base_manager.count() == before  # a refused export logs nothing


def test_anonymous_is_sent_to_login_and_api_says_401(client):
    assert client.get("/access-log/")["Location"].startswith("/login/")
    assert client.get("/api/v1/access-log").status_code == 401


def test_steward_reads_his_company_newest_first_with_links(world, login, log):
    response = login(world.users["datasteward"]).get("/access-log/")
    assert response.status_code == 200
    assert ids(response) == [log["sz_view"].pk, log["sz_export"].pk]  # no 珠海 row
    html = response.content.decode()
    assert f'href="/customers/{log["sz_customer"].pk}/"' in html
    assert log["sz_customer"].code in html
    assert "查看完整信息" in html or "Viewed in full" in html  # get_action_display


def test_administrator_reads_every_company(world, login, log):
    response = login(world.users["admin"]).get("/access-log/")
    assert set(ids(response)) >= {log["sz_view"].pk, log["sz_export"].pk, log["zh_view"].pk}


def test_customer_is_linked_only_where_the_reader_may_see_it(world, login, log):
    """A 深圳 row about a 珠海 customer: the steward reads the row, not the customer."""
    odd = personal_data_access_log(
        by=world.users["admin"], action="view", target=log["zh_customer"],
        company=world.companies["sz"],
    )  # fmt: skip
    response = login(world.users["datasteward"]).get("/access-log/")
    html = response.content.decode()
    assert odd.pk in ids(response)
    assert f"/customers/{log['zh_customer'].pk}/" not in html
    assert log["zh_customer"].code not in html
    api = login(world.users["datasteward"]).get("/api/v1/access-log").json()["items"]
    entry = next(e for e in api if e["id"] == odd.pk)
    assert entry["target"] == f"customer #{log['zh_customer'].pk}"


@pytest.mark.parametrize(
    "query, expected",
    [
        ("user={manager}", ["sz_view"]),
        ("company={sz}", ["sz_view", "sz_export"]),
        ("action=export", ["sz_export"]),
        ("date_from={today}", ["sz_view"]),
        ("date_to={ten_days_ago}", ["sz_export"]),
        ("date_from={ten_days_ago}&date_to={ten_days_ago}", ["sz_export"]),
        ("target={sz_code}", ["sz_view"]),
        ("target={zh_code}", []),  # a customer the steward cannot see finds nothing
        ("company={zh}", None),  # not a company he sees: a form error, nothing listed
    ],
)
def test_page_and_api_filter_alike(world, login, log, query, expected):
    today = timezone.localdate()
    values = {
        "manager": world.users["manager"].pk,
        "sz": world.companies["sz"].pk,
        "zh": world.companies["zh"].pk,
        "today": today.isoformat(),
        "ten_days_ago": (today - timedelta(days=10)).isoformat(),
        "sz_code": log["sz_customer"].code,
        "zh_code": log["zh_customer"].code,
    }
    query = query.format(**values)
    client = login(world.users["datasteward"])
    page = client.get(f"/access-log/?{query}")
    api_query = query.replace("user=", "user_id=").replace("company=", "company_id=")
    api = client.get(f"/api/v1/access-log?{api_query}")
    if expected is None:
        assert page.status_code == 200 and ids(page) == []
        assert page.context["form"].errors
        assert api_ids(api) == []  # a company outside his scope simply has no rows for him
        return
    want = [log[k].pk for k in expected]
    assert ids(page) == want
    assert api_ids(api) == want


@pytest.mark.parametrize("query", ["action=nonsense", "date_from=2026-02-30", "user_id=0"])
def test_bad_api_filters_are_422(world, login, query):
    response = login(world.users["datasteward"]).get(f"/api/v1/access-log?{query}")
    assert response.status_code == 422


def test_target_code_longer_than_a_code_is_refused(world, login):
    response = login(world.users["datasteward"]).get("/api/v1/access-log?target=" + "x" * 21)
    assert response.status_code == 422


def test_export_lists_the_filtered_rows_and_is_itself_logged(world, login, log):
    client = login(world.users["datasteward"])
    before = set(PersonalDataAccess._base_manager.values_list("pk", flat=True))
    response = client.get(f"/access-log/export.csv?company={world.companies['sz'].pk}")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert len(lines) == 1 + 2  # header + the two 深圳 rows
    assert log["sz_customer"].code in text
    assert log["zh_customer"].code not in text
    new = PersonalDataAccess._base_manager.exclude(pk__in=before).get()
    assert (new.user, new.action, new.record_count) == (world.users["datasteward"], "export", 2)
    assert new.description.startswith("access-log.csv")


def test_export_in_an_unknown_format_is_a_clear_400(world, login, log):
    assert login(world.users["datasteward"]).get("/access-log/export.pdf").status_code == 400


def test_page_pages_newest_first(world, login, log, settings):
    settings.ANJU_PAGE_SIZE = 1
    client = login(world.users["datasteward"])
    first = client.get("/access-log/")
    second = client.get("/access-log/?page=2")
    assert ids(first) == [log["sz_view"].pk]
    assert ids(second) == [log["sz_export"].pk]
    assert first.context["page"].has_next


def _many(world, n=30):
    customers = list(Customer._base_manager.filter(company=world.companies["sz"])[:n])
    for c in customers:
        personal_data_access_log(by=world.users["manager"], action="view", target=c, fields="p")


def test_page_query_count_does_not_grow_with_rows(world, login, django_assert_num_queries):
    """Session, user, the roles (once, issue 10), rows (they fit on page 1: no COUNT), the
    two filter lists (rows each, no COUNT: ``|options``) and the bell's unread COUNT (issue
    13): 7 whatever the size."""
    _many(world)
    client = login(world.users["datasteward"])
    with django_assert_num_queries(7):
        response = client.get("/access-log/")
    assert len(ids(response)) >= 25


def test_api_query_count_does_not_grow_with_rows(world, login, django_assert_num_queries):
    """Session, user, the roles (once, issue 10), rows (one page: no COUNT): 4."""
    _many(world)
    client = login(world.users["datasteward"])
    with django_assert_num_queries(4):
        response = client.get("/api/v1/access-log?page_size=100")
    assert len(api_ids(response)) >= 30
