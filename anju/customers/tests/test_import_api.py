"""Customer import through the API (CUS-9, issue 8 item 3): the page's flow and results.

The test that matters: the same file imported through the page and through the API ends
with the same row errors (and previews the same first rows with the same reasons).
"""

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from anju.core.models import Job
from anju.core.services import api_token_create
from anju.customers import imports
from anju.customers.models import Customer

from .test_import import csv_upload, good_rows, phone, xlsx_upload


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def bearer(user):
    _t, secret = api_token_create(by=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def bad_rows():
    rows = good_rows(12)
    rows[1][1] = "12345"  # row 3: not a phone number
    rows[4][3] = "2023-02-30"  # row 6: impossible date
    rows[6][6] = "Z"  # row 8: unknown grade
    rows[11][1] = rows[0][1]  # row 13: same number as row 2 (beyond the preview)
    return rows


def upload(client, auth, file, **fields):
    """POST the file; the company is 深圳 unless named (``company_id=None``: left out)."""
    from anju.org.models import Company

    fields.setdefault("company_id", Company.objects.get(code="sz").pk)
    data = {k: v for k, v in fields.items() if v is not None}
    return client.post("/api/v1/customer-imports", {"file": file, **data}, **auth)


def start(client, auth, job_id, capture):
    with capture(execute=True):
        return client.post(f"/api/v1/customer-imports/{job_id}/start", **auth)


@pytest.mark.parametrize("make", [csv_upload, xlsx_upload])
def test_api_and_page_end_with_the_same_row_errors(
    world, client, login, django_capture_on_commit_callbacks, make
):
    user = world.users["datasteward"]
    company = world.companies["sz"].pk
    # --- through the page
    page = login(user)
    resp = page.post(
        "/customers/import/", {"file": make(bad_rows()), "company": company, "all_or_nothing": "on"}
    )
    assert resp.status_code == 302
    page_job = Job.objects.latest("id")
    preview_html = html.unescape(page.get(resp["Location"]).content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        page.post(f"/customers/import/{page_job.pk}/start/")
    page_job.refresh_from_db()
    page.logout()

    # --- through the API
    auth = bearer(user)
    created = upload(client, auth, make(bad_rows()), company_id=company, all_or_nothing="true")
    assert created.status_code == 201, created.content
    body = created.json()
    job_id = body["job"]["id"]
    assert body["job"]["status"] == "queued" and body["job"]["kind"] == "customer_import"
    preview = body["preview"]
    assert preview["rows"] == 12
    assert [r["row"] for r in preview["first_rows"]] == list(range(2, 2 + imports.PREVIEW_ROWS))
    # the preview's problems: the rows and reasons the page's preview shows
    assert sorted({e["row"] for e in preview["errors"]}) == [3, 6, 8]
    for e in preview["errors"]:
        assert f"{e['column']}: {e['reason']}" in preview_html
    assert {(r["row"], r["name"]) for r in preview["first_rows"]} == {
        (i + 2, row[0]) for i, row in enumerate(bad_rows()[: imports.PREVIEW_ROWS])
    }

    started = start(client, auth, job_id, django_capture_on_commit_callbacks)
    assert started.status_code == 202
    api_job = Job.objects.get(pk=job_id)
    assert api_job.status == page_job.status == Job.Status.FAILED
    assert api_job.errors == page_job.errors
    assert sorted({e["row"] for e in api_job.errors}) == [3, 6, 8, 13]
    assert api_job.result == page_job.result and api_job.result["written"] is False

    # status through /jobs/{id}, the errors as JSON (paged) and as the page's CSV
    status = client.get(f"/api/v1/jobs/{job_id}", **auth).json()
    assert status["status"] == "failed" and status["error_count"] == len(api_job.errors)
    assert status["errors_url"] == f"/api/v1/customer-imports/{job_id}/errors"
    assert status["message"] == api_job.message
    first = client.get(status["errors_url"] + "?page_size=2", **auth).json()
    assert first["count"] == len(api_job.errors) and len(first["items"]) == 2
    everything = client.get(status["errors_url"] + "?page_size=500", **auth).json()["items"]
    assert everything == [
        {k: e.get(k, "") for k in ("row", "column", "field", "reason", "value")}
        for e in page_job.errors
    ]
    api_csv = b"".join(client.get(f"{status['errors_url']}.csv", **auth))
    page_csv = login(user).get(f"/customers/import/{page_job.pk}/errors.csv").content
    assert api_csv == page_csv


def test_a_second_start_is_409_already_started(world, client, django_capture_on_commit_callbacks):
    auth = bearer(world.users["consultant"])
    job_id = upload(client, auth, csv_upload(good_rows(3))).json()["job"]["id"]
    assert start(client, auth, job_id, django_capture_on_commit_callbacks).status_code == 202
    created = Customer.objects.filter(phone__in=[phone(i) for i in range(3)]).count()
    assert created == 3
    again = start(client, auth, job_id, django_capture_on_commit_callbacks)
    assert again.status_code == 409
    assert again.json()["code"] == "already_started"
    assert Customer.objects.filter(phone__in=[phone(i) for i in range(3)]).count() == 3


def test_a_consultant_of_another_project_cannot_see_the_import(world, client):
    auth = bearer(world.users["consultant"])
    job_id = upload(client, auth, csv_upload(good_rows(3))).json()["job"]["id"]
    other = bearer(world.users["consultant2"])  # 云境, same company
    for url in (
        f"/api/v1/jobs/{job_id}",
        f"/api/v1/customer-imports/{job_id}",
        f"/api/v1/customer-imports/{job_id}/errors",
        f"/api/v1/customer-imports/{job_id}/errors.csv",
    ):
        assert client.get(url, **other).status_code == 404, url
    before = Job.objects.get(pk=job_id).params
    assert client.post(f"/api/v1/customer-imports/{job_id}/start", **other).status_code == 404
    assert Job.objects.get(pk=job_id).params == before
    assert job_id not in [j["id"] for j in client.get("/api/v1/jobs", **other).json()["items"]]
    # the uploader sees it, and its preview
    mine = client.get(f"/api/v1/customer-imports/{job_id}", **auth).json()
    assert mine["preview"]["rows"] == 3 and mine["preview_error"] is None


@pytest.mark.parametrize(
    ("file", "code"),
    [
        (SimpleUploadedFile("a.csv", b""), "invalid"),
        (SimpleUploadedFile("a.pdf", b"%PDF-1.4 hello"), "invalid"),
        (SimpleUploadedFile("a.xlsx", b"PK\x03\x04 not really"), "invalid"),
        (SimpleUploadedFile("a.csv", "甲,乙\n1,2\n".encode()), "invalid"),
        (SimpleUploadedFile("a.csv", "姓名,手机\n".encode()), "invalid"),
    ],
)
def test_bad_files_are_422_on_the_file_field_and_create_nothing(world, client, file, code):
    before = Job.objects.count()
    response = upload(client, bearer(world.users["datasteward"]), file)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == "file" and response.json()["detail"]
    assert response.json()["code"] == code
    assert Job.objects.count() == before


def test_oversize_file_is_422_file_too_large(world, client, monkeypatch):
    monkeypatch.setattr(imports.reading, "MAX_FILE_BYTES", 100)
    before = Job.objects.count()
    response = upload(client, bearer(world.users["datasteward"]), csv_upload(good_rows(20)))
    assert response.status_code == 422
    assert response.json()["code"] == "file_too_large" and response.json()["field"] == "file"
    assert Job.objects.count() == before


def test_company_and_project_are_checked_as_on_the_page(world, client):
    steward = bearer(world.users["datasteward"])
    before = Job.objects.count()
    zh = world.companies["zh"].pk
    refused = upload(client, steward, csv_upload(good_rows(2)), company_id=zh)
    assert refused.status_code == 404  # 珠海 is outside the 深圳 data steward's scope
    manager = bearer(world.users["manager"])
    group = bearer(world.users["group"])  # sees 珠海 and 深圳, imports into neither
    assert upload(client, group, csv_upload(good_rows(2)), company_id=zh).status_code == 403
    assert upload(client, manager, csv_upload(good_rows(2)), company_id=zh).status_code == 404
    wrong_project = upload(
        client,
        steward,
        csv_upload(good_rows(2)),
        company_id=world.companies["sz"].pk,
        project_id=world.projects["haiwan"].pk,
    )
    assert wrong_project.status_code == 404 and wrong_project.json()["field"] == "project_id"
    for who in ("engineer", "service", "callcentre", "steward"):
        response = upload(client, bearer(world.users[who]), csv_upload(good_rows(2)))
        assert response.status_code == 403, who
    assert Job.objects.count() == before
    # the company is required, as on the page (where a single one is a hidden field)
    consultant = bearer(world.users["consultant"])
    assert upload(client, consultant, csv_upload(good_rows(2)), company_id=None).status_code == 422
    ok = upload(
        client,
        consultant,
        csv_upload(good_rows(2)),
        company_id=world.companies["sz"].pk,
        project_id=world.projects["binhai"].pk,
        all_or_nothing="false",
    )
    assert ok.status_code == 201
    assert ok.json()["project_id"] == world.projects["binhai"].pk
    assert ok.json()["all_or_nothing"] is False


def test_unknown_form_fields_are_refused(world, client):
    before = Job.objects.count()
    response = upload(
        client, bearer(world.users["datasteward"]), csv_upload(good_rows(2)), colour="red"
    )
    assert response.status_code == 422
    assert Job.objects.count() == before


def test_start_after_the_upload_was_removed_is_409_file_removed(
    world, client, django_capture_on_commit_callbacks
):
    auth = bearer(world.users["consultant"])
    job_id = upload(client, auth, csv_upload(good_rows(2))).json()["job"]["id"]
    job = Job.objects.get(pk=job_id)
    job.input_file.delete(save=False)
    shown = client.get(f"/api/v1/customer-imports/{job_id}", **auth).json()
    assert shown["preview"] is None and shown["preview_error"]
    refused = start(client, auth, job_id, django_capture_on_commit_callbacks)
    assert refused.status_code == 409 and refused.json()["code"] == "file_removed"
    assert Job.objects.get(pk=job_id).params["confirmed"] is False


@pytest.mark.parametrize("bad", [3, 40])
def test_error_list_query_count_does_not_grow_with_the_errors(
    world, client, django_capture_on_commit_callbacks, django_assert_num_queries, bad
):
    rows = good_rows(50)
    for i in range(bad):
        rows[i][1] = "12345"
    auth = bearer(world.users["datasteward"])
    job_id = upload(client, auth, csv_upload(rows)).json()["job"]["id"]
    start(client, auth, job_id, django_capture_on_commit_callbacks)
    # the token with its user, his roles, the job: whatever the number of errors
    with django_assert_num_queries(3):
        page = client.get(f"/api/v1/customer-imports/{job_id}/errors?page_size=500", **auth)
    assert page.json()["count"] == bad and len(page.json()["items"]) == bad
