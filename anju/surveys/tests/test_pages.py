"""The surveys pages: prepare and open a survey, ask on the phone, read the figures."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from anju.reception.models import FollowUpTask
from anju.surveys.models import ResponseStatus, Survey, SurveyResponse

pytestmark = pytest.mark.django_db


def test_a_service_manager_prepares_opens_and_an_agent_asks_on_the_phone(world, login):
    manager = login(world.users["servicemgr"])
    answer = manager.post(
        "/surveys/new/",
        {
            "company": world.companies["sz"].pk,
            "touchpoint": "repair",
            "population": "all_owners",
            "channel": "phone",
            "year": 2031,
            "follow_up_by": world.users["engineer"].pk,
        },
    )
    survey = Survey.objects.unscoped("test").get(year=2031)
    assert answer.status_code == 302 and answer["Location"] == f"/surveys/{survey.pk}/"
    assert manager.post(f"/surveys/{survey.pk}/open/").status_code == 302
    agent = login(world.users["service"])
    page = agent.get(f"/surveys/{survey.pk}/").content.decode()
    response = SurveyResponse.objects.unscoped("test").filter(survey=survey).first()
    assert f"/surveys/responses/{response.pk}/" in page
    form = agent.get(f"/surveys/responses/{response.pk}/").context["form"]
    values = {}
    for name, field in form.fields.items():
        choices = [v for v, _l in getattr(field, "choices", [])]
        values[name] = choices[0] if choices else "上门时间准时"  # 1 of 5: very dissatisfied
    done = agent.post(f"/surveys/responses/{response.pk}/", values)
    assert done.status_code == 302
    response.refresh_from_db()
    assert (
        response.status == ResponseStatus.ANSWERED and response.taken_by == world.users["service"]
    )
    task = FollowUpTask.objects.unscoped("test").get(pk=response.follow_up_task_id)
    assert task.assignee == world.users["engineer"]
    detail = agent.get(f"/surveys/{survey.pk}/").content.decode()
    assert 'data-testid="survey-unhappy"' in detail
    # the manager follows the visit: who makes it, whether it is done, what came of it
    manager = login(world.users["servicemgr"])
    detail = manager.get(f"/surveys/{survey.pk}/").content.decode()
    assert f"/reception/tasks/{task.pk}/" in detail and str(task.assignee) in detail


def test_a_form_error_keeps_the_answers_unwritten(world, login):
    survey = Survey.objects.unscoped("test").get(
        touchpoint="repair", status="open", company__code="sz"
    )
    response = SurveyResponse.objects.unscoped("test").filter(survey=survey).first()
    page = login(world.users["service"]).post(f"/surveys/responses/{response.pk}/", {})
    assert page.status_code == 200 and "invalid-feedback" in page.content.decode()
    response.refresh_from_db()
    assert response.status == ResponseStatus.INVITED


def test_the_survey_list_reads_a_fixed_number_of_queries(world, login):
    client = login(world.users["group"])
    with CaptureQueriesContext(connection) as ctx:
        page = client.get("/surveys/")
    assert page.content.decode().count('data-testid="survey-row"') == 6  # the demo's
    assert len(ctx.captured_queries) <= 12


def test_the_figures_page_shows_each_touchpoint_ranked_and_its_indicators(world, login):
    from django.utils import timezone

    year = timezone.localdate().year
    page = login(world.users["group"]).get(f"/surveys/figures/?year={year}").content.decode()
    assert 'data-testid="figures-sales"' in page
    assert page.count('data-testid="company-line"') >= 2  # 深圳 and 珠海
    assert "签约后我们对您的持续关心和关注" in page  # seed 000's first indicator
    consultant = login(world.users["consultant"]).get("/surveys/figures/")
    assert consultant.status_code == 403


def test_the_phone_list_shows_only_customers_the_agent_may_see(world, login):
    survey = Survey.objects.unscoped("test").get(
        touchpoint="repair", status="open", company__code="sz"
    )
    page = login(world.users["service"]).get(f"/surveys/{survey.pk}/")
    shown = {r.pk for r in page.context["to_call"].object_list}
    seen = set(
        SurveyResponse.objects.visible_to(world.users["service"])
        .filter(survey=survey, status=ResponseStatus.INVITED)
        .values_list("pk", flat=True)
    )
    assert shown == seen and shown


def test_the_figures_export_to_excel_and_a_company_sees_the_group_figure(world, login):
    import io

    import openpyxl
    from django.utils import timezone

    year = timezone.localdate().year
    management = login(world.users["management"])  # 深圳's: sees 深圳's line and the group's
    page = management.get(f"/surveys/figures/?year={year}").content.decode()
    assert page.count('data-testid="company-line"') == 2  # sales and repairs: 深圳 only
    assert "珠海公司" not in page and 'data-testid="whole-group-line"' in page
    answer = management.get(f"/surveys/figures/export.xlsx?year={year}")
    assert answer.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(answer.streaming_content)))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert any(row[1] == "深圳公司" and row[3] == 80.0 for row in rows), rows
    indicators = list(book.worksheets[1].iter_rows(values_only=True))
    assert any("签约后" in str(row[1]) for row in indicators)


def test_the_figures_of_one_project(world, login):
    from django.utils import timezone

    year = timezone.localdate().year
    client = login(world.users["group"])
    haiwan = world.projects["haiwan"]
    page = client.get(f"/surveys/figures/?year={year}&project={haiwan.pk}").content.decode()
    assert "珠海公司" in page and "深圳公司" not in page
    assert client.get("/surveys/figures/?year=abc&project=xyz").status_code == 200


def test_the_customer_s_timeline_shows_the_survey_he_answered(world, login):
    response = (
        SurveyResponse.objects.unscoped("test")
        .filter(status=ResponseStatus.ANSWERED, follow_up_task_id__isnull=False)
        .select_related("customer")
        .first()
    )
    customer = response.customer
    page = login(world.users["servicemgr"]).get(f"/customers/{customer.pk}/").content.decode()
    assert "销售服务满意度调查" in page and "surveys.response_recorded" not in page
    assert "上门拜访" in page  # the visit in person that followed
