"""Issue 9 item 6: the reception measures are entered, never defaulted, and what was not
recorded is shown as missing in the metrics (接待指标), not as meeting the standard."""

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from anju.reception import selectors
from anju.reception.models import PhoneCall, Visit
from anju.reception.services import call_log, visit_register

pytestmark = pytest.mark.django_db


def _form_inputs(html, name):
    return re.findall(rf'<input[^>]*name="{name}"[^>]*>', html)


def test_call_and_visit_forms_prefill_no_measure(world, login):
    client = login(world.users["consultant"])
    call_page = client.get("/reception/calls/new/").content.decode()
    for name in ("rings", "answer_seconds", "duration_minutes"):
        (tag,) = _form_inputs(call_page, name)
        assert "value=" not in tag, tag
    visit_page = client.get("/reception/visits/new/").content.decode()
    for name in ("arrived_at", "reception_started_at"):
        (tag,) = _form_inputs(visit_page, name)
        assert "value=" not in tag, tag
    # The moment the form was opened is recorded instead, and the stamp buttons are there.
    opened = _form_inputs(visit_page, "form_opened_at")[-1]  # the visit form's own
    assert 'type="hidden"' in opened and "value=" in opened
    assert 'data-stamp="id_arrived_at"' in visit_page
    assert 'data-stamp="id_reception_started_at"' in visit_page
    assert "reception/stamp.js" in visit_page


def test_unchanged_call_form_meets_no_standard(world, login):
    """Saving the call form without entering rings stores "not recorded", not 2 rings."""
    client = login(world.users["consultant"])
    opened = timezone.localtime() - timedelta(minutes=3)
    response = client.post(
        "/reception/calls/new/",
        {
            "project": world.projects["binhai"].pk,
            "called_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "form_opened_at": opened.strftime("%Y-%m-%dT%H:%M:%S"),
            "phone": "13812347701",
            "name": "钱多多",
            "gender": "M",
            "source": "hotline",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    call = PhoneCall.objects.get(phone="13812347701")
    assert call.rings is None and call.answer_seconds is None and call.duration_seconds is None
    assert call.answered_in_time is None and call.too_long is None
    assert call.form_opened_at == opened.replace(microsecond=0)
    detail = client.get(response["Location"]).content.decode()
    assert "within 3 rings" not in detail and "3 声以内" not in detail


def test_visit_without_reception_start_has_no_wait(world):
    now = timezone.now()
    result = visit_register(
        by=world.users["consultant"],
        project=world.projects["binhai"],
        arrived_at=now - timedelta(minutes=5),
        phone="13812347702",
        name="孙悟空",
    )
    assert result.visit.reception_started_at is None
    assert result.visit.waiting_seconds is None and result.visit.waited_in_time is None


def test_metrics_count_missing_values_as_missing_not_met(world, login):
    manager = world.users["manager"]
    consultant = world.users["consultant"]
    project = world.projects["binhai"]
    day = timezone.localdate() - timedelta(days=400)  # a period with nothing else in it
    at = timezone.make_aware(timezone.datetime(day.year, day.month, day.day, 10, 0))
    call_log(
        by=consultant,
        project=project,
        called_at=at,
        rings=2,
        phone="13812347703",
        name="甲",
        duration_seconds=60,
    )
    call_log(
        by=consultant,
        project=project,
        called_at=at,
        rings=5,
        phone="13812347704",
        name="乙",
        duration_seconds=60,
    )
    call_log(by=consultant, project=project, called_at=at, phone="13812347705", name="丙")
    visit_register(
        by=consultant,
        project=project,
        arrived_at=at,
        phone="13812347706",
        name="丁",
        reception_started_at=at + timedelta(seconds=20),
    )
    visit_register(by=consultant, project=project, arrived_at=at, phone="13812347707", name="戊")
    m = selectors.reception_metrics(manager, project=project, date_from=day, date_to=day)
    t = m.total
    assert (t.calls, t.rings_recorded, t.answered_in_time, t.rings_missing) == (3, 2, 1, 1)
    assert t.answered_in_time_pct == 50.0  # 1 of the 2 measured; the blank one is not "met"
    assert (t.durations_recorded, t.durations_missing) == (2, 1)
    assert (t.visits, t.waits_recorded, t.waited_in_time, t.waits_missing) == (2, 1, 1, 1)
    assert t.waited_in_time_pct == 100.0
    (row,) = m.by_consultant
    assert row.rings_missing == 1 and row.waits_missing == 1

    client = login(manager)
    page = client.get(
        "/reception/metrics/",
        {"project": project.pk, "date_from": day.isoformat(), "date_to": day.isoformat()},
    ).content.decode()
    assert 'data-testid="rings-missing"' in page and 'data-testid="waits-missing"' in page
    assert 'data-testid="answered-in-time">50.0%' in page


def test_api_accepts_and_returns_unrecorded_measures(world, login):
    client = login(world.users["consultant"])
    project = world.projects["binhai"]
    response = client.post(
        "/api/v1/calls",
        json.dumps({"project_id": project.pk, "phone": "13812347708", "name": "己"}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    call = response.json()["call"]
    assert call["rings"] is None and call["duration_seconds"] is None
    now = timezone.localtime()
    response = client.post(
        "/api/v1/visits",
        json.dumps(
            {
                "project_id": project.pk,
                "arrived_at": (now - timedelta(minutes=2)).isoformat(),
                "phone": "13812347709",
                "name": "庚",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    visit = response.json()["visit"]
    assert visit["reception_started_at"] is None and visit["waiting_seconds"] is None
    assert Visit.objects.get(pk=visit["id"]).waited_in_time is None
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert "rings" not in schema["CallIn"].get("required", [])
    assert "reception_started_at" not in schema["VisitIn"].get("required", [])
