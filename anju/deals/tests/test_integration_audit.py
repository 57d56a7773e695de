"""SEC-3: what a manager configures and the deal rows people change keep who/when/before/after
(django-auditlog; the actor comes from the request, as for units and customers)."""

from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from auditlog.registry import auditlog

from anju.deals import models
from anju.deals.documents import template_for
from anju.deals.models import DocumentTemplate, PaymentReminderSettings
from anju.deals.services import launch_close, launch_open, subscription_set_terms

pytestmark = pytest.mark.django_db

CONFIGURED = (
    models.DocumentTemplate,
    models.SalesDiscount,
    models.DiscountAuthority,
    models.PaymentReminderSettings,
    models.LaunchDay,
)
DEAL_ROWS = (
    models.QueueTicket,
    models.Subscription,
    models.CoBuyer,
    models.RelativeTierClaim,
    models.Contract,
    models.Instalment,
    models.Payment,
    models.SalesChange,
)


@pytest.mark.parametrize("model", CONFIGURED + DEAL_ROWS, ids=lambda m: m.__name__)
def test_the_deals_rows_people_edit_are_audited(model):
    assert auditlog.contains(model)


def test_a_managers_template_edit_is_audited_with_him_as_actor(world, login):
    manager, project = world.users["manager"], world.projects["binhai"]
    _title, body = template_for(project, "agreement")
    url = f"/deals/templates/{project.pk}/agreement/"
    assert login(manager).post(url, {"title": "滨海认购书", "body": body}).status_code == 302
    template = DocumentTemplate.objects.get(project=project, kind="agreement")
    entry = LogEntry.objects.get_for_object(template).latest("timestamp")
    assert entry.actor == manager and entry.changes_dict["title"][1] == "滨海认购书"


def test_reminder_settings_changes_are_audited(world, login):
    manager, company = world.users["manager"], world.companies["sz"]
    data = {
        "company": company.pk,
        "enabled": "on",
        "days_before": "5",
        "before_text": "{称呼}：{款项}{金额}元于{到期日}到期。",
        "overdue_text": "{称呼}：{款项}{金额}元已逾期。",
    }
    assert login(manager).post("/deals/reminders/", data).status_code == 302
    row = PaymentReminderSettings.objects.get(company=company)
    entry = LogEntry.objects.get_for_object(row).latest("timestamp")
    assert entry.actor == manager and str(entry.changes_dict["days_before"][1]) == "5"


def test_discounts_authority_and_launches_are_audited(world):
    project = world.projects["binhai"]
    discount = models.SalesDiscount.objects.create(
        company=project.company,
        project=project,
        code="audit",
        name="审计测试折扣",
        kind="rate",
        value=Decimal("0.01"),
    )
    discount.buildings.add(world.buildings[0])
    discount.value = Decimal("0.02")
    discount.save()
    changes = [e.changes_dict for e in LogEntry.objects.get_for_object(discount).order_by("pk")]
    assert any("value" in c for c in changes) and any("buildings" in c for c in changes)
    authority = models.DiscountAuthority.objects.create(
        company=project.company, project=project, role="key_account_rep", max_rate="0.01"
    )
    assert LogEntry.objects.get_for_object(authority).exists()
    running = models.LaunchDay.objects.filter(project=project, status="open").first()
    if running is not None:  # the demo's launch: closing it is a change of the row
        launch_close(by=world.users["manager"], launch=running)
        entry = LogEntry.objects.get_for_object(running).latest("timestamp")
        assert entry.changes_dict["status"] == ["open", "closed"]
    launch = launch_open(
        by=world.users["manager"],
        project=project,
        buildings=[b for b in world.buildings if b.project_id == project.pk][:1],
    )
    assert LogEntry.objects.get_for_object(launch).filter(action=LogEntry.Action.CREATE).exists()


def test_a_subscriptions_price_change_is_audited(held, consultant):
    before = held.final_price
    subscription_set_terms(by=consultant, subscription=held, special_discount="1000")
    held.refresh_from_db()
    entry = (
        LogEntry.objects.get_for_object(held)
        .filter(changes__icontains="final_price")
        .latest("timestamp")
    )
    assert entry.changes_dict["final_price"] == [str(before), str(held.final_price)]
