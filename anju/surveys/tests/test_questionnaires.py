"""SUR-1: a questionnaire is revised as a new version — the surveys made keep the version
they asked, the next ones ask the new one; each figure comes from one fitting question."""

import pytest

from anju.core.errors import ApplicationError, NotPermitted
from anju.surveys import services
from anju.surveys.models import Population, SurveyChannel, SurveyTemplate, Touchpoint

pytestmark = pytest.mark.django_db


def _questions(template):
    return [
        {
            "text": q.text,
            "kind": q.kind,
            "measure": q.measure,
            "required": q.required,
            "choices": q.choices,
        }
        for q in template.questions.all()
    ]


def _survey(world):
    return services.survey_create(
        by=world.users["servicemgr"],
        company=world.companies["sz"],
        touchpoint=Touchpoint.REPAIR,
        population=Population.ALL_OWNERS,
        channel=SurveyChannel.PHONE,
        year=2031,
    )


def test_a_revision_is_a_new_version_the_next_surveys_ask(world):
    group = world.users["group"]
    before = _survey(world)
    v1 = before.template
    questions = _questions(v1)
    questions.insert(
        0,
        {"text": "您是通过哪个渠道报修的？", "kind": "choice", "choices": ["电话", "微信", "前台"]},
    )
    v2 = services.template_revise(by=group, template=v1, questions=questions)
    assert v2.version == v1.version + 1 and v2.previous == v1 and v2.is_current
    v1.refresh_from_db()
    assert not v1.is_current and v1.questions.count() == len(questions) - 1
    before.refresh_from_db()
    assert before.template == v1  # asked with v1, answered against v1
    after = _survey(world)
    assert after.template == v2
    first = v2.questions.get(position=1)
    assert first.kind == "choice" and first.choices == ["电话", "微信", "前台"]
    with pytest.raises(Exception) as stale:
        services.template_revise(by=group, template=v1, questions=questions)
    assert getattr(stale.value, "code", "") == "not_current"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda qs: qs.append({**qs[-2], "text": "再问一次NPS"}), "questions"),  # two NPS
        (lambda qs: qs.__setitem__(-2, {**qs[-2], "kind": "scale5"}), "questions.7.kind"),
        (lambda qs: qs.append({"text": "单选", "kind": "choice", "choices": ["只有一个"]}), None),
        (lambda qs: qs.clear(), "questions"),
    ],
)
def test_a_revision_that_would_break_the_figures_is_refused(world, change, field):
    template = SurveyTemplate.objects.get(touchpoint="repair", is_current=True)
    questions = _questions(template)
    change(questions)
    with pytest.raises(ApplicationError) as refused:
        services.template_revise(by=world.users["group"], template=template, questions=questions)
    if field:
        assert refused.value.field == field
    assert SurveyTemplate.objects.get(touchpoint="repair", is_current=True) == template


def test_only_the_group_s_relations_centre_revises(world, login):
    template = SurveyTemplate.objects.get(touchpoint="repair", is_current=True)
    with pytest.raises(NotPermitted):
        services.template_revise(
            by=world.users["servicemgr"], template=template, questions=_questions(template)
        )
    assert (
        login(world.users["servicemgr"]).get("/surveys/templates/repair/revise/").status_code == 403
    )


def test_the_revise_page(world, login):
    client = login(world.users["group"])
    page = client.get("/surveys/templates/repair/revise/")
    assert page.status_code == 200
    formset = page.context["formset"]
    data = {
        "q-TOTAL_FORMS": str(len(formset.forms)),
        "q-INITIAL_FORMS": str(formset.initial_form_count()),
    }
    for n, form in enumerate(formset.forms):
        for name, value in form.initial.items():
            data[f"q-{n}-{name}"] = "on" if value is True else value
    data["q-0-delete"] = "on"  # drop the first indicator
    data["q-9-text"] = "整体维修体验打分"
    data["q-9-kind"] = "scale10"
    data["q-9-measure"] = "nps"  # a second NPS question: refused on its row
    refused = client.post("/surveys/templates/repair/revise/", data)
    assert refused.status_code == 200 and "revise-error" in refused.content.decode()
    data["q-9-measure"] = ""
    saved = client.post("/surveys/templates/repair/revise/", data)
    assert saved.status_code == 302
    current = SurveyTemplate.objects.get(touchpoint="repair", is_current=True)
    texts = list(current.questions.values_list("text", flat=True))
    assert texts[0] == "维修人员按约定时间上门" and texts[-1] == "整体维修体验打分"
    assert client.get("/surveys/templates/nonsense/revise/").status_code == 404
