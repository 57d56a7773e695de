"""Demo messaging (issue 11): templates, each company's settings, an outbox that visibly sent.

Everything goes through the services and the outbox worker with the development gateway (it
writes var/messages/dev-gateway.jsonl and /messaging/dev-outbox/ shows it): sent and
delivered messages, a failed one (the provider's receipt), one held for the quiet hours and
a number that opted out by replying T, with its consent history.
"""

from datetime import datetime, timedelta

from django.utils import timezone

from anju.customers.models import Customer

from . import clock, services
from .models import Channel, Kind, Message, Status
from .outbox import run_until_idle

TEMPLATES = [
    (
        "来电感谢短信",
        Channel.SMS,
        Kind.SERVICE,
        "",
        "{称呼}您好，我是{项目}销售代表{顾问}，很高兴接听您的来电，我们随时恭候您光临本项目，"
        "如有任何疑问，欢迎拨打{顾问电话}。",
    ),
    (
        "装修讲座邀请",
        Channel.SMS,
        Kind.MARKETING,
        "",
        "{称呼}您好，{项目}万客会将于{日期}举办“{活动}”，诚邀您参加，名额有限，回复1报名。",
    ),
    (
        "看房预约确认",
        Channel.SMS,
        Kind.SERVICE,
        "",
        "{称呼}您好，已为您预约{日期}到访{项目}，届时{顾问}将在销售中心恭候。",
    ),
    (
        "万客会月刊",
        Channel.EMAIL,
        Kind.MARKETING,
        "{项目}万客会 · 本月活动",
        "{称呼}您好：\n\n本月{项目}万客会活动已经发布，欢迎您和家人参加。\n\n{顾问}",
    ),
]


def seed(world):
    users = world["users"]
    admin = users["admin"]
    companies = world["companies"]
    for company in companies.values():
        services.messaging_settings_update(
            by=admin,
            company=company,
            quiet_start=services.messaging_settings_for(company).quiet_start,
            quiet_end=services.messaging_settings_for(company).quiet_end,
            signature=f"安居{company.city}"[:20],
        )
        for name, channel, kind, subject, body in TEMPLATES:
            services.template_create(
                by=admin,
                company=company,
                name=name,
                channel=channel,
                kind=kind,
                subject=subject,
                body=body,
            )
    counts = _seed_outbox(world)
    world["messaging"] = counts
    world.log(f"    messaging: {counts}")

    from .campaign_demo import seed_campaigns

    seed_campaigns(world)


def _customers(world, limit=12):
    return list(
        Customer.objects.unscoped("demo data")
        .filter(merged_into=None, anonymised_at=None)
        .exclude(owner=None)
        .select_related("company", "project", "owner")
        .order_by("pk")[:limit]
    )


def _seed_outbox(world) -> dict:
    from .templating import template_render

    customers = _customers(world)
    if not customers:
        return {}
    invitation, confirmation = TEMPLATES[1][4], TEMPLATES[2][4]
    for n, customer in enumerate(customers):
        context = services.context_for_customer(
            by=None, customer=customer, extra={"活动": "装修讲座", "日期": "6月8日"}
        )
        marketing = n % 3 != 0  # every third customer gets a visit confirmation instead
        services.message_enqueue(
            by=None,
            company=customer.company,
            channel=Channel.SMS,
            kind=Kind.MARKETING if marketing else Kind.SERVICE,
            to=customer.phone,
            body=template_render(invitation if marketing else confirmation, context),
            idempotency_key=f"demo:{'invitation' if marketing else 'visit'}:{customer.pk}",
            customer=customer,
            source="demo:lecture-invitation" if marketing else "demo:visit-confirmation",
        )
    # Whatever the time of seeding, the demo shows sent messages: release any held row and
    # send as if before the quiet hours (at night the outbox would only hold them again).
    Message.objects.unscoped("demo data").filter(status=Status.HELD).update(not_before=None)
    with clock.override(before_quiet_hours(customers[0].company)):
        result = run_until_idle(max_seconds=60)
    sent = list(Message.objects.unscoped("demo data").filter(status=Status.SENT).order_by("pk"))
    for message in sent[:-2]:
        services.message_delivery_report(
            provider=message.gateway, provider_id=message.provider_id, delivered=True
        )
    if len(sent) >= 2:
        services.message_delivery_report(
            provider=sent[-1].gateway,
            provider_id=sent[-1].provider_id,
            delivered=False,
            code="MK:0001",
        )
    # A customer replied T: opted out; his marketing stops (the history shows the reply).
    replier = customers[-1]
    services.inbound_reply(provider="dev", from_address=replier.phone, text="T")
    # One marketing message queued at 23:00 tonight: held until the quiet hours end.
    with clock.override(_tonight()):
        services.message_enqueue(
            by=None,
            company=customers[0].company,
            channel=Channel.SMS,
            kind=Kind.MARKETING,
            to=customers[0].phone,
            body="万客会会员日预告：本周六上午10点，欢迎到访。",
            idempotency_key=f"demo:member-day:{customers[0].pk}",
            customer=customers[0],
            source="demo:member-day",
        )
    return {"sent": result.sent, "messages": Message.objects.unscoped("demo count").count()}


def before_quiet_hours(company):
    """Now, or when seeded in the quiet hours, an hour before they began: a moment at which
    the outbox sends marketing, so a demo seeded at night still shows sent messages."""
    settings_row = services.messaging_settings_for(company)
    now = clock.now()
    if services.quiet_until(settings_row, now) is None:
        return now
    local = timezone.localtime(now)
    day = local.date() if local.time() >= settings_row.quiet_start else local.date() - timedelta(1)
    began = timezone.make_aware(datetime.combine(day, settings_row.quiet_start), local.tzinfo)
    return began - timedelta(hours=1)


def _tonight():
    local = timezone.localtime()
    return local.replace(hour=23, minute=0, second=0, microsecond=0) + timedelta(
        days=0 if local.hour < 23 else 1
    )
