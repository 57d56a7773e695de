"""Surveys in a browser: the customer answers on a phone-sized screen; the figures page."""

import pytest
from django.utils import timezone

from anju.surveys.models import ResponseStatus, Survey, SurveyResponse

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_customer_answers_on_his_phone(world, page, screenshot):
    survey = Survey.objects.unscoped("test").get(
        touchpoint="repair", status="open", company__code="sz"
    )
    response = SurveyResponse.objects.unscoped("test").filter(survey=survey).first()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/q/{response.token}/")
    assert "深圳公司" in page.inner_text("[data-testid=company-name]")
    screenshot("survey-public")
    for fieldset in page.locator("[data-testid=question]").all():
        radios = fieldset.locator("input[type=radio]")
        if radios.count():
            radios.nth(radios.count() - 1).check()  # the best answer
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=survey-thanks]")
    screenshot("survey-public-thanks")
    response.refresh_from_db()
    assert response.status == ResponseStatus.ANSWERED


def test_the_figures_page(world, page, browser_login, screenshot):
    browser_login("group")
    page.goto(f"/surveys/figures/?year={timezone.localdate().year}")
    page.wait_for_selector("[data-testid=figures-sales]")
    assert page.locator("[data-testid=company-line]").count() >= 2
    page.wait_for_selector("body[data-charts-ready='1']")
    assert page.locator("#chart-figures canvas").count() >= 1
    screenshot("survey-figures")
    page.goto("/surveys/")
    screenshot("survey-list")
