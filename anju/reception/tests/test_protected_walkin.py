"""Issue 9 item 3: a walk-in of a colleague's protected customer is registered, not refused.

Mirrors the protected caller (issue 7 item 1): the visit goes on that customer, credited to
his owner, who gets a follow-up task in his own name; the consultant who received the visitor
is recorded and learns only that the customer is protected — the same across projects of the
company, since protection is company-wide.
"""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from anju.customers.models import Customer
from anju.reception.models import FollowUpTask, TaskKind, Visit

from .test_protected_caller import assert_nothing_leaks, says_protected

pytestmark = pytest.mark.django_db

PHONE = "13812340001"


@pytest.fixture
def protected(world, log_call):
    result = log_call(visit_wanted=True, questions="问价格")
    customer = result.customer
    customer.refresh_from_db()
    assert customer.owner_id == world.users["consultant"].pk and customer.protected_until
    return customer


def receivers(world, colleague):
    return {
        "colleague on the same project": (colleague, world.projects["binhai"]),
        "consultant of another project": (world.users["consultant2"], world.projects["yunjing"]),
    }


CASES = ["colleague on the same project", "consultant of another project"]


def _form(project, **extra):
    now = timezone.localtime()
    return {
        "project": project.pk,
        "phone": "138 1234 0001",
        "name": "张先生",
        "gender": "M",
        "source": "walk_by",
        "party_size": "2",
        "arrived_at": (now - timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M:%S"),
        "reception_started_at": (now - timedelta(minutes=2, seconds=30)).strftime(
            "%Y-%m-%dT%H:%M:%S"
        ),
        **extra,
    }


@pytest.mark.parametrize("case", CASES)
def test_walkin_of_protected_customer_is_registered_for_the_owner(
    world, colleague, login, protected, case
):
    receiver, project = receivers(world, colleague)[case]
    owner = protected.owner
    until = protected.protected_until
    client = login(receiver)
    response = client.post("/reception/visits/new/", _form(project), follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert says_protected(page)
    assert_nothing_leaks(page, protected, "the visit form's answer")
    visit = Visit.objects.get(customer=protected)
    # credited to the owner, received by the colleague, in the sales office he came to
    assert visit.consultant_id == owner.pk
    assert visit.received_by_id == receiver.pk
    assert visit.project_id == project.pk
    assert visit.waiting_seconds == 30  # the metrics are kept
    # the owner is told, in a task of his own, in his customer's project
    task = FollowUpTask.objects.get(customer=protected, kind=TaskKind.VISIT_BY_COLLEAGUE)
    assert task.assignee_id == owner.pk and task.project_id == protected.project_id
    assert task.due_date == timezone.localdate()
    assert task.source == visit
    # ownership and protection are the owner's as before; nothing moved to the receiver
    protected.refresh_from_db()
    assert protected.owner_id == owner.pk and protected.protected_until == until
    # the receiver cannot open the visit or find the customer through it
    assert client.get(f"/reception/visits/{visit.pk}/").status_code == 404
    listed = client.get("/reception/visits/").content.decode()
    assert_nothing_leaks(listed, protected, "the receiver's visit list")
    # the owner sees the visit of his customer, and who received him
    owner_client = login(owner)
    detail = owner_client.get(f"/reception/visits/{visit.pk}/").content.decode()
    assert protected.name in detail and str(receiver) in detail
    assert task.title in owner_client.get("/reception/tasks/").content.decode()


def test_api_walkin_of_protected_customer(world, login, protected):
    receiver = world.users["consultant2"]
    client = login(receiver)
    now = timezone.localtime()
    response = client.post(
        "/api/v1/visits",
        json.dumps(
            {
                "project_id": world.projects["yunjing"].pk,
                "arrived_at": (now - timedelta(minutes=2)).isoformat(),
                "phone": PHONE,
                "name": "张先生",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["protected_elsewhere"] is True
    assert body["visit"]["customer_id"] is None
    assert body["visit"]["received_by_id"] == receiver.pk
    assert body["visit"]["consultant_id"] == protected.owner_id
    assert_nothing_leaks(json.dumps(body, ensure_ascii=False), protected, "POST /api/v1/visits")


def test_manager_of_the_receiving_project_sees_the_visit_but_not_the_customer(
    world, login, protected, yunjing_manager
):
    """A 云境 manager oversees his sales office's visits; the customer is 滨海花园's."""
    from anju.reception.services import visit_register

    manager = yunjing_manager
    visit_register(
        by=world.users["consultant2"],
        project=world.projects["yunjing"],
        arrived_at=timezone.now(),
        phone=PHONE,
        name="张先生",
    )
    visit = Visit.objects.get(customer=protected)
    assert not Customer.objects.visible_to(manager).filter(pk=protected.pk).exists()
    client = login(manager)
    for url in (f"/reception/visits/{visit.pk}/", "/reception/visits/"):
        page = client.get(url)
        assert page.status_code == 200
        text = page.content.decode()
        assert 'data-testid="protected-visitor"' in text
        # The consultant credited is staff, not the customer's data: a manager sees who.
        for secret in (protected.name, protected.code, PHONE, f"/customers/{protected.pk}/"):
            assert secret not in text, f"{url} leaks {secret!r}"


def test_api_walkin_of_protected_customer_does_not_link_his_consultant_s_booking_call(
    world, login, log_call
):
    booking = log_call(visit_booked_for=timezone.now() + timedelta(minutes=1)).call  # 李娜's
    client = login(world.users["consultant2"])
    response = client.post(
        "/api/v1/visits",
        json.dumps(
            {
                "project_id": world.projects["yunjing"].pk,
                "arrived_at": timezone.localtime().isoformat(),
                "phone": PHONE,
                "name": "张先生",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["protected_elsewhere"] is True
    visit = Visit.objects.get(pk=body["visit"]["id"])
    assert visit.booked_call_id == booking.pk  # linked, for the owner's records
    assert body["visit"]["booked_call_id"] is None  # not told to the receiver
