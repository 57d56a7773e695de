"""The surveys API (SUR-*): prepare, open, call, answer, read the figures — the same rules
as the pages, with the error codes of docs/api.md."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from anju.surveys.models import SurveyResponse

pytestmark = pytest.mark.django_db

API = "/api/v1"


def _post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def test_a_survey_through_the_api(world, login):
    manager = login(world.users["servicemgr"])
    created = _post(
        manager,
        f"{API}/surveys",
        {
            "company_id": world.companies["sz"].pk,
            "touchpoint": "engineering",
            "population": "all_owners",
            "channel": "phone",
            "year": 2031,
        },
    )
    assert created.status_code == 201, created.content
    survey = created.json()
    assert survey["status"] == "draft" and survey["asked"] == 0
    assert survey["questions"][0]["text"] == "房屋结构与墙面、地面质量"
    opened = _post(manager, f"{API}/surveys/{survey['id']}/open")
    assert opened.status_code == 200 and opened.json()["asked"] > 0
    again = _post(manager, f"{API}/surveys/{survey['id']}/open")
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"

    agent = login(world.users["service"])
    to_call = agent.get(f"{API}/surveys/{survey['id']}/to-call").json()["items"]
    assert to_call and all(
        "*" not in row["customer_name"] or row["customer_id"] is None for row in to_call
    )
    first = to_call[0]["id"]
    bad = _post(
        agent,
        f"{API}/survey-responses/{first}/answers",
        {"answers": [{"question_id": survey["questions"][0]["id"], "value": "9"}]},
    )
    assert bad.status_code == 422 and bad.json()["field"] == f"q{survey['questions'][0]['id']}"
    values = {"indicator": "2", "satisfaction": "2", "buy_again": "1", "recommend": "1", "nps": "8"}
    answers = [
        {"question_id": q["id"], "value": values[q["measure"]]}
        for q in survey["questions"]
        if q["measure"] in values
    ]
    done = _post(agent, f"{API}/survey-responses/{first}/answers", {"answers": answers})
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "answered", done.json()
    twice = _post(agent, f"{API}/survey-responses/{first}/answers", {"answers": answers})
    assert twice.status_code == 409 and twice.json()["code"] == "already_answered"
    assert SurveyResponse.objects.unscoped("test").get(pk=first).taken_by == world.users["service"]

    second = to_call[1]["id"]
    agent = login(world.users["service"])
    missed = _post(agent, f"{API}/survey-responses/{second}/call-outcome", {"outcome": "no_answer"})
    assert missed.status_code == 200 and missed.json()["calls"] == 1
    manager = login(world.users["servicemgr"])
    closed = _post(manager, f"{API}/surveys/{survey['id']}/close")
    assert closed.json()["status"] == "closed" and closed.json()["answered"] == 1


def test_who_may_do_what(world, login):
    consultant = login(world.users["consultant"])
    assert consultant.get(f"{API}/surveys").status_code == 403
    assert consultant.get(f"{API}/survey-figures").status_code == 403
    agent = login(world.users["service"])
    refused = _post(
        agent,
        f"{API}/surveys",
        {
            "company_id": world.companies["sz"].pk,
            "touchpoint": "repair",
            "population": "all_owners",
            "channel": "phone",
            "year": 2031,
        },
    )
    assert refused.status_code == 403
    # the person who follows up is one of the company's: 珠海's consultant is "not found"
    manager = login(world.users["group"])
    outsider = _post(
        manager,
        f"{API}/surveys",
        {
            "company_id": world.companies["sz"].pk,
            "touchpoint": "repair",
            "population": "all_owners",
            "channel": "phone",
            "year": 2031,
            "follow_up_by_id": world.users["consultant_zh"].pk,
        },
    )
    assert outsider.status_code == 404 and outsider.json()["field"] == "follow_up_by_id"
    agent = login(world.users["service"])
    zh = SurveyResponse.objects.unscoped("test").filter(company__code="zh").first()
    assert agent.get(f"{API}/surveys/{zh.survey_id}").status_code == 404  # 珠海's


def test_the_figures_read_a_fixed_number_of_queries(world, login):
    client = login(world.users["group"])
    with CaptureQueriesContext(connection) as ctx:
        answer = client.get(f"{API}/survey-figures")
    assert answer.status_code == 200
    sales = next(tp for tp in answer.json() if tp["touchpoint"] == "sales")
    assert [c["rank"] for c in sales["companies"]] == [1, 2]
    assert sales["group"]["answered"] == sales["figures"]["answered"] > 0
    assert len(ctx.captured_queries) <= 12
