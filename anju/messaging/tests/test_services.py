"""Templates (MSG-1) and consent, opt-out and quiet hours (MSG-3)."""

import datetime

import pytest
from django.utils import timezone

from anju.core.errors import ApplicationError, NotPermitted
from anju.messaging import services
from anju.messaging.models import (
    Channel,
    ConsentChange,
    Kind,
    Message,
    MessageTemplate,
    OptOut,
    Status,
)
from anju.messaging.outbox import run_pass
from anju.messaging.templating import sms_segments, template_render

pytestmark = pytest.mark.django_db


def _enqueue(customer, key, *, kind=Kind.MARKETING, channel=Channel.SMS, to=None, body="周末看房"):
    return services.message_enqueue(
        by=None,
        company=customer.company,
        channel=channel,
        kind=kind,
        to=to or (customer.phone if channel == Channel.SMS else "zhang@example.com"),
        body=body,
        idempotency_key=key,
        customer=customer,
    )


# --- MSG-1 templates -----------------------------------------------------------------------------


def test_sms_segments_70_in_one_67_per_part():
    assert sms_segments("") == 0
    assert sms_segments("字" * 70) == 1
    assert sms_segments("字" * 71) == 2
    assert sms_segments("字" * 134) == 2
    assert sms_segments("字" * 135) == 3


def test_unknown_field_is_refused_naming_it(world):
    manager = world.users["management"]
    with pytest.raises(ApplicationError) as refused:
        services.template_create(
            by=manager, company=world.companies["sz"], name="邀请", body="{称呼}您好，{楼盘}开盘"
        )
    assert "{楼盘}" in refused.value.message and refused.value.field == "body"
    assert not MessageTemplate.objects.unscoped("test").filter(name="邀请").exists()


def test_stray_brace_and_email_without_subject_are_refused(world):
    manager, sz = world.users["management"], world.companies["sz"]
    with pytest.raises(ApplicationError):
        services.template_create(by=manager, company=sz, name="a", body="{称呼您好")
    with pytest.raises(ApplicationError) as refused:
        services.template_create(by=manager, company=sz, name="b", body="您好", channel="email")
    assert refused.value.field == "subject"


def test_templates_need_the_permission(world):
    with pytest.raises(NotPermitted):
        services.template_create(
            by=world.users["consultant"], company=world.companies["sz"], name="x", body="您好"
        )
    assert not MessageTemplate.objects.unscoped("test").filter(name="x").exists()


def test_render_fills_every_field_from_the_customer(customer):
    context = services.context_for_customer(by=None, customer=customer, extra={"活动": "讲座"})
    text = template_render("{姓名}:{项目}:{顾问}:{活动}", context)
    assert text.startswith(f"{customer.name}:{customer.project.name}:")
    assert text.endswith(":讲座")
    with pytest.raises(ApplicationError) as missing:
        template_render("{日期}见", context)
    assert "{日期}" in missing.value.message


def test_preview_masks_names_for_whoever_may_not_unmask(world, customer):
    from anju.messaging.selectors import template_preview

    sz = world.companies["sz"]
    shown = template_preview(
        world.users["management"], company=sz, body="{姓名}您好", customer_id=customer.pk
    )
    assert shown.text.startswith("【") and customer.name in shown.text and not shown.masked
    masked = template_preview(
        world.users["service"], company=sz, body="{姓名}您好", customer_id=customer.pk
    )
    assert masked.masked and customer.name not in masked.text
    assert masked.text.endswith("回T退订") and masked.segments == 1


def test_preview_of_a_customer_out_of_scope_is_404(world, customer):
    from django.http import Http404

    from anju.messaging.selectors import template_preview

    with pytest.raises(Http404):
        template_preview(
            world.users["consultant_zh"],
            company=world.companies["zh"],
            body="{姓名}",
            customer_id=customer.pk,
        )


# --- MSG-3 consent ------------------------------------------------------------------------------


def test_marketing_sms_ends_with_the_opt_out_note_once(customer, at_local):
    at_local(10)
    first = _enqueue(customer, "m1")
    assert first.body.endswith("回T退订") and first.body.count("回T退订") == 1
    second = _enqueue(customer, "m2", body="已经写了 回T退订")
    assert second.body.count("回T退订") == 1
    service = _enqueue(customer, "s1", kind=Kind.SERVICE)
    assert "回T退订" not in service.body
    email = _enqueue(customer, "e1", channel=Channel.EMAIL)
    assert "回T退订" not in email.body


def test_opted_out_numbers_get_no_marketing_but_service(world, customer, at_local):
    at_local(10)
    services.opt_out(by=world.users["service"], channel=Channel.SMS, address=customer.phone)
    marketing = _enqueue(customer, "m1")
    assert marketing.status == Status.SUPPRESSED and marketing.error_code == "opted_out"
    service = _enqueue(customer, "s1", kind=Kind.SERVICE)
    assert service.status == Status.QUEUED
    run_pass()
    marketing.refresh_from_db()
    assert marketing.status == Status.SUPPRESSED and marketing.sent_at is None


def test_opt_out_cancels_marketing_already_queued(world, customer, at_local):
    at_local(10)
    queued = _enqueue(customer, "m1")
    held = None
    at_local(23)
    held = _enqueue(customer, "m2")
    assert held.status == Status.HELD
    services.opt_out(by=world.users["consultant"], channel=Channel.SMS, address=customer.phone)
    queued.refresh_from_db()
    held.refresh_from_db()
    assert queued.status == held.status == Status.CANCELLED


def test_send_time_recheck_cancels_a_row_opted_out_after_queueing(customer, at_local):
    """An opt-out written by another path after the row was queued is honoured at send time."""
    at_local(10)
    message = _enqueue(customer, "m1")
    OptOut.objects.create(
        holding=customer.company.holding, channel=Channel.SMS, address=customer.phone
    )
    result = run_pass()
    message.refresh_from_db()
    assert message.status == Status.CANCELLED and result.sent == 0


@pytest.mark.parametrize("reply", ["T", "td", " 退订 ", "T。"])
def test_an_inbound_reply_opts_the_number_out(customer, at_local, reply):
    at_local(10)
    queued = _enqueue(customer, "m1")
    change = services.inbound_reply(provider="dev", from_address=customer.phone, text=reply)
    assert change is not None and change.source == ConsentChange.Source.REPLY
    assert services.is_opted_out(Channel.SMS, customer.phone, holding=customer.company.holding)
    queued.refresh_from_db()
    assert queued.status == Status.CANCELLED


def test_other_replies_change_nothing(customer):
    assert services.inbound_reply(provider="dev", from_address=customer.phone, text="好的") is None
    assert not services.is_opted_out(Channel.SMS, customer.phone, holding=customer.company.holding)


def test_opt_in_needs_a_campaign_runner_and_a_note(world, customer):
    services.opt_out(by=world.users["service"], channel=Channel.SMS, address=customer.phone)
    with pytest.raises(NotPermitted):
        services.opt_in(
            by=world.users["consultant"], channel=Channel.SMS, address=customer.phone, note="同意"
        )
    with pytest.raises(ApplicationError):
        services.opt_in(by=world.users["service"], channel=Channel.SMS, address=customer.phone)
    assert services.is_opted_out(Channel.SMS, customer.phone, holding=customer.company.holding)
    services.opt_in(
        by=world.users["service"], channel=Channel.SMS, address=customer.phone, note="来电同意"
    )
    assert not services.is_opted_out(Channel.SMS, customer.phone, holding=customer.company.holding)


def test_consent_history_is_visible_and_masked(world, customer):
    from anju.messaging.selectors import consent_history

    services.inbound_reply(provider="dev", from_address=customer.phone, text="T")
    services.opt_in(
        by=world.users["service"], channel=Channel.SMS, address=customer.phone, note="来电同意"
    )
    view = consent_history(world.users["service"], channel=Channel.SMS, address=customer.phone)
    assert [c.opted_out for c in view.history] == [False, True]
    assert customer.phone not in view.address_masked and "*" in view.address_masked
    with pytest.raises(NotPermitted):
        consent_history(world.users["consultant"], channel=Channel.SMS, address=customer.phone)


# --- MSG-3 quiet hours --------------------------------------------------------------------------


def test_marketing_approved_at_23_leaves_at_08(customer, at_local):
    at_local(23)
    message = _enqueue(customer, "m1")
    assert message.status == Status.HELD
    assert timezone.localtime(message.not_before) == timezone.make_aware(
        datetime.datetime(2026, 5, 13, 8, 0)
    )
    at_local(7, 59, day=datetime.date(2026, 5, 13))
    assert run_pass().sent == 0
    at_local(8, 0, day=datetime.date(2026, 5, 13))
    assert run_pass().sent == 1
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_a_service_message_at_23_leaves_at_once(customer, at_local):
    at_local(23)
    message = _enqueue(customer, "s1", kind=Kind.SERVICE)
    assert message.status == Status.QUEUED
    assert run_pass().sent == 1


def test_a_retry_falling_into_quiet_hours_is_held_at_send_time(customer, at_local):
    at_local(20, 59)
    message = _enqueue(customer, "m1")
    assert message.status == Status.QUEUED
    at_local(21, 0)  # the worker picks it up a minute later: the window has closed
    run_pass()
    message.refresh_from_db()
    assert message.status == Status.HELD and message.attempts == 0


def test_quiet_hours_are_configurable_per_company(world, customer, at_local):
    services.messaging_settings_update(
        by=world.users["management"],
        company=customer.company,
        quiet_start=datetime.time(22, 0),
        quiet_end=datetime.time(7, 0),
    )
    at_local(21, 30)
    assert _enqueue(customer, "m1").status == Status.QUEUED
    at_local(22, 30)
    held = _enqueue(customer, "m2")
    assert held.status == Status.HELD
    assert timezone.localtime(held.not_before).time() == datetime.time(7, 0)


def test_the_same_key_never_makes_a_second_message(customer, at_local):
    at_local(10)
    first = _enqueue(customer, "k")
    assert _enqueue(customer, "k", body="另一条").pk == first.pk
    assert Message.objects.unscoped("test").filter(idempotency_key="k").count() == 1


def test_an_invalid_address_is_suppressed_not_an_error(customer, at_local):
    at_local(10)
    message = _enqueue(customer, "bad", to="12345")
    assert message.status == Status.SUPPRESSED and message.error_code == "no_address"


def test_another_groups_refusal_is_neither_applied_nor_shown(world, customer):
    """MSG-4: consent is kept per group. A number that refused marketing to another group
    still gets ours, and our staff see neither that group's opt-out nor its history."""
    from anju.messaging.selectors import consent_history
    from anju.org.models import Holding
    from anju.org.services import company_create

    other = company_create(
        by=None,
        holding=Holding.objects.create(name="别的集团"),
        code="oth",
        name="别的公司",
        city="广州",
    )
    services.opt_out(
        by=world.users["admin"], channel=Channel.SMS, address=customer.phone, company=other
    )
    ours = customer.company.holding
    assert not services.is_opted_out(Channel.SMS, customer.phone, holding=ours)
    view = consent_history(world.users["service"], channel=Channel.SMS, address=customer.phone)
    assert not view.opted_out and view.history == []


@pytest.mark.django_db
def test_the_demo_sends_as_if_before_the_quiet_hours_when_seeded_at_night(world, at_local):
    """Seeded at 23:30 or 02:00 the demo's outbox would only hold its marketing again (the CI
    run at night had no delivered campaign message): it sends at 20:00, before 21:00."""
    from anju.messaging.demo import before_quiet_hours

    company = world.companies["sz"]
    afternoon = at_local(15, 0)
    assert before_quiet_hours(company) == afternoon
    at_local(23, 30)
    assert timezone.localtime(before_quiet_hours(company)).replace(tzinfo=None) == (
        datetime.datetime(2026, 5, 12, 20, 0)
    )
    at_local(2, 0)
    assert timezone.localtime(before_quiet_hours(company)).replace(tzinfo=None) == (
        datetime.datetime(2026, 5, 11, 20, 0)
    )
