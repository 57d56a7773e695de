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


def test_my_tasks_shows_the_first_of_each_bucket_and_counts_them_all(world, login, monkeypatch):
    """A consultant with more overdue tasks than a page holds sees the first ones in due
    order and the true count, not a page of thousands (issue 10, pagination everywhere)."""
    from datetime import timedelta

    from anju.customers.models import Customer
    from anju.reception import selectors
    from anju.reception.models import FollowUpTask, TaskStatus
    from anju.reception.services import task_add

    consultant = world.users["consultant"]
    customer = Customer.objects.filter(owner=consultant).first()
    today = selectors.local_today()
    before = selectors.my_tasks(consultant)
    for n in range(7):
        task = task_add(by=consultant, customer=customer, title=f"逾期{n}", due_date=today)
        FollowUpTask.objects.filter(pk=task.pk).update(due_date=today - timedelta(days=30 + n))
    monkeypatch.setattr(selectors, "TASKS_SHOWN", before.overdue_count + 3)

    buckets = selectors.my_tasks(consultant)
    assert buckets.overdue_count == before.overdue_count + 7
    assert len(buckets.overdue) == before.overdue_count + 3
    assert [t.due_date for t in buckets.overdue] == sorted(t.due_date for t in buckets.overdue)
    assert all(t.status == TaskStatus.OPEN for t in buckets.overdue)
    assert buckets.open_count == before.open_count + 7

    page = login(consultant).get("/reception/tasks/").content.decode()
    assert f"共 {buckets.overdue_count} 条" in page
    assert page.count('data-testid="bucket-overdue-more"') == 1


def test_team_overdue_tasks_are_paged(world, login, monkeypatch):
    from django.conf import settings

    monkeypatch.setattr(settings, "ANJU_PAGE_SIZE", 1)
    client = login(world.users["manager"])
    first = client.get("/reception/tasks/team/")
    assert first.status_code == 200
    page = first.context["overdue"]
    assert len(page.object_list) <= 1
    if page.has_next:
        assert client.get("/reception/tasks/team/?page=2").status_code == 200


def test_the_task_list_built_in_python_escapes_and_keeps_its_actions(world, login):
    """The task list skips the template engine (issue 10 item 2): values stay escaped, the
    assignee gets his customer's masked number with the reveal button (issue 9 item 1), the
    SMS text to copy and the quick-complete form with a CSRF token."""
    from django.utils import timezone

    from anju.customers import services as customer_services
    from anju.reception.models import TaskKind
    from anju.reception.services import task_add

    consultant = world.users["consultant"]
    customer = customer_services.customer_register(
        by=consultant,
        company=world.projects["binhai"].company,
        project=world.projects["binhai"],
        name="<i>赵</i>",
        phone="13912340888",
    ).customer
    task = task_add(
        by=consultant,
        customer=customer,
        title="回访 <script>x</script>",
        due_date=timezone.localdate(),
        kind=TaskKind.SMS,
        message="您好 <b>",
    )
    html = login(consultant).get("/reception/tasks/").content.decode()
    item = next(i for i in html.split('data-testid="task"') if f"/reception/tasks/{task.pk}/" in i)
    assert "回访 &lt;script&gt;x&lt;/script&gt;" in item and "<script>x" not in item
    assert "&lt;i&gt;赵&lt;/i&gt;" in item and "139****0888" in item and "13912340888" not in item
    assert f'hx-post="/customers/{customer.pk}/reveal/phone/"' in item
    assert "您好 &lt;b&gt;" in item and 'data-testid="copy-sms"' in item
    assert f'action="/reception/tasks/{task.pk}/complete/"' in item
    assert 'name="csrfmiddlewaretoken" value="' in item
    assert html.count(f'href="/reception/tasks/{task.pk}/"') == 1  # in today's bucket only


def test_task_rows_label_kind_and_date_in_the_user_s_language_and_mark_the_overdue(world, login):
    """The rows' labels come from a table made once per page (issue 10 item 2): still the
    kind's label in Chinese, or in English after the switch; the due date as YYYY-MM-DD;
    an open task due before today in red, one due today not."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from anju.customers import services as customer_services
    from anju.reception.models import FollowUpTask, TaskKind
    from anju.reception.services import task_add

    consultant = world.users["consultant"]
    customer = customer_services.customer_register(
        by=consultant,
        company=world.projects["binhai"].company,
        project=world.projects["binhai"],
        name="钱六",
        phone="13912340999",
    ).customer
    today = timezone.localdate()
    late, due = (
        task_add(by=consultant, customer=customer, title=title, due_date=today, kind=TaskKind.CALL)
        for title in ("逾期的邀约", "今天的邀约")
    )
    # two days later for the first: a due date in the past cannot be given, only reached
    FollowUpTask.objects.filter(pk=late.pk).update(due_date=today - timedelta(days=2))

    def row(html, task):
        return next(i for i in html.split('data-testid="task"') if f"/tasks/{task.pk}/" in i)

    client = login(consultant)
    html = client.get("/reception/tasks/").content.decode()
    late_row, due_row = row(html, late), row(html, due)
    assert "电话邀约" in late_row and f"到期 {(today - timedelta(days=2)).isoformat()}" in late_row
    assert '"small text-danger fw-semibold"' in late_row
    assert '"small text-secondary"' in due_row and "text-danger" not in due_row
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = row(client.get("/reception/tasks/").content.decode(), due)
    assert "Invitation call" in english and f"Due {today.isoformat()}" in english


NEXT_STEP = "周末带父母再来看样板房，重点看南向三房、学区划片、车位配比和首付比例，下次带齐资料再谈"


def test_call_and_visit_rows_show_what_the_templates_showed(world, login, log_call, colleague):
    """The calls and visits rows are built in Python from the columns they show (issue 10
    item 2): still the local time, the masked number, repeat or first call, a late answer
    and an over-long call in red, a declined caller as such, the wait against SAL-3's
    minute, the risk disclosure, who received the visit, the customer linked."""
    from datetime import timedelta

    from django.utils import timezone

    from anju.reception.services import visit_register

    consultant = world.users["consultant"]
    first = log_call(phone="13912345601", name="孙七", rings=5, duration_seconds=11 * 60)
    again = log_call(phone="13912345601", name="孙七", rings=1, duration_seconds=60)
    declined = log_call(phone="", name="", details_declined=True, rings=None)
    arrived = timezone.now() - timedelta(minutes=30)
    visit = visit_register(
        by=colleague,  # received him: the visit is credited to his protecting consultant
        project=world.projects["binhai"],
        phone="13912345601",
        name="孙七",
        arrived_at=arrived,
        reception_started_at=arrived + timedelta(seconds=95),
        next_step=NEXT_STEP,
    ).visit

    def row(html, path):
        return next(r for r in html.split("<tr>") if path in r)

    client = login(consultant)
    html = client.get("/reception/calls/").content.decode()
    late = row(html, f"/reception/calls/{first.call.pk}/")
    called = timezone.localtime(first.call.called_at).strftime("%Y-%m-%d %H:%M")
    assert called in late and "139****5601" in late and "13912345601" not in late
    assert f'href="/customers/{first.customer.pk}/">孙七</a>' in late
    assert "首次来电" in late and '"text-end text-danger fw-semibold">5<' in late
    assert '"text-end text-danger fw-semibold">11:00<' in late
    repeat = row(html, f"/reception/calls/{again.call.pk}/")
    assert "重复来电" in repeat and "text-danger" not in repeat and ">1:00<" in repeat
    assert "不愿留下信息" in row(html, f"/reception/calls/{declined.call.pk}/")
    assert ">—<" in row(html, f"/reception/calls/{declined.call.pk}/")  # rings not recorded

    html = client.get("/reception/visits/").content.decode()
    shown = row(html, f"/reception/visits/{visit.pk}/")
    assert timezone.localtime(arrived).strftime("%Y-%m-%d %H:%M") in shown
    assert f'href="/customers/{first.customer.pk}/">孙七</a>' in shown
    assert '"text-end text-danger fw-semibold">1:35<' in shown  # waited over a minute
    assert NEXT_STEP[:30] in shown and NEXT_STEP not in shown  # cut, as |truncatechars:40
    assert f"由{colleague}接待" in shown
