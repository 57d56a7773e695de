"""Campaign pages (MSG-2): the flow through the forms, the review page's figures, and query
counts that do not grow with the list (issue 10)."""

import pytest

from anju.messaging.campaign_services import campaign_create, campaign_generate
from anju.messaging.campaigns import Campaign, CampaignRecipient, CampaignStatus
from anju.messaging.models import Message


def finished(world):
    """The demo's finished campaign (messaging/campaign_demo.py)."""
    return Campaign.objects.unscoped("test").get(status=CampaignStatus.SENT)


@pytest.mark.django_db
def test_the_review_page_shows_counts_sample_segments_and_cost(world, login):
    campaign = finished(world)
    response = login(world.users["servicemgr"]).get(f"/campaigns/{campaign.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-testid="to-send">{campaign.counts["to_send"]}' in html
    sample = response.context["sample"]
    assert sample and all(r.body.endswith("回T退订") for r in sample)
    assert "****" in sample[0].shown_address  # masked (SEC-2)
    assert sample[0].address not in html
    assert response.context["cost"] == response.context["price"] * campaign.segments
    assert response.context["message_counts"]["total"] == campaign.counts["to_send"]


@pytest.mark.django_db
def test_a_campaign_is_created_generated_and_put_up_from_the_pages(
    world, login, django_capture_on_commit_callbacks
):
    client = login(world.users["service"])
    response = client.post(
        "/campaigns/new/",
        {
            "name": "开放日邀请",
            "company": world.companies["sz"].pk,
            "project": world.projects["binhai"].pk,
            "channel": "sms",
            "kind": "marketing",
            "text": "{称呼}您好，{项目}{日期}开放日欢迎您。",
            "extra_date": "6月1日",
            "source": "filter",
            "f-grade": "A",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    campaign = Campaign.objects.unscoped("test").get(name="开放日邀请")
    assert campaign.source_params == {"grade": "A"}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/campaigns/{campaign.pk}/generate/").status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.GENERATED
    client.post(f"/campaigns/{campaign.pk}/submit/")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.AWAITING_APPROVAL


@pytest.mark.django_db
def test_an_unknown_field_is_a_form_error_not_a_500(world, login):
    client = login(world.users["service"])
    response = client.post(
        "/campaigns/new/",
        {"name": "x", "company": world.companies["sz"].pk, "channel": "sms",
         "kind": "marketing", "text": "{生肖}好", "source": "filter"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "生肖" in str(response.context["form"].errors)
    assert not Campaign.objects.unscoped("test").filter(name="x").exists()


@pytest.mark.django_db
def test_a_second_generate_from_the_page_says_it_runs_already(world, login):
    client = login(world.users["service"])
    campaign = campaign_create(
        by=world.users["service"], company=world.companies["sz"], name="t", text="您好"
    )
    campaign_generate(by=world.users["service"], campaign=campaign)  # queued
    response = client.post(f"/campaigns/{campaign.pk}/generate/", follow=True)
    assert "名单正在生成中。" in response.content.decode()  # "The list is being generated already."


@pytest.mark.django_db
def test_a_consultant_may_not_open_the_new_campaign_form(world, login):
    assert login(world.users["consultant"]).get("/campaigns/new/").status_code == 403


@pytest.mark.django_db
def test_pages_query_counts_do_not_grow_with_the_list(world, login, django_assert_max_num_queries):
    campaign = finished(world)
    client = login(world.users["servicemgr"])
    urls = [
        "/campaigns/",
        f"/campaigns/{campaign.pk}/",
        f"/campaigns/{campaign.pk}/recipients/",
        f"/campaigns/{campaign.pk}/messages/",
    ]
    before = {}
    for url in urls:
        with django_assert_max_num_queries(16) as ctx:
            assert client.get(url).status_code == 200
        before[url] = len(ctx.captured_queries)
    # more rows and messages, and more campaigns: the same number of queries
    rows = list(CampaignRecipient.objects.filter(campaign=campaign))
    messages = list(Message.objects.unscoped("test").filter(source=campaign.source_name))
    for n in range(60):
        CampaignRecipient.objects.create(
            campaign=campaign, address=f"1390000{n:04d}", status="excluded", reason="duplicate"
        )
    for m in messages[:1]:
        for n in range(60):
            m.pk = None
            m.idempotency_key = f"test:{n}"
            m.save()
    Campaign.objects.bulk_create(
        [
            Campaign(company=campaign.company, project=campaign.project, name=f"c{n}",
                     text="您好", prepared_by=world.users["service"])
            for n in range(60)
        ]
    )  # fmt: skip
    assert rows
    for url in urls:
        with django_assert_max_num_queries(16) as ctx:
            client.get(url)
        assert len(ctx.captured_queries) <= before[url] + 1, url  # + the COUNT of a 2nd page
