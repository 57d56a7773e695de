"""The scheduled-care settings page and the API's upcoming sends (MSG-4)."""

import datetime

import pytest

from anju.customers.models import Customer
from anju.messaging.care_models import CareSettings


def _form(company, **overrides):
    from anju.messaging import care
    from anju.messaging.care_models import DEFAULT_TEXTS, Occasion

    data = {"company": company.pk, "send_hour": "10", "audience": "buyers"}
    for occasion in Occasion:
        data[f"{occasion}_text"] = DEFAULT_TEXTS[occasion]
    data.update(overrides)
    assert set(data) - {"company"} <= set(care.SETTING_FIELDS)
    return data


@pytest.mark.django_db
def test_a_manager_turns_birthdays_on(world, login):
    company = world.companies["sz"]
    client = login(world.users["servicemgr"])
    page = client.get("/messaging/care/")
    assert page.status_code == 200
    assert 'data-occasion="mid_autumn"' in page.content.decode()
    response = client.post("/messaging/care/", _form(company, birthday_enabled="on", send_hour="9"))
    assert response.status_code == 302
    row = CareSettings.objects.unscoped("test").get(company=company)
    assert row.birthday_enabled and not row.spring_festival_enabled and row.send_hour == 9


@pytest.mark.django_db
def test_a_text_with_a_field_without_value_is_shown_on_the_form(world, login):
    company = world.companies["sz"]
    client = login(world.users["servicemgr"])
    response = client.post(
        "/messaging/care/", _form(company, birthday_text="{称呼}，欢迎参加{活动}")
    )
    assert response.status_code == 400
    assert 'data-testid="error-birthday_text"' in response.content.decode()
    assert not CareSettings.objects.unscoped("test").filter(company=company).exists()


@pytest.mark.django_db
def test_the_page_is_refused_without_the_template_permission(world, login):
    client = login(world.users["consultant"])
    assert client.get("/messaging/care/").status_code == 403
    response = client.post("/messaging/care/", _form(world.companies["sz"]))
    assert response.status_code in (403, 404)
    assert not CareSettings.objects.unscoped("test").exists()


@pytest.mark.django_db
def test_upcoming_lists_this_weeks_sends_with_counts(world, login, monkeypatch):
    company = world.companies["sz"]
    today = datetime.date(2026, 9, 22)
    moment = datetime.datetime(2026, 9, 22, 9, tzinfo=datetime.UTC)
    monkeypatch.setattr("anju.messaging.clock.now", lambda: moment)
    customer = Customer.objects.unscoped("test").filter(company=company).first()
    Customer.objects.unscoped("test set-up").filter(pk=customer.pk).update(
        birth_date=datetime.date(1985, 9, 23), status="owner", archived_at=None
    )
    CareSettings.objects.unscoped("test set-up").create(
        company=company, birthday_enabled=True, mid_autumn_enabled=True, audience="all"
    )
    client = login(world.users["management"])
    response = client.get(f"/api/v1/care/upcoming?company_id={company.pk}")
    assert response.status_code == 200, response.content
    entries = response.json()
    birthdays = [e for e in entries if e["occasion"] == "birthday"]
    assert len(birthdays) == 7 and birthdays[0]["on_date"] == today.isoformat()
    assert next(e for e in birthdays if e["on_date"] == "2026-09-23")["recipients"] >= 1
    mid_autumn = [e for e in entries if e["occasion"] == "mid_autumn"]
    assert [e["on_date"] for e in mid_autumn] == ["2026-09-25"]
    assert mid_autumn[0]["recipients"] >= 1
    assert mid_autumn[0]["send_at"].startswith("2026-09-25T10:00")
    assert entries == sorted(entries, key=lambda e: e["send_at"])


@pytest.mark.django_db
def test_upcoming_is_refused_without_the_permission_and_404_out_of_scope(world, login):
    client = login(world.users["consultant"])
    company = world.companies["sz"]
    assert client.get(f"/api/v1/care/upcoming?company_id={company.pk}").status_code == 403
    manager = login(world.users["manager_zh"])
    assert manager.get(f"/api/v1/care/upcoming?company_id={company.pk}").status_code == 404


@pytest.mark.django_db
def test_the_page_reads_in_a_bounded_number_of_queries(world, login, django_assert_max_num_queries):
    CareSettings.objects.unscoped("test set-up").create(
        company=world.companies["sz"],
        birthday_enabled=True,
        visit_reminder_enabled=True,
        national_day_enabled=True,
    )
    client = login(world.users["servicemgr"])
    client.get("/messaging/care/")
    # 7 days × (birthdays + reminders) counts, one per festival within the week, the rest
    with django_assert_max_num_queries(30):
        assert client.get("/messaging/care/").status_code == 200
