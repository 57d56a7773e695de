"""Issue 7 item 10 (browser review), SEC-2: the personal-data access log reads in the reader's
language — description, fields, a refused search's records, the filter button — alike on the
page, in its export and in the API; and every row written during a request records the
client's address, also where the writer has no request (the phone search)."""

import csv
import io

import pytest

from anju.core.models import PersonalDataAccess
from anju.core.request_context import current_client_ip
from anju.core.services import personal_data_access_log
from anju.customers.services import customer_register

PHONE = "15212345496"
CLIENT_IP = "203.0.113.7"


@pytest.fixture
def customer(world):
    return customer_register(
        by=world.users["consultant"],
        company=world.companies["sz"],
        project=world.projects["binhai"],
        phone=PHONE,
        name="钱多多",
    ).customer


def _search(client, q):
    """The customer list's search form, from CLIENT_IP (POST, then the page it redirects to)."""
    response = client.post("/customers/", {"q": q}, REMOTE_ADDR=CLIENT_IP)
    if response.status_code in (301, 302, 303):
        response = client.get(response["Location"], REMOTE_ADDR=CLIENT_IP)
    return response


@pytest.fixture
def written(world, login, customer):
    """Rows written by the real writers, as users do it in the browser."""
    consultant = login(world.users["consultant"])
    _search(consultant, PHONE)  # a full number
    _search(consultant, "152123")  # a prefix: refused for a consultant
    export = consultant.get("/customers/import/export.csv?q=钱", REMOTE_ADDR=CLIENT_IP)
    assert export.status_code == 200
    b"".join(export.streaming_content)
    manager = login(world.users["manager"])  # the same test client, logged in anew
    reveal = manager.post(f"/customers/{customer.pk}/reveal/phone/", REMOTE_ADDR=CLIENT_IP)
    assert reveal.status_code == 200
    # customers.privacy_services.data_package_open writes this text (its tests cover the call)
    personal_data_access_log(
        by=world.users["datasteward"],
        action="export",
        target=customer,
        fields="data_package",
        description=f"{customer.code} data package (job 7)",
    )
    return {r.description: r for r in PersonalDataAccess.objects.order_by("id")}


def _row(written, starts):
    return next(r for d, r in written.items() if d.startswith(starts))


def test_the_page_shows_descriptions_fields_and_refusals_in_chinese(world, login, written):
    html = login(world.users["datasteward"]).get("/access-log/").content.decode()
    table = html[html.index('data-testid="access-log-table"') :]
    assert "按电话搜索（完整号码）：152****5496" in table
    assert "按电话搜索（号码开头）：152*** (已拒绝)" in table
    assert "查看完整电话" in table and "下载个人数据包（任务 7）" in table
    assert "电话号码已遮盖" in table
    for english in ("phone search", "(refused)", "data package", "(masked)", "(full)"):
        assert english not in table, english
    assert ">phone<" not in table and ">data_package<" not in table
    assert "<td>电话</td>" in table and "<td>个人数据包</td>" in table
    # the export's personal columns: stored in English, shown in the reader's language
    assert "<td>姓名、手机号、出生日期、证件号码</td>" in table
    assert ">已拒绝</span>" in table  # a refused search showed no records
    form = html[html.index('data-testid="access-log-filters"') :]
    form = form[: form.index("</form>")]
    assert ">筛选</button>" in form and "过滤器" not in form


def test_a_refused_search_counts_no_records(world, written):
    refused = _row(written, "phone search, prefix")
    assert refused.record_count == 0
    assert _row(written, "phone search, full").record_count == 1


def test_english_readers_get_english(world, login, written):
    client = login(world.users["datasteward"])
    client.cookies["django_language"] = "en"
    html = client.get("/access-log/").content.decode()
    assert "Phone search by number prefix: 152*** (refused)" in html
    assert "phone numbers masked" in html and ">Refused</span>" in html


def test_export_and_api_show_what_the_page_shows(world, login, written):
    client = login(world.users["datasteward"])
    page = client.get("/access-log/").context["page"].object_list
    shown = {e.pk: (e.description_display, e.fields_display, e.records_display) for e in page}
    api = client.get("/api/v1/access-log").json()["items"]
    assert {
        e["id"]: (e["description_display"], e["fields_display"], e["records_display"]) for e in api
    } == shown
    refused = next(e for e in api if e["refused"])
    assert refused["record_count"] == 0 and refused["fields"] == "phone"  # machine values stay
    assert refused["description"].startswith("phone search, prefix")
    export = client.get("/access-log/export.csv")
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    for description, fields, records in shown.values():
        assert any(description in row and fields in row and records in row for row in rows[1:]), (
            description
        )


def test_every_row_written_during_a_request_has_the_client_address(world, written):
    """The phone search is logged from a selector without the request; its IP was empty."""
    for text in ("phone search, full", "phone search, prefix", "customers"):
        assert _row(written, text).ip_address == CLIENT_IP, text
    reveal = next(r for r in written.values() if r.action == "view")
    assert reveal.ip_address == CLIENT_IP


def test_outside_a_request_there_is_no_address(world, written):
    """The address is forgotten when the request ends: a job's row does not inherit it."""
    assert current_client_ip() is None
    row = personal_data_access_log(by=world.users["admin"], action="view", fields="phone")
    assert row.ip_address is None
