"""Issue 9 item 2: simultaneous calls of one customer the same day still fold into one open
task of each kind (real threads, each with its own PostgreSQL connection).

The window between "is there an open task of the day?" and creating one is widened with a
barrier: without a lock every caller finds none and creates his own; the customer row the call
locks (registration finds it FOR UPDATE) makes the others wait, and then they fold.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from anju.core.testing import requires_postgres, run_at_once
from anju.reception.models import FollowUpTask
from anju.reception.services import calls as call_services
from anju.reception.services import tasks as task_services

CALLERS = 3
PHONE = "13812349911"


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_calls_of_one_customer_fold_into_one_task_per_kind(world, no_sms_senders):
    """(Without messaging's sender the SMS task stays open, so the fold can be counted.)"""
    owner, project = world.users["consultant"], world.projects["binhai"]
    values = {"rings": 2, "answer_seconds": 5, "duration_seconds": 60, "phone": PHONE}
    first = call_services.call_log(
        by=owner,
        project=project,
        name="钱七",
        called_at=timezone.now() - timedelta(days=2),  # registered before: no same-day tasks
        **values,
    )
    customer = first.customer

    def call(_n):
        call_services.call_log(by=owner, project=project, name="钱七", **values)

    # every caller waits after "is there an open task of the day?" for the others
    _done, refused, errors = run_at_once(
        call, range(CALLERS), pause_after=[(task_services, "_open_task_of_the_day")]
    )
    assert not refused, refused
    assert not errors, errors
    today = timezone.localdate()
    of_today = FollowUpTask.objects.filter(customer=customer, status="open").exclude(
        pk__in=[t.pk for t in first.tasks]
    )
    assert sorted(of_today.values_list("kind", flat=True)) == ["follow_up", "sms"]
    sms = of_today.get(kind="sms")
    assert sms.due_date == today and sms.calls.count() == CALLERS
