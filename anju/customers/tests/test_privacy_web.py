"""PIPL pages and API (SEC-2, issue 7 items 13 and 14): the 360° buttons, the data steward's
request list and approvals, and the same through /api/v1."""

import io
import zipfile

import pytest

from anju.core.models import PersonalDataAccess
from anju.customers.models import Customer, CustomerPhone
from anju.customers.privacy_models import ErasureRequest, ErasureStatus, RetentionPolicy
from anju.customers.services import customer_register

PHONE = "13722223333"


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.ANJU_PRIVATE_ROOT = tmp_path / "private"


@pytest.fixture
def customer(world):
    return customer_register(
        by=world.users["consultant"],
        company=world.companies["sz"],
        project=world.projects["binhai"],
        phone=PHONE,
        name="页面测试",
    ).customer


def test_360_buttons_only_for_who_may_use_them(world, customer, login):
    """Issue 7 items 13–14: the steward sees both buttons; a consultant neither."""
    page = login(world.users["datasteward"]).get(f"/customers/{customer.pk}/").content.decode()
    assert 'data-testid="data-package"' in page and 'data-testid="request-erasure"' in page
    page = login(world.users["consultant"]).get(f"/customers/{customer.pk}/").content.decode()
    assert "data-package" not in page and "request-erasure" not in page


def test_requests_page_is_for_stewards_and_managers(world, login):
    assert login(world.users["consultant"]).get("/privacy/").status_code == 404
    for who in ("datasteward", "servicemgr", "admin"):
        assert login(world.users[who]).get("/privacy/").status_code == 200, who
    page = login(world.users["datasteward"]).get("/privacy/").content.decode()
    assert "删除申请" in page and "保存期限策略" in page  # zh-hans by default (RUN-3)


def test_request_and_approve_through_the_pages(world, customer, client):
    """A service manager requests, the data steward approves on the list page."""
    client.force_login(world.users["servicemgr"])
    response = client.post(f"/privacy/customers/{customer.pk}/erase/", {"reason": "客户书面要求"})
    assert response.status_code == 302
    request = ErasureRequest.objects.get(customer=customer)
    page = client.get("/privacy/").content.decode()
    assert 'data-testid="approve"' not in page  # not his own request
    client.force_login(world.users["datasteward"])
    page = client.get("/privacy/?status=pending").content.decode()
    assert 'data-testid="approve"' in page
    client.post(f"/privacy/requests/{request.pk}/approve/", {"note": "核实"})
    request.refresh_from_db()
    customer.refresh_from_db()
    assert request.status == ErasureStatus.APPLIED and customer.anonymised_at
    assert not CustomerPhone.objects.filter(phone=PHONE).exists()
    assert 'data-testid="anonymised"' in client.get(f"/customers/{customer.pk}/").content.decode()


def test_consultant_cannot_request_erasure_page(world, customer, login):
    client = login(world.users["consultant"])
    assert client.get(f"/privacy/customers/{customer.pk}/erase/").status_code == 404
    client.post(f"/privacy/customers/{customer.pk}/erase/", {"reason": "x"})
    assert not ErasureRequest.objects.exists()


def test_package_through_the_pages(world, customer, client, django_capture_on_commit_callbacks):
    client.force_login(world.users["datasteward"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/privacy/customers/{customer.pk}/package/")
    assert response.status_code == 302 and "/jobs/" in response["Location"]
    job_page = client.get(response["Location"]).content.decode()
    assert "/privacy/packages/" in job_page  # the job page links to the download
    job_id = int(response["Location"].rstrip("/").rsplit("/", 1)[-1])
    listing = client.get("/privacy/").content.decode()
    assert f"/privacy/packages/{job_id}/download/" in listing  # "My data packages"


def test_retention_form(world, login):
    client = login(world.users["datasteward"])
    sz = world.companies["sz"]
    client.post(f"/privacy/retention/{sz.pk}/", {"is_enabled": "on", "lead_retention_days": "800"})
    assert RetentionPolicy.objects.get(company=sz).lead_retention_days == 800
    client.post(f"/privacy/retention/{sz.pk}/", {"lead_retention_days": "5"})
    assert RetentionPolicy.objects.get(company=sz).lead_retention_days == 800
    login(world.users["manager"]).post(
        f"/privacy/retention/{sz.pk}/", {"lead_retention_days": "900"}
    )
    assert RetentionPolicy.objects.get(company=sz).lead_retention_days == 800


# --- API ---------------------------------------------------------------------------------------


def test_api_erasure_request_and_approval(world, customer, client):
    """Issue 7 item 14 via /api/v1: request → 201; the requester's approval → 400; another
    steward-level user approves → applied; a consultant → 403/404, nothing changes."""
    client.force_login(world.users["consultant"])
    r = client.post(
        f"/api/v1/customers/{customer.pk}/erasure-requests",
        {"reason": "x"},
        content_type="application/json",
    )
    assert r.status_code == 403
    client.force_login(world.users["datasteward"])
    r = client.post(
        f"/api/v1/customers/{customer.pk}/erasure-requests",
        {"reason": "客户要求删除"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    request_id = r.json()["id"]
    r = client.post(
        f"/api/v1/erasure-requests/{request_id}/approve", {}, content_type="application/json"
    )
    assert r.status_code == 403 and r.json()["code"] == "four_eyes"
    assert client.get("/api/v1/erasure-requests?status=pending").json()["count"] == 1
    client.force_login(world.users["admin"])
    r = client.post(
        f"/api/v1/erasure-requests/{request_id}/approve",
        {"note": "ok"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == "applied"
    assert Customer.objects.get(pk=customer.pk).anonymised_at is not None


def test_api_data_package(world, customer, client, django_capture_on_commit_callbacks):
    """Issue 7 item 13 via /api/v1: start → 202 job; status; download by the requester only."""
    client.force_login(world.users["datasteward"])
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/api/v1/customers/{customer.pk}/data-package")
    assert r.status_code == 202, r.content
    job_id = r.json()["job_id"]
    status = client.get(f"/api/v1/data-packages/{job_id}").json()
    assert status["status"] == "succeeded" and status["download_url"]
    r = client.get(status["download_url"])
    assert r.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(r.streaming_content)))
    assert len(archive.namelist()) == 2
    assert PersonalDataAccess.objects.filter(action="export", target_id=customer.pk).count() == 1
    client.force_login(world.users["admin"])
    assert client.get(f"/api/v1/data-packages/{job_id}").status_code == 404
    assert client.get(f"/api/v1/data-packages/{job_id}/download").status_code == 404
    client.force_login(world.users["consultant"])
    assert client.post(f"/api/v1/customers/{customer.pk}/data-package").status_code == 403


def test_request_list_queries_do_not_grow_with_rows(world, login):
    """House rule 5: the list page reads in a constant number of queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from anju.customers.privacy_services import erasure_request

    steward = world.users["datasteward"]
    customers = list(Customer.objects.filter(company=world.companies["sz"])[:12])
    client = login(steward)

    def file(batch):
        for c in batch:
            erasure_request(by=world.users["servicemgr"], customer=c, reason="要求删除")

    file(customers[:2])
    with CaptureQueriesContext(connection) as few:
        assert client.get("/privacy/").status_code == 200
    file(customers[2:])
    with CaptureQueriesContext(connection) as many:
        assert client.get("/privacy/").status_code == 200
    assert len(many) == len(few)
