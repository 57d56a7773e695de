"""The workbench (工作台, SAL-6, issue 9 item 8): every figure is the count of the list its
card links to; the team table is a fixed number of queries; tasks complete in one click."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from anju.reception import workbench
from anju.reception.models import FollowUpTask, Opportunity, TaskStatus, WinReason

HTMX = {"HTTP_HX_REQUEST": "true"}


def _list_count(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["page"].count


def _month_of_work(world, log_call, who="consultant", n=2, phone_base=7100):
    """Calls, a booked visit today, a customer and an opportunity opened and won this month."""
    from anju.reception import services

    user = world.users[who]
    results = []
    for i in range(n):
        results.append(
            log_call(
                who=who,
                phone=f"139 0000 {phone_base + i}",
                name=f"测试{i}",
                called_at=timezone.now() - timedelta(minutes=30 + i),
            )
        )
    customer = results[0].customer
    opp = services.opportunity_open(
        by=user, customer=customer, products_of_interest="1栋 1801", expected_value="3000000"
    )
    reason = WinReason.objects.filter(company=customer.company, is_active=True).first()
    services.opportunity_close(by=user, opportunity=opp, won=True, reason=reason.pk)
    return results


@pytest.fixture
def month(world, log_call):
    return _month_of_work(world, log_call)


def test_consultant_figures_are_the_counts_of_their_lists(world, login, month):
    consultant = world.users["consultant"]
    client = login(consultant)
    figures = workbench.my_month(consultant)
    assert [f.key for f in figures] == ["calls", "visits", "customers", "opportunities", "won"]
    by_key = {f.key: f for f in figures}
    assert by_key["calls"].value >= 2 and by_key["won"].value >= 1
    for figure in figures:
        assert _list_count(client, figure.url) == figure.value, figure.key
    # and the home page shows them, each card a link to its list
    page = client.get("/").content.decode()
    for figure in figures:
        assert figure.url.replace("&", "&amp;") in page


def test_figures_count_only_this_month_and_only_the_consultants_own(world, login, log_call):
    from anju.reception.models import PhoneCall

    consultant = world.users["consultant"]
    before = {f.key: f.value for f in workbench.my_month(consultant)}
    last_month = timezone.localtime().replace(day=1) - timedelta(days=2)
    log_call(phone="139 0000 7301", name="上月", called_at=last_month)
    assert {f.key: f.value for f in workbench.my_month(consultant)}["calls"] == before["calls"]
    log_call(phone="139 0000 7302", name="本月")
    after = {f.key: f.value for f in workbench.my_month(consultant)}
    assert after["calls"] == before["calls"] + 1
    own = PhoneCall.objects.filter(
        consultant=consultant,
        called_at__gte=workbench.selectors.day_start(workbench.month_start(timezone.localdate())),
    ).count()
    assert after["calls"] == own


def test_manager_team_table_one_row_per_consultant_of_his_projects(world, login, month):
    manager = world.users["manager"]
    client = login(manager)
    response = client.get("/")
    rows = response.context["team_rows"]
    names = [str(r.consultant) for r in rows]
    assert "置业顾问·李娜" in names
    assert "置业顾问·张伟" not in names  # 云境's consultant, not on the manager's project
    li_na = next(r for r in rows if r.consultant == world.users["consultant"])
    assert li_na.values["calls"] >= 2 and li_na.values["won"] >= 1
    for row in rows:
        for key, value, url in row.cells():
            assert _list_count(client, url) == value, (row.consultant, key)
    total = response.context["team_total"]
    for key, value, url in total.cells():
        assert _list_count(client, url) == value, key
    assert 'data-testid="team-month"' in response.content.decode()


def test_zh_manager_never_sees_shenzhen_consultants(world, login):
    rows, _total = workbench.team_month(world.users["manager_zh"])
    assert [r.consultant.username for r in rows] == ["consultant_zh"]


def _new_consultant(world, username):
    from anju.org.services import staff_create

    return staff_create(
        by=None,
        username=username,
        password="x-Very-long-password-2026",
        display_name=f"顾问{username}",
        company=world.companies["sz"],
        roles=[("sales_consultant", world.projects["binhai"])],
    )


def test_team_table_is_a_fixed_number_of_queries(world, log_call):
    manager = world.users["manager"]

    def count():
        with CaptureQueriesContext(connection) as ctx:
            rows, _total = workbench.team_month(manager)
        return len(ctx.captured_queries), len(rows)

    count()  # the user's roles are read once and kept on him
    queries, size = count()
    # the consultants, one grouped query per figure, and the new-customer figure's filter
    # reading the companies' source channels once (issue 9 item 12)
    assert queries <= 8
    for i in range(3):
        _new_consultant(world, f"extra{i}")
        _month_of_work(world, log_call, who="consultant", n=1, phone_base=7400 + i * 10)
    more_queries, more_rows = count()
    assert more_rows == size + 3
    assert more_queries == queries


def test_manager_home_query_count_does_not_grow_with_the_team(world, login):
    client = login(world.users["manager"])
    client.get("/")  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as first:
        client.get("/")
    for i in range(4):
        _new_consultant(world, f"more{i}")
    with CaptureQueriesContext(connection) as second:
        response = client.get("/")
    assert len(response.context["team_rows"]) >= 5
    assert len(second.captured_queries) == len(first.captured_queries)


def test_booked_visits_today_card_and_its_list(world, login, log_call):
    now = timezone.localtime()
    later_today = now.replace(hour=23, minute=30, second=0, microsecond=0)
    if later_today <= now:
        pytest.skip("no time left today to book a visit")
    log_call(phone="139 0000 7501", name="今天来", visit_wanted=True, visit_booked_for=later_today)
    client = login(world.users["consultant"])
    response = client.get("/")
    booked = response.context["booked"]
    assert any(c.caller_name == "今天来" for c in booked)
    assert response.context["booked_count"] == _list_count(client, response.context["booked_url"])
    assert "今天来" in response.content.decode()
    # the manager sees his team's bookings too; the 云境 consultant does not
    assert any(
        c.caller_name == "今天来" for c in login(world.users["manager"]).get("/").context["booked"]
    )
    assert not any(
        c.caller_name == "今天来"
        for c in login(world.users["consultant2"]).get("/").context["booked"]
    )


def _open_task(world, kind="call"):
    return (
        FollowUpTask.objects.filter(
            assignee=world.users["consultant"], status=TaskStatus.OPEN, kind=kind
        )
        .order_by("due_date")
        .first()
    )


def test_one_click_complete_swaps_the_row(world, login):
    task = _open_task(world, kind="sms")
    client = login(world.users["consultant"])
    response = client.post(f"/reception/tasks/{task.pk}/complete/", {"outcome": ""}, **HTMX)
    assert response.status_code == 200
    assert 'data-testid="wb-task-done"' in response.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE


def test_one_click_complete_refused_says_why_and_changes_nothing(world, login):
    task = (
        _open_task(world, kind="call")
        or _open_task(world, kind="visit_confirmation")
        or _open_task(world, kind="follow_up")
    )
    client = login(world.users["consultant"])
    response = client.post(f"/reception/tasks/{task.pk}/complete/", {"outcome": ""}, **HTMX)
    assert response.status_code == 422
    body = response.content.decode()
    assert 'data-testid="wb-task-error"' in body
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_one_click_complete_of_a_colleagues_task_is_not_found(world, login):
    task = _open_task(world, kind="sms")
    response = login(world.users["consultant2"]).post(
        f"/reception/tasks/{task.pk}/complete/", {"outcome": "x"}, **HTMX
    )
    assert response.status_code == 404
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_home_lists_overdue_and_due_tasks_with_complete_buttons(world, login):
    client = login(world.users["consultant"])
    response = client.get("/")
    tasks = response.context["tasks"]
    body = response.content.decode()
    shown = tasks.overdue[:8] + tasks.today[:8]
    assert shown, "the demo consultant has tasks"
    for task in shown:
        assert f'id="wb-task-{task.pk}"' in body
    assert body.count('data-testid="wb-task-complete"') == len(shown)


def test_won_value_is_decimal_on_the_board(world, month):
    columns = workbench.pipeline_board(world.users["consultant"])
    won = next(c for c in columns if c.stage == "won")
    assert isinstance(won.total, Decimal)
    assert won.total == sum((o.expected_value for o in won.cards), Decimal("0"))
    assert Opportunity.objects.filter(products_of_interest="1栋 1801", stage="won").exists()


def test_manager_team_overdue_card_is_the_team_tasks_page(world, login):
    client = login(world.users["manager"])
    home = client.get("/")
    team_page = client.get("/reception/tasks/team/")
    assert home.context["team_overdue"] == len(team_page.context["overdue"])
    assert home.context["team_overdue"] > 0
    assert 'data-testid="card-team-overdue"' in home.content.decode()


def test_a_figures_list_says_which_consultant_it_shows(world, login):
    consultant = world.users["consultant"]
    client = login(world.users["manager"])
    rows, _total = workbench.team_month(world.users["manager"])
    row = next(r for r in rows if r.consultant == consultant)
    url = dict((key, url) for key, _n, url in row.cells())["calls"]
    body = client.get(url).content.decode()
    assert 'data-testid="filters-in-effect"' in body
    assert f'name="consultant" value="{consultant.pk}"' in body  # kept when the period changes
