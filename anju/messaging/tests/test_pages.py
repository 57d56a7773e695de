"""Messaging pages: outbox (filters, paging, query counts), templates with live preview,
consent, settings, the development gateway's page."""

import pytest

from anju.messaging import services
from anju.messaging.models import Channel, Kind, Message, MessageTemplate, Status
from anju.messaging.outbox import run_pass

pytestmark = pytest.mark.django_db


def _queue(customer, n, **kw):
    for i in range(n):
        services.message_enqueue(
            by=None,
            company=customer.company,
            channel=Channel.SMS,
            kind=kw.get("kind", Kind.SERVICE),
            to=customer.phone,
            body=f"第{i}条",
            idempotency_key=f"p-{i}",
            customer=customer,
        )


def test_outbox_page_queries_do_not_grow(
    world, login, customer, at_local, django_assert_max_num_queries
):
    at_local(10)
    client = login(world.users["management"])
    client.get("/messaging/outbox/")
    _queue(customer, 40)
    with django_assert_max_num_queries(14):
        page = client.get("/messaging/outbox/?status=queued")
    assert page.status_code == 200
    assert page.content.decode().count("data-message=") >= 40
    assert customer.phone not in page.content.decode()


def test_outbox_bad_filter_shows_an_error_not_everything(world, login):
    page = login(world.users["management"]).get("/messaging/outbox/?date_from=nonsense")
    assert page.status_code == 200 and "data-message=" not in page.content.decode()


def test_retry_failed_from_the_page(world, login, customer, at_local):
    at_local(10)
    _queue(customer, 2)
    Message.objects.unscoped("test").filter(idempotency_key__startswith="p-").update(
        status=Status.FAILED
    )
    client = login(world.users["management"])
    answer = client.post("/messaging/outbox/retry-failed/", {"status": "failed"})
    assert answer.status_code == 302
    mine = Message.objects.unscoped("test").filter(idempotency_key__startswith="p-")
    assert set(mine.values_list("status", flat=True)) == {Status.QUEUED}


def test_template_form_shows_the_unknown_field(world, login):
    client = login(world.users["management"])
    page = client.post(
        "/messaging/templates/new/",
        {"name": "x", "channel": "sms", "kind": "marketing", "body": "{楼盘}"},
    )
    assert page.status_code == 400 and "{楼盘}" in page.content.decode()
    assert not MessageTemplate.objects.unscoped("test").filter(name="x").exists()
    saved = client.post(
        "/messaging/templates/new/",
        {"name": "y", "channel": "sms", "kind": "marketing", "body": "{称呼}您好"},
    )
    assert saved.status_code == 302


def test_live_preview_counts_segments(world, login, customer):
    client = login(world.users["management"])
    answer = client.post(
        "/messaging/templates/preview/",
        {"body": "好" * 80, "channel": "sms", "kind": "service", "customer": customer.pk},
    )
    text = answer.content.decode()
    assert answer.status_code == 200 and 'data-segments="2"' in text


def test_consent_page_records_and_shows_history_masked(world, login, customer):
    client = login(world.users["service"])
    done = client.post(
        "/messaging/consent/",
        {"change-channel": "sms", "change-address": customer.phone, "change-action": "opt_out"},
    )
    assert done.status_code == 302 and services.is_opted_out(
        Channel.SMS, customer.phone, holding=customer.company.holding
    )
    page = client.post(
        "/messaging/consent/", {"lookup-channel": "sms", "lookup-address": customer.phone}
    )
    text = page.content.decode()
    assert page.status_code == 200 and 'data-testid="consent-history"' in text
    assert customer.phone not in text


def test_dev_outbox_page_shows_what_was_sent(world, login, customer, at_local):
    at_local(10)
    _queue(customer, 1)
    run_pass()
    text = login(world.users["management"]).get("/messaging/dev-outbox/").content.decode()
    assert "第0条" in text and customer.phone not in text
    other = login(world.users["consultant_zh"])  # no messaging permission: 403
    assert other.get("/messaging/dev-outbox/").status_code == 403


def test_settings_page_saves_quiet_hours(world, login):
    client = login(world.users["management"])
    sz = world.companies["sz"]
    answer = client.post(
        f"/messaging/settings/?company={sz.pk}",
        {"company": sz.pk, "quiet_start": "22:00", "quiet_end": "07:30", "signature": "安居"},
    )
    assert answer.status_code == 302
    assert services.messaging_settings_for(sz).quiet_end.strftime("%H:%M") == "07:30"


def test_the_outbox_says_what_sent_each_message_in_words(world, login, customer, at_local):
    """Found walking the outbox as company management: 来源 showed the senders' keys
    (``deals:reminder:overdue``, ``service:received``). Each app registers its words; a
    campaign is named; an unknown key shows as written."""
    from anju.messaging.campaign_services import campaign_create

    at_local(10)
    management = world.users["management"]
    campaign = campaign_create(
        by=management,
        company=customer.company,
        name="元旦业主答谢",
        channel=Channel.SMS,
        kind=Kind.SERVICE,
        text="新年快乐",
    )
    sources = {
        "deals:reminder:overdue": "付款提醒 · 逾期",
        "service:received": "客服 · 受理通知",
        "service:public_code:repair": "验证码",
        "care:birthday": "客户关怀 · 生日",
        f"campaign:{campaign.pk}": "群发 · 元旦业主答谢",
        "somebody:else": "somebody:else",
    }
    for n, source in enumerate(sources):
        services.message_enqueue(
            by=None,
            company=customer.company,
            channel=Channel.SMS,
            kind=Kind.SERVICE,
            to=customer.phone,
            body=f"来源{n}",
            idempotency_key=f"src-{n}",
            customer=customer,
            source=source,
        )
    client = login(management)
    page = client.get("/messaging/outbox/").content.decode()
    for source, words in sources.items():
        assert f'data-testid="message-source">{words}<' in page, source
    assert "deals:reminder" not in page
    message = Message.objects.unscoped("test").get(idempotency_key="src-0")
    detail = client.get(f"/messaging/messages/{message.pk}/").content.decode()
    assert "付款提醒 · 逾期" in detail
