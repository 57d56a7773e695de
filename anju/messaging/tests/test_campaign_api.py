"""Campaign API (MSG-2): create, generate (202, progress), approve, send, status, messages."""

import pytest

from anju.messaging.campaigns import Campaign, CampaignStatus
from anju.messaging.models import Message


def finished():
    return Campaign.objects.unscoped("test").get(status=CampaignStatus.SENT)


@pytest.mark.django_db
def test_the_api_runs_a_campaign_end_to_end(world, login, django_capture_on_commit_callbacks):
    service = login(world.users["service"])
    response = service.post(
        "/api/v1/campaigns",
        {
            "company_id": world.companies["sz"].pk,
            "project_id": world.projects["binhai"].pk,
            "name": "API 群发",
            "text": "{称呼}您好，{项目}{活动}欢迎参加。",
            "extra": {"活动": "业主答谢宴"},
            "filters": {"grade": "A"},
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft" and body["source_params"] == {"grade": "A"}
    pk = body["id"]
    with django_capture_on_commit_callbacks(execute=True):
        response = service.post(f"/api/v1/campaigns/{pk}/generate")
    assert response.status_code == 202
    status = service.get(f"/api/v1/campaigns/{pk}").json()
    assert status["status"] == "generated" and status["counts"]["to_send"] > 0
    assert service.post(f"/api/v1/campaigns/{pk}/submit").json()["status"] == "awaiting"
    # the preparer may not approve
    response = service.post(
        f"/api/v1/campaigns/{pk}/approve", {"approve": True}, content_type="application/json"
    )
    assert response.status_code == 403
    manager = login(world.users["servicemgr"])
    response = manager.post(
        f"/api/v1/campaigns/{pk}/approve", {"approve": True}, content_type="application/json"
    )
    assert response.json()["status"] == "approved"
    with django_capture_on_commit_callbacks(execute=True):
        response = service.post(f"/api/v1/campaigns/{pk}/send")
    assert response.status_code == 202
    status = service.get(f"/api/v1/campaigns/{pk}").json()
    assert status["status"] == "sent"
    assert status["messages"]["total"] == status["counts"]["to_send"]


@pytest.mark.django_db
def test_a_second_generate_is_409_and_editing_after_approval_is_refused(world, login):
    client = login(world.users["service"])
    response = client.post(
        "/api/v1/campaigns",
        {"company_id": world.companies["sz"].pk, "name": "x", "text": "您好"},
        content_type="application/json",
    )
    pk = response.json()["id"]
    assert client.post(f"/api/v1/campaigns/{pk}/generate").status_code == 202  # queued
    response = client.post(f"/api/v1/campaigns/{pk}/generate")
    assert response.status_code == 409 and response.json()["code"] == "already_generating"
    response = client.post(f"/api/v1/campaigns/{finished().pk}/generate")
    assert response.status_code == 409 and response.json()["code"] == "campaign_locked"


@pytest.mark.django_db
def test_bad_input_is_a_clear_4xx(world, login):
    client = login(world.users["service"])
    base = {"company_id": world.companies["sz"].pk, "name": "x"}
    for body in [
        {**base, "text": "{生肖}您好"},
        {**base, "text": "您好", "filters": {"grade": "Z"}},
        {**base, "text": "您好", "extra": {"生肖": "马"}},
    ]:
        response = client.post("/api/v1/campaigns", body, content_type="application/json")
        assert 400 <= response.status_code < 500, (body, response.content)
    assert not Campaign.objects.unscoped("test").filter(name="x").exists()


@pytest.mark.django_db
def test_messages_list_is_masked_paged_and_counted(world, login, django_assert_max_num_queries):
    campaign = finished()
    client = login(world.users["servicemgr"])
    with django_assert_max_num_queries(8):
        response = client.get(f"/api/v1/campaigns/{campaign.pk}/messages")
    body = response.json()
    assert (
        body["count"] == Message.objects.unscoped("t").filter(source=campaign.source_name).count()
    )
    assert all("****" in m["to"] for m in body["items"])
    delivered = client.get(f"/api/v1/campaigns/{campaign.pk}/messages?status=delivered").json()
    assert {m["status"] for m in delivered["items"]} == {"delivered"}
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/campaigns").status_code == 200


@pytest.mark.django_db
def test_out_of_scope_is_404(world, login):
    campaign = finished()  # 深圳 滨海花园
    client = login(world.users["manager_zh"])
    assert client.get(f"/api/v1/campaigns/{campaign.pk}").status_code == 404
    assert client.get(f"/campaigns/{campaign.pk}/").status_code == 404
