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
