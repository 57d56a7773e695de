"""SVC-6 The monthly complaint report on a fixed data set: every figure, the month boundaries
at local midnight, the scope (group, company, project; 404/403), the query count whatever the
data size, the page, its chart data, the workbook and the printable version."""

import datetime
import io
from decimal import Decimal
from itertools import count

import openpyxl
import pytest

from anju.core.roles import Role
from anju.core.scope_middleware import load_role_assignments_once
from anju.org import services as org_services
from anju.service import report, sla
from anju.service.models import Ticket, TicketRevisit

from .conftest import local

pytestmark = pytest.mark.django_db

OCTOBER = datetime.date(2026, 10, 1)
_numbers = count(1)


@pytest.fixture
def rp(world):
    """A company of its own (报告公司: projects rp1, rp2) so the figures are the data set's
    only: its manager, a sales manager of rp1 who is also rp2's engineer (sees rp2, may not
    report on it), a service agent (no reports)."""
    holding = world.companies["sz"].holding
    company = org_services.company_create(
        by=None, holding=holding, code="rp", name="报告公司", city="东莞"
    )
    rp1 = org_services.project_create(by=None, company=company, code="rp1", name="报告一期")
    rp2 = org_services.project_create(by=None, company=company, code="rp2", name="报告二期")

    def staff(username, roles):
        user = org_services.staff_create(
            by=None,
            username=username,
            password=None,
            display_name=username,
            company=company,
            roles=roles,
        )
        load_role_assignments_once(user)
        return user

    return {
        "company": company,
        "rp1": rp1,
        "rp2": rp2,
        "boss": staff("rp_boss", [(Role.COMPANY_MANAGEMENT, None)]),
        "sales": staff("rp_sales", [(Role.SALES_MANAGER, rp1), (Role.ENGINEER, rp2)]),
        "agent": staff("rp_agent", [(Role.SERVICE_AGENT, None)]),
    }


def _ticket(project, by, *, received, klass="", category="quality", kind="complaint", **closed):
    """A ticket written as the services leave it (clocks from the default limits)."""
    ticket = Ticket(
        company_id=project.company_id,
        project=project,
        number=100_000 + next(_numbers),
        ticket_type=kind,
        channel="hotline",
        category=category,
        customer_class=klass,
        subject="报告测试",
        description="报告测试数据",
        responsible=by,
        received_at=received,
        responded_at=received,
    )
    sla.set_deadlines(ticket, sla.default_limits(kind, "normal"))
    if closed:
        ticket.status = "closed"
        ticket.closed_at = closed["closed"]
        ticket.implemented_at = closed["closed"]
        ticket.handling = closed["handling"]
        ticket.loops = 1 if closed["handling"] == "repeated" else 0
        ticket.outcome = "resolved"
    ticket.next_due_at = sla.next_due(ticket)
    ticket.save()
    return ticket


def _revisit(ticket, at, satisfaction, loop=0):
    TicketRevisit.objects.create(
        ticket=ticket, loop=loop, satisfaction=satisfaction, revisited_at=at, by=ticket.responsible
    )


@pytest.fixture
def data(rp):
    """The fixed data set. October 2026 runs from 2026-10-01 00:00 to 2026-11-01 00:00 in
    Shanghai (16:00 UTC the day before)."""
    p1, p2, by = rp["rp1"], rp["rp2"], rp["boss"]
    t = {}
    # received in October
    t[1] = _ticket(p1, by, received=local(2026, 10, 1, 0, 0), klass="A",
                   closed=local(2026, 10, 2, 9, 0), handling="at_once")  # fmt: skip
    t[2] = _ticket(p1, by, received=local(2026, 10, 15, 10, 0), klass="A", category="design",
                   closed=local(2026, 10, 31, 23, 59, 59), handling="repeated")  # fmt: skip
    t[3] = _ticket(p1, by, received=local(2026, 10, 31, 23, 59, 59), klass="B")  # still open
    t[4] = _ticket(p1, by, received=local(2026, 10, 20, 8, 0), klass="C", category="service",
                   closed=local(2026, 11, 1, 0, 0), handling="within_limit")  # fmt: skip
    t[5] = _ticket(p2, by, received=local(2026, 10, 5, 12, 0), category="property")  # open
    t[6] = _ticket(p2, by, received=local(2026, 10, 8, 9, 0), klass="D",
                   category="sales_promise", closed=local(2026, 10, 20, 9, 0),
                   handling="late")  # fmt: skip
    # around the month
    t[7] = _ticket(p1, by, received=local(2026, 9, 30, 23, 59, 59), klass="B",
                   closed=local(2026, 10, 1, 0, 0), handling="within_limit")  # fmt: skip
    t[8] = _ticket(p1, by, received=local(2026, 11, 1, 0, 0), klass="C", category="repairs")
    t[9] = _ticket(p1, by, received=local(2025, 10, 15, 10, 0), klass="B", category="other",
                   closed=local(2025, 10, 20, 10, 0), handling="at_once")  # fmt: skip
    t[10] = _ticket(p1, by, received=local(2025, 9, 30, 10, 0), klass="A",
                    closed=local(2025, 10, 2, 10, 0), handling="within_limit")  # fmt: skip
    t[11] = _ticket(p2, by, received=local(2026, 8, 1, 10, 0), klass="C",
                    closed=local(2026, 9, 30, 23, 59, 59), handling="late")  # fmt: skip
    # a repair request in October: not a complaint, counted nowhere
    t[12] = _ticket(p1, by, received=local(2026, 10, 10, 10, 0), klass="A", kind="repair",
                    category="repairs", closed=local(2026, 10, 12, 10, 0),
                    handling="within_limit")  # fmt: skip
    _revisit(t[1], local(2026, 10, 1, 20, 0), "very_satisfied")
    _revisit(t[2], local(2026, 10, 16, 10, 0), "unsatisfied")
    _revisit(t[2], local(2026, 10, 30, 10, 0), "satisfied", loop=1)
    _revisit(t[6], local(2026, 10, 19, 10, 0), "average")
    _revisit(t[7], local(2026, 9, 30, 23, 59, 59), "satisfied")  # September
    _revisit(t[7], local(2026, 10, 1, 0, 0), "very_satisfied")  # October
    _revisit(t[12], local(2026, 10, 11, 10, 0), "unsatisfied")  # a repair's: not counted
    return t


def _report(user, month=OCTOBER, **where):
    scope, _options = report.resolve_scope(user, **where)
    return report.monthly_report(user, month=month, scope=scope)


def _counts(lines):
    return {line.key: (line.count, line.share) for line in lines}


def test_every_figure_of_the_month_for_the_company(rp, data):
    r = _report(rp["boss"])
    assert r.scope.kind == "company" and r.scope.label == "报告公司"
    assert r.received == 6
    third, sixth = Decimal("33.3"), Decimal("16.7")
    assert _counts(r.by_class) == {
        "A": (2, third),
        "B": (1, sixth),
        "C": (1, sixth),
        "D": (1, sixth),
        "": (1, sixth),
    }
    assert _counts(r.by_category) == {
        "design": (1, sixth),
        "quality": (2, third),
        "sales_promise": (1, sixth),
        "service": (1, sixth),
        "property": (1, sixth),
        "repairs": (0, Decimal("0.0")),
        "other": (0, Decimal("0.0")),
    }
    # closed in October: t7 (00:00 on the 1st), t1, t6, t2 (23:59:59 on the 31st)
    assert r.closed == 4
    quarter = Decimal("25.0")
    assert _counts(r.by_handling) == {
        "at_once": (1, quarter),
        "within_limit": (1, quarter),
        "late": (1, quarter),
        "repeated": (1, quarter),
    }
    # open at midnight on 1 November: t3, t5, and t4 (closed at that very midnight)
    assert r.open_at_end == 3
    assert r.revisits == 5
    assert _counts(r.by_satisfaction) == {
        "very_satisfied": (2, Decimal("40.0")),
        "satisfied": (1, Decimal("20.0")),
        "average": (1, Decimal("20.0")),
        "unsatisfied": (1, Decimal("20.0")),
    }
    assert r.satisfaction_rate == Decimal("60.0")  # (2 + 1) / 5
    assert r.in_time_rate == Decimal("50.0")  # (at once + within) / closed = 2 / 4


def test_the_trend_is_the_month_and_the_twelve_before_it(rp, data):
    trend = _report(rp["boss"]).trend
    assert [t.month for t in trend] == [report.add_months(OCTOBER, k) for k in range(-12, 1)]
    by_month = {t.month: t for t in trend}
    figures = {
        m: (t.received, t.closed, t.revisits, t.satisfaction_rate, t.in_time_rate)
        for m, t in by_month.items()
        if t.received or t.closed or t.revisits
    }
    assert figures == {
        # t9 received and closed (at once); t10 (received in September 2025) closed
        datetime.date(2025, 10, 1): (1, 2, 0, None, Decimal("100.0")),
        datetime.date(2026, 8, 1): (1, 0, 0, None, None),  # t11 received
        # t7 received at 23:59:59, t11 closed late at 23:59:59, t7's first revisit
        datetime.date(2026, 9, 1): (1, 1, 1, Decimal("100.0"), Decimal("0.0")),
        OCTOBER: (6, 4, 5, Decimal("60.0"), Decimal("50.0")),
    }
    assert by_month[datetime.date(2025, 10, 1)].by_class == {"B": 1}
    assert by_month[OCTOBER].by_class == {"A": 2, "B": 1, "C": 1, "D": 1, "": 1}
    assert by_month[OCTOBER].by_handling == {
        "at_once": 1,
        "within_limit": 1,
        "late": 1,
        "repeated": 1,
    }


def test_month_boundaries_are_midnight_in_shanghai(rp, data):
    """00:00 local on the 1st belongs to the new month, 23:59:59 on the last day to the old
    one — whatever the UTC date (October starts at 16:00 UTC on 30 September)."""
    assert report.month_start(OCTOBER) == datetime.datetime(2026, 9, 30, 16, 0, tzinfo=datetime.UTC)
    november = _report(rp["boss"], month=datetime.date(2026, 11, 1))
    assert november.received == 1 and _counts(november.by_class)["C"][0] == 1  # t8 at 00:00
    assert november.closed == 1 and _counts(november.by_handling)["within_limit"][0] == 1  # t4
    september = _report(rp["boss"], month=datetime.date(2026, 9, 1))
    assert (september.received, september.closed, september.revisits) == (1, 1, 1)
    assert _counts(september.by_satisfaction)["satisfied"][0] == 1


def test_one_project_and_the_whole_group(rp, data, world):
    r = _report(rp["boss"], project=str(rp["rp1"].pk))
    assert r.scope.kind == "project" and r.scope.label == "报告公司 · 报告一期"
    assert r.received == 4  # t1, t2, t3, t4
    assert {k: v[0] for k, v in _counts(r.by_class).items()} == {
        "A": 2, "B": 1, "C": 1, "D": 0, "": 0
    }  # fmt: skip
    assert r.closed == 3 and r.open_at_end == 2 and r.revisits == 4  # t6 (rp2) left out
    # the sales manager of rp1 gets his project, nothing else
    mine = _report(rp["sales"])
    assert mine.scope.kind == "project" and mine.scope.pk == rp["rp1"].pk
    assert (mine.received, mine.closed, mine.revisits) == (4, 3, 4)
    # the group centre: every company, this one's figures among them
    group = world.users["group"]
    load_role_assignments_once(group)
    everything = _report(group)
    assert everything.scope.kind == "group"
    assert rp["company"].pk in everything.scope.company_ids
    only_rp = _report(group, company=str(rp["company"].pk))
    assert (only_rp.received, only_rp.closed, only_rp.open_at_end) == (6, 4, 3)
    assert everything.received >= 6


def test_scope_refusals(rp, data, world):
    from anju.core.errors import NotFound, NotPermitted

    sz = world.companies["sz"]
    with pytest.raises(NotFound):  # another company: not even its existence
        report.resolve_scope(rp["boss"], company=str(sz.pk))
    with pytest.raises(NotFound):
        report.resolve_scope(rp["boss"], project=str(world.projects["binhai"].pk))
    with pytest.raises(NotFound):
        report.resolve_scope(rp["boss"], project="abc")
    with pytest.raises(NotFound):
        report.resolve_scope(rp["boss"], project="99999999999999999999999")
    with pytest.raises(NotPermitted):  # he sees rp2 (engineer) but reports on rp1 only
        report.resolve_scope(rp["sales"], project=str(rp["rp2"].pk))
    with pytest.raises(NotPermitted):  # the whole company is not his to report on
        report.resolve_scope(rp["sales"], company=str(rp["company"].pk))
    with pytest.raises(NotPermitted):
        report.resolve_scope(rp["agent"])


@pytest.mark.parametrize("bad", ["2026-13", "2026-00", "26-10", "1999-12", "2101-01", "10/2026"])
def test_a_bad_month_is_refused_with_a_clear_message(bad):
    from anju.core.errors import ApplicationError

    with pytest.raises(ApplicationError) as refused:
        report.parse_month(bad)
    assert refused.value.field == "month"


def test_the_default_month_is_the_last_complete_one():
    assert report.parse_month("", today=datetime.date(2026, 1, 15)) == datetime.date(2025, 12, 1)
    assert report.parse_month(" 2026-3 ") == datetime.date(2026, 3, 1)


def test_a_month_that_has_not_begun_is_refused_with_the_reason():
    from anju.core.errors import ApplicationError

    today = datetime.date(2026, 11, 27)
    assert report.parse_month("2026-11", today=today) == datetime.date(2026, 11, 1)  # so far
    for later in ("2026-12", "2030-01"):
        with pytest.raises(ApplicationError) as refused:
            report.parse_month(later, today=today)
        assert refused.value.field == "month" and later in str(refused.value.message)


def test_four_queries_whatever_the_data_size(rp, data, django_assert_num_queries):
    scope, _options = report.resolve_scope(rp["boss"])
    with django_assert_num_queries(4):
        first = report.monthly_report(rp["boss"], month=OCTOBER, scope=scope)
    for day in range(1, 29):  # many more tickets and revisits: still four queries
        ticket = _ticket(rp["rp1"], rp["boss"], received=local(2026, 10, day, 9, 0), klass="D",
                         closed=local(2026, 10, day, 18, 0), handling="at_once")  # fmt: skip
        _revisit(ticket, local(2026, 10, day, 19, 0), "satisfied")
    with django_assert_num_queries(4):
        second = report.monthly_report(rp["boss"], month=OCTOBER, scope=scope)
    assert second.received == first.received + 28 and second.revisits == first.revisits + 28


def test_a_complaint_closed_through_the_services_is_counted_with_its_handling(
    receive, desk, monkeypatch, world
):
    """The report reads what ``ticket_close`` decided (handling_of): answered within the
    limit, revisited once, closed in the month."""
    import anju.service.tests.test_workflow as workflow
    from anju.service import services

    agent = desk[0]
    servicemgr = world.users["servicemgr"]
    load_role_assignments_once(servicemgr)
    before = _report(servicemgr, month=datetime.date(2031, 3, 1))
    clock = {"now": local(2031, 3, 2, 9, 0)}
    monkeypatch.setattr("django.utils.timezone.now", lambda: clock["now"])
    ticket = receive(received_at=local(2031, 3, 2, 9, 0), category="service")
    clock["now"] = local(2031, 3, 3, 9, 0)  # after the 2-hour first response, within 3 days
    workflow._to_implemented(ticket, desk)
    clock["now"] = local(2031, 3, 4, 10, 0)
    services.revisit_record(by=agent, ticket=ticket, satisfaction="very_satisfied")
    services.ticket_close(by=agent, ticket=ticket, summary="已解决")
    after = _report(servicemgr, month=datetime.date(2031, 3, 1))
    assert after.received == before.received + 1
    assert _counts(after.by_class)["B"][0] == _counts(before.by_class)["B"][0] + 1
    assert _counts(after.by_handling)["within_limit"][0] == (
        _counts(before.by_handling)["within_limit"][0] + 1
    )
    assert _counts(after.by_satisfaction)["very_satisfied"][0] == (
        _counts(before.by_satisfaction)["very_satisfied"][0] + 1
    )


# --- the pages ------------------------------------------------------------------------------


def test_the_page_shows_every_table_in_chinese(rp, data, login, django_assert_max_num_queries):
    client = login(rp["boss"])
    with django_assert_max_num_queries(14):
        page = client.get("/service/report/?month=2026-10")
    assert page.status_code == 200
    html = page.content.decode()
    for text in (
        "客户投诉处理统计分析报告",
        "本月受理投诉（按客户类别）",
        "本月受理投诉（按投诉类别）",
        "本月结案投诉处理情况",
        "本月回访客户满意情况",
        "近13个月趋势",
        "A类客户",
        "未分类",
        "循环往复处理",
        "非常满意",
        "报告公司",
        "2026年10月",
    ):
        assert text in html, text
    assert 'data-testid="kpi-received">6<' in html
    assert 'data-testid="kpi-satisfaction">60.0%<' in html
    assert "vendor/echarts/echarts.min.js" in html and "cdn." not in html
    assert "/service/report/data.json?month=2026-10&amp;company=" in html
    assert 'data-chart="class"' in html and 'data-testid="table-class"' in html


def test_the_chart_data(rp, data, login):
    answer = login(rp["boss"]).get(
        f"/service/report/data.json?month=2026-10&project={rp['rp1'].pk}"
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["month"] == "2026-10" and body["scope"]["kind"] == "project"
    assert [line["count"] for line in body["by_class"]] == [2, 1, 1, 0, 0]
    assert body["by_class"][0]["label"] == "A类客户"
    assert body["trend"]["months"][0] == "2025-10" and len(body["trend"]["received"]) == 13
    assert body["trend"]["received"][-1] == 4
    assert body["satisfaction_rate"] == 75.0  # rp1: very satisfied ×2, satisfied, unsatisfied


def test_the_chart_data_refuses_in_the_one_error_shape(rp, data, login):
    client = login(rp["boss"])
    bad = client.get("/service/report/data.json?month=2026-13")
    assert bad.status_code == 400 and bad.json()["field"] == "month"
    assert "YYYY-MM" in bad.json()["detail"]
    assert client.get("/service/report/data.json?company=999999").status_code == 404
    assert login(rp["agent"]).get("/service/report/data.json").status_code == 403


def test_a_bad_month_on_the_page_is_a_form_error(rp, data, login):
    page = login(rp["boss"]).get("/service/report/?month=2026-13")
    assert page.status_code == 400
    assert "请按 YYYY-MM 格式填写月份" in page.content.decode()


def test_refusals_on_the_pages(rp, data, login, world):
    boss = login(rp["boss"])
    assert boss.get(f"/service/report/?company={world.companies['sz'].pk}").status_code == 404
    assert boss.get("/service/report/?project=99999999").status_code == 404
    sales = login(rp["sales"])
    assert sales.get(f"/service/report/?project={rp['rp2'].pk}").status_code == 403
    agent = login(rp["agent"])
    for url in ("/service/report/", "/service/report/export.xlsx"):
        assert agent.get(url).status_code == 403


def test_the_workbook_has_one_sheet_per_table(rp, data, login):
    answer = login(rp["boss"]).get("/service/report/export.xlsx?month=2026-10")
    assert answer.status_code == 200
    assert answer["Content-Disposition"].startswith(
        'attachment; filename="complaint-report-2026-10'
    )
    book = openpyxl.load_workbook(io.BytesIO(b"".join(answer.streaming_content)))
    assert book.sheetnames == ["按客户类别", "按投诉类别", "按处理情况", "按满意度", "趋势"]
    rows = list(book["按客户类别"].values)
    assert rows[0][0] == "投诉统计报告 · 报告公司 · 2026年10月"
    assert rows[2] == ("客户类别", "投诉数", "占比（%）")
    assert rows[3] == ("A类客户", 2, 33.3)
    assert rows[-1] == ("本月受理", 6, 100)
    handling = list(book["按处理情况"].values)
    assert ("月末仍未结案", 3, None) in handling
    trend = list(book["趋势"].values)
    assert trend[2][:2] == ("月份", "受理投诉数") and len(trend) == 3 + 13
    assert trend[-1][:2] == ("2026-10", 6)


def test_the_printable_version(rp, data, login):
    page = login(rp["boss"]).get("/service/report/?month=2026-10&print=1")
    assert page.status_code == 200
    html = page.content.decode()
    assert "@page { size: A4" in html
    assert 'data-testid="print-company">报告公司' in html
    assert "月份: 2026年10月" in html.replace("：", ":")
    assert 'data-testid="print-date">打印日期' in html
    assert 'data-print="1"' in html and "anju-navbar" not in html


def test_the_report_through_the_api(rp, data, login):
    """GET /api/v1/service/report (issue 13 item 8): the chart data's figures, the same
    refusals in the API's shape."""
    client = login(rp["boss"])
    answer = client.get(f"/api/v1/service/report?month=2026-10&project_id={rp['rp1'].pk}")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    page = client.get(f"/service/report/data.json?month=2026-10&project={rp['rp1'].pk}").json()
    assert body == page
    assert [line["count"] for line in body["by_class"]] == [2, 1, 1, 0, 0]
    assert body["satisfaction_rate"] == 75.0
    bad = client.get("/api/v1/service/report?month=2026-13")
    assert bad.status_code == 422 and bad.json()["field"] == "month"
    assert client.get("/api/v1/service/report?company_id=999999").status_code == 404
    assert login(rp["agent"]).get("/api/v1/service/report").status_code == 403
    sales = login(rp["sales"])
    assert sales.get(f"/api/v1/service/report?project_id={rp['rp2'].pk}").status_code == 403
