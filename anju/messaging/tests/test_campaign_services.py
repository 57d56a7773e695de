"""Campaigns (MSG-2, MSG-3): create → generate → review → approve → send → status, and the
refusals. Each rule here fails if the rule is broken."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from anju.core.errors import ApplicationError, Conflict, NotPermitted
from anju.core.models import Job
from anju.core.testing import requires_postgres, run_at_once
from anju.customers.models import Customer
from anju.messaging.campaign_services import (
    campaign_create,
    campaign_decide,
    campaign_generate,
    campaign_retry_failed,
    campaign_send,
    campaign_submit,
    campaign_update,
)
from anju.messaging.campaigns import Campaign, CampaignRecipient, CampaignStatus
from anju.messaging.models import Channel, Kind, Message, OptOut, Status
from anju.messaging.outbox import run_pass

S = CampaignStatus


def binhai_customers(world):
    return Customer.objects.unscoped("test").filter(
        project=world.projects["binhai"], merged_into=None, archived_at=None
    )


def make(world, by="service", **kw):
    kw.setdefault("name", "五一看房团")
    kw.setdefault("text", "{称呼}您好，{项目}五一看房团邀您参加。")
    kw.setdefault("project", world.projects["binhai"])
    return campaign_create(by=world.users[by], company=world.companies["sz"], **kw)


def generate(campaign, by, capture):
    with capture(execute=True):
        job = campaign_generate(by=by, campaign=campaign)
    job.refresh_from_db()
    campaign.refresh_from_db()
    return job


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


@pytest.mark.django_db
def test_generate_writes_each_recipients_final_text_and_the_counts(world, capture, at_local):
    at_local(10)
    campaign = make(world)
    job = generate(campaign, world.users["service"], capture)
    assert job.status == Job.Status.SUCCEEDED
    assert campaign.status == S.GENERATED
    customers = binhai_customers(world).exclude(phone="")
    pending = CampaignRecipient.objects.filter(campaign=campaign, status="pending")
    assert campaign.counts["to_send"] == pending.count() == customers.count()
    row = pending.select_related("customer", "customer__project").first()
    assert row.body.startswith(row.customer.name[0])  # {称呼} 张先生
    assert "滨海花园" in row.body and "{" not in row.body
    assert row.body.endswith("回T退订")  # marketing SMS (MSG-3), in the reviewed text
    assert row.segments >= 1
    assert campaign.segments == sum(pending.values_list("segments", flat=True))


@pytest.mark.django_db
def test_opted_out_and_duplicate_numbers_are_left_out(world, capture, at_local):
    at_local(10)
    customers = list(binhai_customers(world).order_by("pk")[:3])
    OptOut.objects.create(
        holding=world.companies["sz"].holding, channel=Channel.SMS, address=customers[0].phone
    )
    # a second customer with the first one's number (a relative sharing a phone)
    Customer.objects.unscoped("test").filter(pk=customers[2].pk).update(phone=customers[1].phone)
    campaign = make(world)
    generate(campaign, world.users["service"], capture)
    counts = campaign.counts
    assert counts["opted_out"] == 1 and counts["duplicate"] == 1
    rows = CampaignRecipient.objects.filter(campaign=campaign)
    assert rows.get(customer=customers[0]).reason == "opted_out"
    assert rows.filter(address=customers[1].phone, status="pending").count() == 1


@pytest.mark.django_db
def test_a_service_message_ignores_opt_outs_and_has_no_unsubscribe_line(world, capture):
    customer = binhai_customers(world).order_by("pk").first()
    OptOut.objects.create(
        holding=world.companies["sz"].holding, channel=Channel.SMS, address=customer.phone
    )
    campaign = make(world, kind=Kind.SERVICE, text="{称呼}您好，交付通知请查收。")
    generate(campaign, world.users["service"], capture)
    row = CampaignRecipient.objects.get(campaign=campaign, customer=customer)
    assert row.status == "pending" and not row.body.endswith("回T退订")


@pytest.mark.django_db
def test_an_empty_list_cannot_be_put_up_for_approval(world, capture):
    campaign = make(world, source_params={"q": "没有这个人"})
    generate(campaign, world.users["service"], capture)
    assert campaign.counts["candidates"] == 0
    with pytest.raises(ApplicationError) as exc:
        campaign_submit(by=world.users["service"], campaign=campaign)
    assert exc.value.code == "no_recipients" and "名单为空" in str(exc.value.message)  # empty
    campaign.refresh_from_db()
    assert campaign.status == S.GENERATED and campaign.approval is None


@pytest.mark.django_db
def test_everyone_opted_out_says_so_and_nothing_is_asked(world, capture):
    holding = world.companies["sz"].holding
    for phone in binhai_customers(world).values_list("phone", flat=True).distinct():
        OptOut.objects.get_or_create(holding=holding, channel=Channel.SMS, address=phone)
    campaign = make(world)
    generate(campaign, world.users["service"], capture)
    assert campaign.counts["to_send"] == 0
    with pytest.raises(ApplicationError) as exc:
        campaign_submit(by=world.users["service"], campaign=campaign)
    assert "都已退订" in str(exc.value.message)  # everyone opted out


@pytest.mark.django_db
def test_a_second_generate_while_one_runs_is_a_conflict(world):
    campaign = make(world)
    campaign_generate(by=world.users["service"], campaign=campaign)  # queued, not run
    with pytest.raises(Conflict) as exc:
        campaign_generate(by=world.users["service"], campaign=campaign)
    assert exc.value.code == "already_generating"
    jobs = Job.objects.unscoped("test").filter(kind="campaign_generate")
    assert jobs.filter(params__campaign=campaign.pk).count() == 1


@pytest.mark.django_db
def test_the_preparer_may_not_approve_and_editing_after_approval_is_refused(
    world, capture, at_local
):
    at_local(10)
    # servicemgr prepares and may approve campaigns in general, but not his own
    campaign = make(world, by="servicemgr")
    generate(campaign, world.users["servicemgr"], capture)
    campaign_submit(by=world.users["servicemgr"], campaign=campaign)
    with pytest.raises(NotPermitted):
        campaign_decide(by=world.users["servicemgr"], campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == S.AWAITING_APPROVAL
    with pytest.raises(Conflict):
        campaign_update(by=world.users["servicemgr"], campaign=campaign, name="改名")
    campaign = campaign_decide(by=world.users["management"], campaign=campaign)
    assert campaign.status == S.APPROVED and campaign.approved_by == world.users["management"]
    with pytest.raises(Conflict) as exc:
        campaign_update(by=world.users["servicemgr"], campaign=campaign, text="新的文字")
    assert exc.value.code == "campaign_locked"
    with pytest.raises(Conflict):
        campaign_generate(by=world.users["servicemgr"], campaign=campaign)


@pytest.mark.django_db
def test_a_rejection_returns_the_list_for_changes(world, capture):
    campaign = make(world)
    generate(campaign, world.users["service"], capture)
    campaign_submit(by=world.users["service"], campaign=campaign)
    campaign = campaign_decide(
        by=world.users["servicemgr"], campaign=campaign, approve=False, comment="文案再改改"
    )
    assert campaign.status == S.GENERATED
    campaign = campaign_update(
        by=world.users["service"], campaign=campaign, text="您好，{项目}开放日"
    )
    assert campaign.status == S.DRAFT
    assert not CampaignRecipient.objects.filter(campaign=campaign).exists()


@pytest.mark.django_db
def test_send_releases_each_row_once_and_a_second_run_sends_nobody_twice(world, capture, at_local):
    at_local(10)
    campaign = make(world)
    generate(campaign, world.users["service"], capture)
    campaign_submit(by=world.users["service"], campaign=campaign)
    campaign = campaign_decide(by=world.users["servicemgr"], campaign=campaign)
    with capture(execute=True):
        campaign_send(by=world.users["service"], campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == S.SENT
    messages = Message.objects.unscoped("test").filter(source=campaign.source_name)
    assert messages.count() == campaign.counts["to_send"]
    assert set(messages.values_list("idempotency_key", flat=True)) == {
        f"campaign:{campaign.pk}:customer:{pk}"
        for pk in CampaignRecipient.objects.filter(
            campaign=campaign, status="released"
        ).values_list("customer_id", flat=True)
    }
    # a release started again (the worker died after committing): nothing new
    from anju.messaging.campaign_services import _release

    rows = list(CampaignRecipient.objects.filter(campaign=campaign).select_related("customer"))
    _release(world.users["service"], campaign, rows)
    assert messages.count() == campaign.counts["to_send"]
    run_pass()
    assert messages.filter(status=Status.SENT).count() == campaign.counts["to_send"]


@pytest.mark.django_db
def test_sending_needs_approval(world, capture):
    campaign = make(world)
    generate(campaign, world.users["service"], capture)
    with pytest.raises(Conflict) as exc:
        campaign_send(by=world.users["service"], campaign=campaign)
    assert exc.value.code == "not_approved"
    assert not Message.objects.unscoped("test").filter(source=campaign.source_name).exists()


@pytest.mark.django_db
def test_retry_sends_failed_messages_again(world, capture, at_local):
    at_local(10)
    campaign = make(world)
    generate(campaign, world.users["service"], capture)
    campaign_submit(by=world.users["service"], campaign=campaign)
    campaign = campaign_decide(by=world.users["servicemgr"], campaign=campaign)
    with capture(execute=True):
        campaign_send(by=world.users["service"], campaign=campaign)
    messages = Message.objects.unscoped("test").filter(source=campaign.source_name)
    messages.update(status=Status.FAILED, error_code="timeout")
    assert campaign_retry_failed(by=world.users["service"], campaign=campaign) == messages.count()
    assert not messages.filter(status=Status.FAILED).exists()


@pytest.mark.django_db
def test_who_may_run_campaigns(world):
    with pytest.raises(NotPermitted):
        make(world, by="consultant")
    assert not Campaign.objects.unscoped("test").filter(name="五一看房团").exists()


@pytest.mark.django_db
def test_unknown_field_and_invalid_filter_are_refused(world):
    with pytest.raises(ApplicationError) as exc:
        make(world, text="{生肖}您好")
    assert exc.value.field == "text"
    with pytest.raises(ApplicationError) as exc:
        make(world, source_params={"grade": "Z"})
    assert exc.value.code == "invalid_filter"
    with pytest.raises(ApplicationError) as exc:
        make(world, text="{活动}邀请", extra={})
    assert exc.value.field == "extra"
    assert not Campaign.objects.unscoped("test").filter(name="五一看房团").exists()


def _csv(text):
    return SimpleUploadedFile("名单.csv", text.encode("utf-8"), content_type="text/csv")


@pytest.mark.django_db
def test_an_uploaded_list_reports_row_errors_and_leaves_out_customers_out_of_scope(world, capture):
    mine = binhai_customers(world).order_by("pk").first()
    other = (
        Customer.objects.unscoped("test")
        .filter(project=world.projects["yunjing"], merged_into=None)
        .order_by("pk")
        .first()
    )
    text = (
        "姓名,手机\n"
        f"甲,{mine.phone}\n"
        "乙,13900000001\n"
        "丙,12345\n"
        f"丁,{other.phone}\n"
        "戊,13900000001\n"
        "己,\n"
    )
    # the sales manager of 滨海花园 sees his project's customers only
    campaign = make(
        world, by="manager", source="upload", upload=_csv(text), text="{姓名}您好，开放日见。"
    )
    job = generate(campaign, world.users["manager"], capture)
    counts = campaign.counts
    assert counts["to_send"] == 2  # 甲 (a customer) and 乙 (a number)
    assert counts["out_of_scope"] == 1 and counts["duplicate"] == 1
    assert counts["row_errors"] == 2
    assert {e["row"] for e in job.errors} == {4, 7}
    row = CampaignRecipient.objects.get(campaign=campaign, address="13900000001", status="pending")
    assert row.customer is None and row.body.startswith("乙您好")
    assert (
        CampaignRecipient.objects.get(campaign=campaign, customer=mine).idempotency_key()
        == f"campaign:{campaign.pk}:customer:{mine.pk}"
    )


@pytest.mark.django_db
def test_an_upload_without_a_phone_column_is_refused_at_once(world):
    with pytest.raises(ApplicationError) as exc:
        make(world, source="upload", upload=_csv("姓名,地址\n甲,深圳\n"))
    assert exc.value.field == "file"
    assert not Campaign.objects.unscoped("test").filter(name="五一看房团").exists()


def test_numbers_typed_into_excel_as_numbers_are_read():
    from anju.messaging.campaign_sources import _cell

    assert _cell((13812345678.0,), {0: "phone"}, "phone") == "13812345678"


@pytest.mark.django_db
def test_whoever_generated_the_list_may_not_approve_it_either(world, capture):
    campaign = make(world, by="service")
    generate(campaign, world.users["servicemgr"], capture)  # the manager generated the list
    campaign_submit(by=world.users["service"], campaign=campaign)
    with pytest.raises(NotPermitted):
        campaign_decide(by=world.users["servicemgr"], campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == S.AWAITING_APPROVAL and campaign.approved_by is None


@pytest.mark.django_db
def test_an_events_seated_list_is_a_recipient_source(world, capture, at_local):
    """MSG-2 "an event's list": the events app's ``event_recipients`` (helper "events")."""
    pytest.importorskip("anju.membership.events_selectors")
    from anju.membership.events_models import SEATED, ClubEvent, EventRegistration

    at_local(10)
    seated = EventRegistration.objects.unscoped("test").filter(status__in=list(SEATED))
    event = (
        ClubEvent.objects.unscoped("test")
        .filter(pk__in=seated.values("event"), company=world.companies["sz"])
        .first()
    )
    on_list = seated.filter(event=event).values_list("customer_id", flat=True)
    campaign = make(
        world,
        project=event.project,
        source="event",
        source_params={"event": event.pk},
        kind=Kind.SERVICE,
        text="{称呼}您好，活动明天开始，请准时到场。",
    )
    generate(campaign, world.users["service"], capture)
    listed = CampaignRecipient.objects.filter(campaign=campaign)
    assert set(listed.values_list("customer_id", flat=True)) == set(on_list)
    assert campaign.counts["candidates"] == len(set(on_list))
    with pytest.raises(ApplicationError):
        make(world, source="event", source_params={"event": 2**40})


@pytest.mark.django_db
def test_a_release_stopped_midway_resumes_and_sends_nobody_twice(
    world, capture, at_local, monkeypatch
):
    """MSG-2: "a campaign interrupted midway resumes without sending anyone twice"."""
    from anju.messaging import campaign_services

    at_local(10)
    campaign = make(world)
    generate(campaign, world.users["service"], capture)
    campaign_submit(by=world.users["service"], campaign=campaign)
    campaign = campaign_decide(by=world.users["servicemgr"], campaign=campaign)
    monkeypatch.setattr(campaign_services, "SEND_BATCH", 10)
    real_release, calls = campaign_services._release, []

    def die_on_the_third_batch(by, campaign, batch):
        calls.append(len(batch))
        if len(calls) == 3:
            real_release(by, campaign, batch)  # written, then the worker dies before commit
            raise RuntimeError("worker killed")
        real_release(by, campaign, batch)

    monkeypatch.setattr(campaign_services, "_release", die_on_the_third_batch)
    with capture(execute=True):  # the task's failure is the job's (logged), not ours
        job = campaign_send(by=world.users["service"], campaign=campaign)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    messages = Message.objects.unscoped("test").filter(source=campaign.source_name)
    assert messages.count() == 20  # two batches committed, the third rolled back whole
    campaign.refresh_from_db()
    assert campaign.status == S.SENDING
    monkeypatch.setattr(campaign_services, "_release", real_release)
    with capture(execute=True):
        campaign_send(by=world.users["service"], campaign=campaign)  # resume
    campaign.refresh_from_db()
    assert campaign.status == S.SENT
    assert messages.count() == campaign.counts["to_send"]
    assert messages.values("idempotency_key").distinct().count() == messages.count()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_generates_at_once_start_one_job(world):
    """Two people press "generate" at the same moment: one job, the other a 409."""
    campaign = make(world)

    def press(user):
        campaign_generate(by=user, campaign=campaign)
        return "started"

    started, refused, errors = run_at_once(
        press, [world.users[name] for name in ("service", "servicemgr")]
    )
    assert not errors, errors
    assert all(isinstance(exc, Conflict) for exc in refused)
    outcomes = started + [exc.code for exc in refused]
    assert sorted(outcomes) == ["already_generating", "started"]
    jobs = Job.objects.unscoped("test").filter(kind="campaign_generate")
    assert jobs.filter(params__campaign=campaign.pk).count() == 1


@pytest.mark.django_db
def test_merge_and_erasure_reach_the_campaign_lists(world, capture):
    from anju.customers.privacy import Erasure
    from anju.messaging.campaign_apps import erase_campaign_recipients, move_campaign_recipients

    campaign = make(world)
    generate(campaign, world.users["service"], capture)
    first, second = CampaignRecipient.objects.filter(campaign=campaign, status="pending")[:2]
    survivor = second.customer
    before = CampaignRecipient.objects.filter(customer=first.customer).count()  # demo lists too
    assert move_campaign_recipients(duplicate=first.customer, survivor=survivor) == {
        "campaign_recipients": before
    }
    first.refresh_from_db()
    assert first.customer_id == survivor.pk
    erasure = Erasure(
        company_id=survivor.company_id,
        customer_ids=[survivor.pk],
        phones={survivor.phone},
        names={survivor.name},
        other_secrets=set(),
        label="已删除客户",
    )
    erase_campaign_recipients(erasure)
    for row in (first, second):
        row.refresh_from_db()
        assert (row.address, row.name, row.body) == ("", "", "")
        assert row.status == "excluded"  # nobody contacts an erased person
    assert CampaignRecipient in erasure.touched
