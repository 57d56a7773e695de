"""Issue 10 item 6: ``seed_activity`` adds consistent reception activity for the benchmarks.

Tiny counts here; the bench runs it with 100k calls at 1M customers (COPY on PostgreSQL).
"""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from anju.core.models import Event
from anju.customers.models import Customer
from anju.customers.timeline import timeline_for
from anju.reception.management.commands.seed_activity import LONG_HISTORY, LONG_HISTORY_NAME
from anju.reception.models import FollowUpTask, Opportunity, PhoneCall, TaskStatus, Visit

pytestmark = pytest.mark.django_db

COUNTS = {"calls": 60, "visits": 30, "tasks": 90, "opportunities": 12}


def _seed(**counts):
    out = io.StringIO()
    call_command("seed_activity", **{**COUNTS, **counts}, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(world):
    call_command("seed_customers", customers=80, consultants=2, stdout=io.StringIO())
    _seed()
    return world


def test_counts_are_totals_and_a_second_run_tops_up(seeded):
    assert PhoneCall.objects.count() >= COUNTS["calls"]
    before = PhoneCall.objects.count()
    assert "nothing to add" in _seed()
    assert PhoneCall.objects.count() == before  # already at the totals: nothing added
    _seed(calls=before + 20, visits=0, tasks=0, opportunities=0)
    assert PhoneCall.objects.count() == before + 20


def test_rows_belong_to_the_customers_project_and_owner_and_are_in_the_past(seeded):
    now = timezone.now()
    for model, who, when in (
        (PhoneCall, "consultant", "called_at"),
        (Visit, "consultant", "arrived_at"),
        (Opportunity, "consultant", "created_at"),
        (FollowUpTask, "assignee", "created_at"),
    ):
        rows = model.objects.unscoped("test").exclude(customer=None)
        assert rows.exists()
        assert not rows.exclude(project_id=F("customer__project_id")).exists(), model
        assert not rows.exclude(company_id=F("customer__company_id")).exists(), model
        assert not rows.exclude(**{f"{who}_id": F("customer__owner_id")}).exists(), model
        assert not rows.filter(**{f"{when}__gt": now}).exists(), model
        assert not rows.filter(**{f"{when}__lt": F("customer__created_at")}).exists(), model
    # a visited customer is no longer a lead; done tasks were done, open ones not
    assert not Customer.objects.filter(visits__isnull=False, status="lead").exists()
    assert not FollowUpTask.objects.filter(status=TaskStatus.DONE, done_at=None).exists()
    assert not FollowUpTask.objects.filter(status=TaskStatus.OPEN, done_at__isnull=False).exists()
    # every bulk call has its event, about its customer
    call = PhoneCall.objects.unscoped("test").exclude(customer=None).first()
    assert Event.objects.filter(
        verb="reception.call_logged", target_id=call.pk, subject_id=call.customer_id
    ).exists()


def test_one_long_history_customer_per_company_with_a_heavy_timeline(seeded):
    longs = list(Customer.objects.filter(name=LONG_HISTORY_NAME).select_related("owner"))
    assert {c.company.code for c in longs} == {"sz", "zh"}
    sz = next(c for c in longs if c.company.code == "sz")
    assert sz.owner.username == "consultant"  # the demo login sees him
    assert sz.calls.count() == LONG_HISTORY["calls"]
    assert sz.visits.count() == LONG_HISTORY["visits"]
    assert sz.followup_tasks.count() == LONG_HISTORY["tasks"]
    assert (
        Event.objects.filter(subject_id=sz.pk, verb__startswith="customer.").count()
        >= LONG_HISTORY["events"]
    )
    entries = timeline_for(seeded.users["management"], sz, limit=100)
    assert len(entries) == 100
    assert {"call", "visit", "task", "event"} <= {e.kind for e in entries}
    # a second run does not add another
    _seed()
    assert Customer.objects.filter(name=LONG_HISTORY_NAME).count() == len(longs)


def test_refuses_negative_counts(world):
    with pytest.raises(CommandError):
        call_command("seed_activity", calls=-1, stdout=io.StringIO())
