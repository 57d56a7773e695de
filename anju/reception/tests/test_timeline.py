"""CUS-6: calls, visits, tasks and opportunities appear on the customer's timeline, scoped."""

import pytest

from anju.customers.timeline import timeline_for
from anju.reception import services

pytestmark = pytest.mark.django_db


def test_reception_records_on_the_customer_timeline(world, log_call, django_assert_max_num_queries):
    result = log_call(visit_wanted=True)
    customer = result.customer
    services.opportunity_open(
        by=world.users["consultant"],
        customer=customer,
        products_of_interest="三房",
        expected_value=1,
    )
    # + the notes (customers.notes), the club (points, tiers, events), messaging's messages,
    # the service desk's tickets and revisits (one UNION)
    with django_assert_max_num_queries(16):  # + delivery and repairs (SVC-7)
        entries = timeline_for(world.users["consultant"], customer)
    kinds = [e.kind for e in entries]
    assert kinds.count("call") == 1 and kinds.count("task") == 2 and kinds.count("opportunity") == 1
    reception = [e for e in entries if e.kind in ("call", "visit", "task", "opportunity")]
    assert all(e.url.startswith("/reception/") for e in reception)
    # the generic event provider leaves out reception.* events: the call is not listed twice
    assert not any(e.kind == "event" and "call" in e.title.lower() for e in entries)
    assert timeline_for(world.users["consultant_zh"], customer) == []


def test_merge_handler_moves_reception_records(world, log_call):
    from anju.reception.merging import move_reception_records
    from anju.reception.models import FollowUpTask, PhoneCall

    a = log_call(phone="13812348001", name="甲").customer
    b = log_call(phone="13812348002", name="甲").customer
    moved = move_reception_records(duplicate=b, survivor=a)
    assert moved["phonecall"] == 1 and moved["followuptask"] == 2  # thank-you SMS, follow-up
    assert PhoneCall.objects.filter(customer=b).count() == 0
    assert FollowUpTask.objects.filter(customer=a).count() == 4
    assert move_reception_records(duplicate=b, survivor=a)["phonecall"] == 0


def test_a_call_s_unrecorded_figures_read_as_not_recorded(world, log_call):
    """The 360° timeline said '通话 ?' for a duration nobody noted (issue 9 walk): it says so."""
    from django.utils.translation import override

    consultant = world.users["consultant"]
    noted = log_call(phone="13812348011", rings=2, duration_seconds=245).customer
    unnoted = log_call(phone="13812348012", rings=None, duration_seconds=None).customer
    with override("zh-hans"):
        [call] = [e for e in timeline_for(consultant, noted) if e.kind == "call"]
        assert call.title == "来电（铃响 2 声，通话 4:05）"
        [call] = [e for e in timeline_for(consultant, unnoted) if e.kind == "call"]
        assert call.title == "来电（铃响次数未记录，通话时长未记录）"
    with override("en"):
        [call] = [e for e in timeline_for(consultant, unnoted) if e.kind == "call"]
        assert "?" not in call.title and "not recorded" in call.title
