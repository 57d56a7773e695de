"""Launch day under concurrency (QUE-1, SUB-1, issue 12 item 2): PostgreSQL, real threads,
one connection each, over HTTP as the tablets send it.

While a launch sells a building, only the number being called may hold one of its units
(a waiting number is refused at once, ``test_pages``). So the race left is the called
customer's own consultant holding the unit with the called number on his tablet at the
moment the screen chooses it: one hold, the other told the unit is taken — never a
deadlock's 500, nothing half-written.

Every hold locks the unit first. One request (each in turn) goes first; the other starts once
the first has locked the unit, and the first waits there (``pause_after``) until the other is
blocked on that lock, so both outcomes are checked with the two really overlapping.
"""

import json
import threading

import pytest
from django.test import Client

from anju.core.testing import requires_postgres, run_at_once
from anju.deals.models import LaunchDay, QueueStatus, QueueTicket, Subscription
from anju.deals.services import launch_call_next, launch_open, queue_number_issue
from anju.deals.services import subscriptions as subscriptions_module

TAKEN = "该房源已不可售：已被其他认购占用。"


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def launch_day(world, make_customer, available_unit):
    """A running launch of 滨海花园 with one unit on sale: the consultant's customer's number
    is called now; the manager's customer's number, issued after it, still waits."""
    project = world.projects["binhai"]
    consultant, manager = world.users["consultant"], world.users["manager"]
    LaunchDay.objects.filter(project=project).delete()
    unit = available_unit()
    called = queue_number_issue(by=consultant, project=project, customer=make_customer(name="甲"))
    waiting = queue_number_issue(
        by=manager, project=project, customer=make_customer(name="乙", by="manager")
    )
    launch = launch_open(by=consultant, project=project, buildings=[unit.building])
    for _earlier in range(500):  # the demo's earlier numbers come first
        if launch_call_next(by=consultant, launch=launch) in (called, None):
            break
    launch.refresh_from_db()
    fresh = QueueTicket.objects.in_bulk([called.pk, waiting.pk])
    return launch, unit, fresh[called.pk], fresh[waiting.pk]


@pytest.fixture
def unit_locked(monkeypatch):
    """Set once a hold has locked the unit (and found it available): the second request
    starts then, while the first holds the lock (paused there by ``run_at_once``)."""
    locked = threading.Event()
    real = subscriptions_module._lock_available_unit

    def lock_and_tell(unit):
        unit = real(unit)
        locked.set()
        return unit

    monkeypatch.setattr(subscriptions_module, "_lock_available_unit", lock_and_tell)
    return locked


def _status(ticket):
    return QueueTicket.objects.get(pk=ticket.pk).status


@requires_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first", ["launch", "tablet"])
def test_the_launch_and_the_numbers_own_consultant_choosing_one_unit_at_once(
    world, launch_day, unit_locked, first
):
    """The called customer's own consultant holds the unit on his tablet with the called
    number itself at the moment the screen (driven by the manager) chooses it for that
    number: one hold, the other refused — never a deadlock's 500."""
    launch, unit, called, _other = launch_day
    screen = _client(world.users["manager"])
    tablet = _client(world.users["consultant"])

    def choose(who):
        if who != first:
            assert unit_locked.wait(timeout=30)
        if who == "launch":
            answer = screen.post(f"/deals/launch/{launch.pk}/choose/", {"unit": unit.pk})
            return who, answer.status_code, answer.get("Location", "")
        answer = tablet.post(
            "/api/v1/subscriptions",
            data=json.dumps(
                {
                    "unit_id": unit.pk,
                    "customer_id": called.customer_id,
                    "queue_ticket_id": called.pk,
                }
            ),
            content_type="application/json",
        )
        return who, answer.status_code, answer.json()

    done, refused, errors = run_at_once(
        choose,
        ["launch", "tablet"],
        pause_after=[(subscriptions_module, "_lock_available_unit")],
    )
    assert not errors and not refused, (errors, refused)
    answers = {who: (status, body) for who, status, body in done}
    holder = Subscription.objects.filter(unit=unit, status__in=["draft", "subscribed"]).get()
    assert holder.queue_ticket_id == called.pk and _status(called) == QueueStatus.USED
    assert Subscription.objects.filter(queue_ticket=called).count() == 1
    launch.refresh_from_db()
    if first == "launch":
        assert answers["launch"] == (302, f"/deals/subscriptions/{holder.pk}/")
        assert answers["tablet"][0] == 409 and answers["tablet"][1]["code"] == "unit_taken"
        assert launch.current_id is None
    else:
        assert answers["tablet"][0] == 201 and answers["tablet"][1]["id"] == holder.pk
        assert answers["launch"] == (302, f"/deals/launch/{launch.pk}/")
        assert TAKEN in screen.get(f"/deals/launch/{launch.pk}/").content.decode()
