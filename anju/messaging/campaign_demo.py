"""Demo campaigns (MSG-2): one finished campaign — generated, approved by a second person,
released into the outbox and sent through the development gateway, with delivery receipts —
and one generated and ready for review (not yet put up for approval: the approvers' queues
of the demo start empty).

Called from ``messaging.demo.seed`` once templates and settings exist. The background jobs
are run here directly (the demo is seeded without a worker); the tasks the services enqueue
find their jobs finished and do nothing.
"""

from anju.messaging.models import MessageTemplate, Status

from . import campaign_services as services
from . import clock
from .campaigns import Campaign
from .demo import before_quiet_hours
from .models import Message
from .outbox import run_until_idle
from .services import message_delivery_report

LECTURE = {"活动": "软装搭配讲座", "日期": "6月15日"}


def seed_campaigns(world) -> None:
    users, companies, projects = world["users"], world["companies"], world["projects"]
    company, project = companies["sz"], projects["binhai"]
    template = (
        MessageTemplate.objects.unscoped("demo data")
        .filter(company=company, name="装修讲座邀请")
        .first()
    )
    if template is None or Campaign.objects.unscoped("demo data").exists():
        return
    finished = services.campaign_create(
        by=users["service"],
        company=company,
        project=project,
        name="滨海花园 · 软装搭配讲座邀请",
        template=template,
        extra=LECTURE,
        source_params={"project": str(project.pk)},
    )
    _generate(finished, users["service"])
    services.campaign_submit(by=users["service"], campaign=finished)
    services.campaign_decide(by=users["servicemgr"], campaign=finished, comment="同意发送")
    job = services.campaign_send(by=users["service"], campaign=_fresh(finished))
    services.run_campaign_send(job_id=job.pk)
    messages = Message.objects.unscoped("demo data").filter(source=finished.source_name)
    messages.filter(status=Status.HELD).update(not_before=None)  # seeded at night: send now
    with clock.override(before_quiet_hours(company)):
        run_until_idle(max_seconds=60)
    sent = list(messages.filter(status=Status.SENT).order_by("pk"))
    for message in sent[:-1]:
        message_delivery_report(
            provider=message.gateway, provider_id=message.provider_id, delivered=True
        )
    ready = services.campaign_create(
        by=users["service"],
        company=company,
        project=project,
        name="滨海花园 · 五一看房团",
        text="{称呼}您好，{项目}五一看房团{日期}出发，{顾问}为您预留座位，回复1报名。",
        extra={"日期": "5月1日"},
        source_params={"project": str(project.pk), "grade": "A"},
    )
    _generate(ready, users["service"])  # generated, ready for review: not yet put up
    haiwan = projects["haiwan"]
    services.campaign_create(  # 珠海's sales manager drafts his own (a draft: nothing generated)
        by=users["manager_zh"],
        company=haiwan.company,
        project=haiwan,
        name="海湾里 · 老业主答谢会邀请",
        text="{称呼}您好，{项目}老业主答谢会{日期}举行，欢迎携家人参加。",
        extra={"日期": "12月20日"},
        source_params={"project": str(haiwan.pk)},
    )
    world.log(f"    campaigns: {Campaign.objects.unscoped('demo count').count()}")


def _fresh(campaign):
    return Campaign.objects.unscoped("demo data").get(pk=campaign.pk)


def _generate(campaign, by) -> None:
    job = services.campaign_generate(by=by, campaign=campaign)
    services.run_campaign_generate(job_id=job.pk)
