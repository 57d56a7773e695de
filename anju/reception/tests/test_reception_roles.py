"""Issue 9 item 5: reception writes are sales work. The sales roles log calls and visits,
the call centre calls; an engineer, a steward or a service agent gets 403 on the page and
the API, nothing is written, and the menu and the forms do not offer it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from anju.core.errors import NotPermitted
from anju.core.events import Event
from anju.core.services import api_token_create
from anju.customers.models import Customer
from anju.reception.models import PhoneCall, Visit
from anju.reception.services import call_log, visit_register

pytestmark = pytest.mark.django_db

NOW = timezone.now


def bearer(user):
    _token, secret = api_token_create(by=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def counts():
    return (
        PhoneCall.objects.count(),
        Visit.objects.count(),
        Customer.objects.count(),
        Event._base_manager.count(),
    )


def call_form(world):
    return {
        "project": world.projects["binhai"].pk,
        "called_at": (timezone.localtime() - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
        "phone": "13812349901",
        "name": "钱多多",
        "gender": "M",
        "source": "online",
        "rings": "2",
        "answer_seconds": "5",
        "duration_minutes": "3",
    }


def visit_form(world):
    now = timezone.localtime()
    return {
        "project": world.projects["binhai"].pk,
        "phone": "13812349902",
        "name": "孙小美",
        "gender": "F",
        "source": "walk_by",
        "party_size": "1",
        "arrived_at": (now - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M:%S"),
        "reception_started_at": (now - timedelta(minutes=19)).strftime("%Y-%m-%dT%H:%M:%S"),
    }


def api_call(world):
    return {
        "project_id": world.projects["binhai"].pk,
        "rings": 2,
        "answer_seconds": 5,
        "duration_seconds": 200,
        "phone": "13812349903",
        "name": "钱七",
    }


def api_visit(world):
    now = timezone.now()
    return {
        "project_id": world.projects["binhai"].pk,
        "arrived_at": (now - timedelta(minutes=20)).isoformat(),
        "reception_started_at": (now - timedelta(minutes=19)).isoformat(),
        "phone": "13812349904",
        "name": "王五",
    }


@pytest.mark.parametrize("who", ["engineer", "steward", "service"])
def test_roles_outside_sales_may_not_log_calls_or_visits(world, login, client, who):
    user = world.users[who]
    before = counts()
    page = login(user)
    assert page.get("/reception/calls/new/").status_code == 403
    assert page.get("/reception/visits/new/").status_code == 403
    assert page.post("/reception/calls/new/", call_form(world)).status_code == 403
    assert page.post("/reception/visits/new/", visit_form(world)).status_code == 403
    auth = bearer(user)
    created = client.post("/api/v1/calls", api_call(world), content_type="application/json", **auth)
    assert created.status_code == 403, created.content
    created = client.post(
        "/api/v1/visits", api_visit(world), content_type="application/json", **auth
    )
    assert created.status_code == 403, created.content
    assert counts() == before
    with pytest.raises(NotPermitted):
        call_log(
            by=user,
            project=world.projects["binhai"],
            rings=1,
            answer_seconds=3,
            duration_seconds=60,
            phone="13812349905",
            name="测试",
        )
    assert counts() == before


def test_the_call_centre_logs_calls_but_not_visits(world, login):
    client = login(world.users["callcentre"])
    assert client.get("/reception/calls/new/").status_code == 200
    assert client.get("/reception/visits/new/").status_code == 403
    desk = client.get("/reception/calls/").content.decode()
    assert 'data-testid="log-call"' in desk and 'data-testid="register-visit"' not in desk


def test_sales_roles_log_both_and_see_both_buttons(world, login):
    for who in ("consultant", "keyaccount", "manager"):
        client = login(world.users[who])
        desk = client.get("/reception/calls/").content.decode()
        assert 'data-testid="log-call"' in desk and 'data-testid="register-visit"' in desk, who
    response = login(world.users["keyaccount"]).post("/reception/visits/new/", visit_form(world))
    assert (
        response.status_code == 302
        and Visit.objects.filter(
            customer__phone="13812349902", consultant=world.users["keyaccount"]
        ).exists()
    )


def test_the_menu_offers_reception_to_sales_and_not_to_an_engineer(world, login):
    assert "/reception/calls/" not in login(world.users["engineer"]).get("/").content.decode()
    assert "/reception/calls/" in login(world.users["consultant"]).get("/").content.decode()


def test_a_consultant_named_on_a_visit_must_be_sales(world):
    from anju.core.errors import ApplicationError

    with pytest.raises(ApplicationError) as refused:
        visit_register(
            by=world.users["manager"],
            project=world.projects["binhai"],
            arrived_at=NOW() - timedelta(minutes=10),
            reception_started_at=NOW() - timedelta(minutes=9),
            phone="13812349906",
            name="赵敏",
            consultant=world.users["engineer"],
        )
    assert refused.value.field == "consultant"
    assert not Visit.objects.filter(customer__phone="13812349906").exists()
