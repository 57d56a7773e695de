"""Issue 7 item 16: each reception list's filters are parsed once (``reception/filters.py``),
so its page, its API endpoint and its export give the same rows for the same filters and
refuse the same invalid ones (the page: the error and no rows, never the whole list)."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from anju.core.services import api_token_create
from anju.reception.models import FollowUpTask, Opportunity, PhoneCall, Stage, TaskStatus
from anju.reception.selectors import local_today

pytestmark = pytest.mark.django_db

API = {"calls": "/api/v1/calls", "visits": "/api/v1/visits"}
PAGES = {"calls": "/reception/calls/", "visits": "/reception/visits/"}
TIME_FIELD = {"calls": "called_at", "visits": "arrived_at"}


def bearer(user):
    _token, secret = api_token_create(by=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def export_rows(response):
    assert response.status_code == 200, response.content
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1:]


def api_ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["items"]]


def page_rows(response):
    assert response.status_code == 200
    return list(response.context["page"].object_list)


def _local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _api_params(params):
    return {("project_id" if k == "project" else k): v for k, v in params.items()}


@pytest.mark.parametrize("what", ["calls", "visits"])
def test_calls_and_visits_agree_on_project_and_dates(world, login, log_call, what):
    """Same rows, same order, in the page, the API and the export (issue 7 item 16)."""
    user = world.users["manager"]
    client, auth = login(user), bearer(user)
    rows = list(
        (PhoneCall if what == "calls" else _visit_model())
        .objects.filter(project=world.projects["binhai"])
        .order_by(f"-{TIME_FIELD[what]}")
        .values_list(TIME_FIELD[what], flat=True)
    )
    assert len(rows) >= 3, "the demo world has rows to filter"
    newest, older = rows[0], rows[len(rows) // 2]
    params = {
        "project": world.projects["binhai"].pk,
        "date_from": timezone.localtime(older).date().isoformat(),
        "date_to": timezone.localtime(newest).date().isoformat(),
    }
    page = page_rows(client.get(PAGES[what], params))
    assert 0 < len(page) < 50  # one page: the whole result is compared
    expected = [
        r.pk
        for r in (PhoneCall if what == "calls" else _visit_model())
        .objects.filter(
            project=world.projects["binhai"],
            **{
                f"{TIME_FIELD[what]}__date__gte": params["date_from"],
                f"{TIME_FIELD[what]}__date__lte": params["date_to"],
            },
        )
        .order_by(f"-{TIME_FIELD[what]}", "-id")
    ]
    assert [r.pk for r in page] == expected
    api = api_ids(client.get(API[what], {**_api_params(params), "page_size": 500}, **auth))
    assert api == expected
    export = export_rows(client.get(f"/reception/export/{what}.csv", params))
    assert [row[0] for row in export] == [_local(getattr(r, TIME_FIELD[what])) for r in page]


def _visit_model():
    from anju.reception.models import Visit

    return Visit


@pytest.mark.parametrize("what", ["calls", "visits"])
@pytest.mark.parametrize(
    "params, field, status",
    [
        ({"date_from": "2026-03-02", "date_to": "2026-03-01"}, "date_to", 422),
        ({"date_from": "2026-02-30"}, "date_from", 422),
        ({"project": "yunjing"}, "project", 404),  # not the consultant's project
        ({"project": str(2**62)}, "project", 422),  # beyond any row: refused, not a 500
    ],
)
def test_calls_and_visits_refuse_bad_filters_everywhere(world, login, what, params, field, status):
    user = world.users["consultant"]
    client = login(user)
    params = dict(params)
    if params.get("project") in world.projects:
        params["project"] = world.projects[params["project"]].pk
    page = client.get(PAGES[what], params)
    assert page.status_code == 200 and field in page.context["form"].errors
    assert page_rows(page) == []
    api = client.get(API[what], _api_params(params), **bearer(user))
    assert api.status_code == status, api.content
    assert api.json()["field"] == ("project_id" if field == "project" else field)
    export = client.get(f"/reception/export/{what}.csv", params)
    assert export.status_code == (404 if status == 404 else 400)


@pytest.fixture
def opportunities(world, log_call):
    """Open and closed opportunities of the consultant (the demo adds its own)."""
    from anju.customers.models import Customer
    from anju.reception.services import opportunity_open

    customer = Customer.objects.filter(owner=world.users["consultant"]).first()
    made = []
    for stage in (Stage.CONTACT, Stage.NEEDS):
        made.append(
            opportunity_open(
                by=world.users["consultant"],
                customer=customer,
                project=None,
                products_of_interest="三房",
                expected_value=Decimal("1000000"),
                stage=stage,
            )
        )
    return made


@pytest.mark.parametrize(
    "params",
    [{}, {"state": "closed"}, {"state": "all"}, {"state": "all", "stage": "needs"}],
)
def test_opportunities_agree_and_default_to_open(world, login, opportunities, params):
    """No ``state`` means open in all three (it meant everything in the API before)."""
    user = world.users["consultant"]
    client = login(user)
    qs = Opportunity.objects.filter(consultant=user).order_by("-created_at", "-id")
    state = params.get("state", "open")
    if state == "open":
        qs = qs.exclude(stage__in=(Stage.WON, Stage.LOST))
    elif state == "closed":
        qs = qs.filter(stage__in=(Stage.WON, Stage.LOST))
    if params.get("stage"):
        qs = qs.filter(stage=params["stage"])
    expected = list(qs.values_list("pk", flat=True))
    page = [o.pk for o in page_rows(client.get("/reception/opportunities/", params))]
    api = api_ids(client.get("/api/v1/opportunities", {**params, "page_size": 500}, **bearer(user)))
    export = export_rows(client.get("/reception/export/opportunities.csv", params))
    assert page == api == expected[:50]
    assert len(export) == len(expected)
    if params.get("stage") == "needs":
        assert expected and {row[5] for row in export} == {str(Stage.NEEDS.label)}


@pytest.mark.parametrize("params", [{"state": "bogus"}, {"stage": "won-ish"}])
def test_opportunities_refuse_bad_filters_everywhere(world, login, params):
    """An unknown state was silently "all" in the API and "open" on the page: now refused."""
    user = world.users["consultant"]
    client = login(user)
    page = client.get("/reception/opportunities/", params)
    assert page.status_code == 200 and page.context["form"].errors
    assert page_rows(page) == []
    assert client.get("/api/v1/opportunities", params, **bearer(user)).status_code == 422
    assert client.get("/reception/export/opportunities.csv", params).status_code == 400


def test_my_overdue_tasks_agree_on_page_api_and_export(world, login):
    """The My tasks page's overdue bucket, ``GET /tasks?bucket=overdue`` and the page's
    export link (``mine=1``) list the same tasks; a bad bucket is refused by API and export."""
    user = world.users["consultant"]
    task = FollowUpTask.objects.filter(assignee=user).order_by("pk").first()
    assert task is not None, "the demo world gives the consultant tasks"
    FollowUpTask.objects.filter(pk=task.pk).update(
        status=TaskStatus.OPEN, due_date=local_today() - timedelta(days=3)
    )
    client = login(user)
    page = client.get("/reception/tasks/")
    assert "mine=1" in page.content.decode()
    overdue = [t.pk for t in page.context["buckets"].overdue]
    assert task.pk in overdue
    api = api_ids(client.get("/api/v1/tasks", {"bucket": "overdue"}, **bearer(user)))
    assert sorted(api) == sorted(overdue)
    export = export_rows(
        client.get("/reception/export/tasks.csv", {"mine": 1, "bucket": "overdue"})
    )
    assert len(export) == len(overdue)
    assert client.get("/api/v1/tasks", {"bucket": "soon"}, **bearer(user)).status_code == 422
    assert client.get("/reception/export/tasks.csv", {"bucket": "soon"}).status_code == 400
