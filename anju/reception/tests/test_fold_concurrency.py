"""Issue 9 item 2: simultaneous calls of one customer the same day still fold into one open
task of each kind (real threads, each with its own PostgreSQL connection).

The window between "is there an open task of the day?" and creating one is widened with a
barrier: without a lock every caller finds none and creates his own; the customer row the call
locks (registration finds it FOR UPDATE) makes the others wait, and then they fold.
"""

import contextlib
import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from anju.core.testing import requires_postgres
from anju.reception.models import FollowUpTask
from anju.reception.services import calls as call_services
from anju.reception.services import tasks as task_services

CALLERS = 3
PHONE = "13812349911"


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_calls_of_one_customer_fold_into_one_task_per_kind(world):
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
    start = threading.Barrier(CALLERS)
    checked = threading.Barrier(CALLERS)
    real_check = task_services._open_task_of_the_day

    def check_then_wait_for_the_others(**kwargs):
        found = real_check(**kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            checked.wait(timeout=3)
        return found

    errors = []

    def call():
        try:
            start.wait(timeout=30)
            try:
                call_services.call_log(by=owner, project=project, name="钱七", **values)
            finally:
                connection.close()
        except Exception as exc:  # noqa: BLE001 — collected and asserted below
            errors.append(exc)

    with mock.patch.object(task_services, "_open_task_of_the_day", check_then_wait_for_the_others):
        threads = [threading.Thread(target=call) for _ in range(CALLERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)

    assert not errors, errors
    today = timezone.localdate()
    of_today = FollowUpTask.objects.filter(customer=customer, status="open").exclude(
        pk__in=[t.pk for t in first.tasks]
    )
    assert sorted(of_today.values_list("kind", flat=True)) == ["follow_up", "sms"]
    sms = of_today.get(kind="sms")
    assert sms.due_date == today and sms.calls.count() == CALLERS
