"""Exports as API jobs (issue 8 item 3, INT-1, CUS-9, SEC-2): request → progress → download.

The job's file must be the streamed export's file for the same filters: same rows, same
masking, formula-looking cells neutralised, and the access-log entry.
"""

import csv
import io

import openpyxl
import pytest

from anju.core.export_jobs import EXPORT_KEEP_DAYS, JOB_KIND, export_kinds, purge_export_files
from anju.core.models import Job, PersonalDataAccess
from anju.core.services import api_token_create
from anju.customers.services import customer_register

FORMULA = '=HYPERLINK("http://x","y")'


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.ANJU_PRIVATE_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.ANJU_PRIVATE_ROOT


def bearer(user):
    _t, secret = api_token_create(by=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def customers(world):
    sz = world.companies["sz"]
    out = {}
    for who, project, ph, name in [
        ("consultant", "binhai", "13900001111", "李小龙"),
        ("consultant", "binhai", "13900002222", FORMULA),
        ("consultant2", "yunjing", "13900003333", "张云境"),
    ]:
        out[ph] = customer_register(
            by=world.users[who], company=sz, project=world.projects[project], phone=ph, name=name
        ).customer
    return out


@pytest.fixture
def request_export(client, django_capture_on_commit_callbacks):
    """POST /exports as ``user``; the task runs when the request's transaction commits."""

    def _request(user, body):
        auth = bearer(user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/api/v1/exports", body, content_type="application/json", **auth)
        return response, auth

    return _request


def _csv(content: bytes):
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _xlsx(content: bytes):
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [[(c.value, c.data_type) for c in row] for row in book.active.iter_rows()]


def _streamed(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("who", ["consultant", "manager"])
def test_job_file_equals_the_streamed_export_for_the_same_filters(
    world, customers, client, login, request_export, who
):
    """CSV: the same lines as the page's export (masked for the consultant, full for the
    manager who may unmask); the formula-looking name is neutralised in both."""
    user = world.users[who]
    project = world.projects["binhai"].pk
    page = login(user).get(f"/customers/import/export.csv?project={project}&status=lead")
    assert page.status_code == 200
    page_rows = _csv(_streamed(page))

    before = set(PersonalDataAccess._base_manager.values_list("pk", flat=True))
    response, auth = request_export(
        user,
        {
            "kind": "customers",
            "format": "csv",
            "filters": {"project_id": project, "status": "lead"},
        },
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["kind"] == JOB_KIND and body["status"] == "queued"
    job = Job.objects.get(pk=body["id"])
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert job.progress_done == job.progress_total == len(page_rows) - 1

    status = client.get(f"/api/v1/jobs/{job.pk}", **auth).json()
    assert status["status"] == "succeeded" and status["percent"] == 100
    assert status["result"]["rows"] == len(page_rows) - 1
    assert "file" not in status["result"]  # the private path stays private
    # the job page offers the same file ("Open the result"), the browser's session suffices
    assert status["download_url"] in login(user).get(f"/jobs/{job.pk}/").content.decode()
    download = client.get(status["download_url"], **auth)
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    assert download["Cache-Control"] == "no-store"
    job_rows = _csv(_streamed(download))

    assert job_rows == page_rows
    text = str(job_rows)
    assert "'" + FORMULA in text and "张云境" not in text
    if who == "consultant":
        assert "139****1111" in text and "13900001111" not in text
    else:
        assert "13900001111" in text

    entry = PersonalDataAccess._base_manager.exclude(pk__in=before).get()
    assert (entry.user, entry.action, entry.record_count) == (user, "export", len(job_rows) - 1)
    assert entry.description.startswith("customers.csv")
    assert f"(job {job.pk})" in entry.description
    assert ("(masked)" if who == "consultant" else "(full)") in entry.description


def test_xlsx_job_keeps_formulas_as_text_and_masks_like_the_page(
    world, customers, client, login, request_export
):
    user = world.users["consultant"]
    page = login(user).get("/customers/import/export.xlsx")
    response, auth = request_export(user, {"kind": "customers", "format": "xlsx"})
    job = Job.objects.get(pk=response.json()["id"])
    download = client.get(f"/api/v1/exports/{job.pk}/download", **auth)
    assert download.status_code == 200 and download["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    cells = _xlsx(_streamed(download))
    assert cells == _xlsx(_streamed(page))
    formula = next(row for row in cells if row[1][0] == "'" + FORMULA)
    assert formula[1][1] == "s"  # a text cell, not a live formula
    assert formula[2][0] == "139****2222"


def test_reception_and_access_log_kinds_export_what_their_pages_export(
    world, customers, client, login, request_export
):
    """Every registered kind runs; the reception calls file equals the page's file."""
    assert {"customers", "reception_calls", "reception_tasks", "access_log"} <= set(export_kinds())
    manager = world.users["manager"]
    page = _csv(_streamed(login(manager).get("/reception/export/calls.csv")))
    response, auth = request_export(manager, {"kind": "reception_calls", "format": "csv"})
    job_id = response.json()["id"]
    assert _csv(_streamed(client.get(f"/api/v1/exports/{job_id}/download", **auth))) == page

    steward = world.users["datasteward"]
    sz = world.companies["sz"].pk
    listed = client.get(
        f"/api/v1/access-log?company_id={sz}&page_size=500", **bearer(steward)
    ).json()["count"]
    response, auth = request_export(
        steward,
        {
            "kind": "access_log",
            "format": "csv",
            "filters": {"company_id": world.companies["sz"].pk},
        },
    )
    job = Job.objects.get(pk=response.json()["id"])
    assert job.status == Job.Status.SUCCEEDED, job.message
    rows = _csv(_streamed(client.get(f"/api/v1/exports/{job.pk}/download", **auth)))
    # the log as it was when requested: the export's own entry is not in its file
    own = PersonalDataAccess._base_manager.filter(description__contains=f"(job {job.pk})")
    assert own.count() == 1 and len(rows) - 1 == job.result["rows"] == listed
    assert not any(f"(job {job.pk})" in " ".join(r) for r in rows)


@pytest.mark.parametrize("who", ["service", "engineer", "callcentre"])
def test_role_without_export_data_gets_403_and_no_job(world, customers, request_export, who):
    before = (Job._base_manager.count(), PersonalDataAccess._base_manager.count())
    response, _auth = request_export(world.users[who], {"kind": "customers", "format": "csv"})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert (Job._base_manager.count(), PersonalDataAccess._base_manager.count()) == before


def test_access_log_export_needs_the_log_permission_too(world, request_export):
    before = Job._base_manager.count()
    response, _auth = request_export(world.users["manager"], {"kind": "access_log"})
    assert response.status_code == 403
    assert Job._base_manager.count() == before


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"kind": "customers", "filters": {"colour": "red"}}, "filters.colour", 422),
        ({"kind": "customers", "filters": {"status": "nonsense"}}, "filters.status", 422),
        # a project he cannot see: not found, as everywhere in the API
        ({"kind": "customers", "filters": {"project_id": 2**40}}, "filters.project_id", 404),
        (
            {"kind": "reception_calls", "filters": {"date_from": "2026-02-30"}},
            "filters.date_from",
            422,
        ),
        ({"kind": "access_log", "filters": {"date_from": "x"}}, "filters.date_from", 422),
    ],
)
def test_bad_requests_are_refused_before_a_job_exists(world, request_export, body, field, status):
    before = Job._base_manager.count()
    response, _auth = request_export(world.users["datasteward"], body)
    assert response.status_code == status, response.content
    assert response.json().get("field") == field
    assert Job._base_manager.count() == before


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "customers", "format": "pdf"},
        {"kind": "customers", "filters": {"q": ["a"]}},
        {"kind": "customers", "filters": {f"f{i}": 1 for i in range(21)}},
        {"kind": "x" * 41},
        {"kind": "nothing"},
        {"format": "csv"},
        {"kind": "customers", "colour": "red"},
    ],
)
def test_schema_violations_are_422(world, request_export, body):
    response, _auth = request_export(world.users["manager"], body)
    assert response.status_code == 422
    assert not Job._base_manager.filter(kind=JOB_KIND).exists()


def test_download_is_the_requesters_only(world, customers, client, request_export):
    """Others get 404 — also his manager, who sees the job row on the job pages."""
    response, _auth = request_export(world.users["consultant"], {"kind": "customers"})
    job_id = response.json()["id"]
    for other in ("consultant2", "manager", "datasteward", "admin", "consultant_zh"):
        got = client.get(f"/api/v1/exports/{job_id}/download", **bearer(world.users[other]))
        assert got.status_code == 404, other
        status = client.get(f"/api/v1/jobs/{job_id}", **bearer(world.users[other]))
        assert status.status_code in (200, 404), other
        if status.status_code == 200:
            assert status.json()["download_url"] is None, other


def test_not_ready_and_expired_files_are_409(world, customers, client):
    """A queued job (no worker ran it) answers 409 not_ready; after the purge, 409 gone."""
    from datetime import timedelta

    from django.utils import timezone

    from anju.core.export_jobs import export_job_run

    auth = bearer(world.users["consultant"])
    response = client.post(
        "/api/v1/exports", {"kind": "customers"}, content_type="application/json", **auth
    )
    job_id = response.json()["id"]
    waiting = client.get(f"/api/v1/exports/{job_id}/download", **auth)
    assert waiting.status_code == 409 and waiting.json()["code"] == "not_ready"
    export_job_run(job_id)
    assert client.get(f"/api/v1/exports/{job_id}/download", **auth).status_code == 200
    later = timezone.now() + timedelta(days=EXPORT_KEEP_DAYS + 1)
    assert purge_export_files(now=later) == 1
    gone = client.get(f"/api/v1/exports/{job_id}/download", **auth)
    assert gone.status_code == 409 and gone.json()["code"] == "gone"
    assert client.get(f"/api/v1/jobs/{job_id}", **auth).json()["download_url"] is None
    assert "next_url" not in Job.objects.get(pk=job_id).params


def test_the_page_export_and_the_job_share_one_preparation(monkeypatch, world, customers, login):
    """One piece of code: the streamed page export goes through export_prepare too."""
    from anju.core import exports

    calls = []
    real = exports.export_prepare

    def spy(**kwargs):
        calls.append(kwargs["filename"])
        return real(**kwargs)

    monkeypatch.setattr(exports, "export_prepare", spy)
    assert login(world.users["manager"]).get("/customers/import/export.csv").status_code == 200
    assert calls == ["customers"]


def test_a_phone_search_export_logs_the_search_once_and_the_export_once(
    world, customers, client, request_export
):
    """The filters are checked when requested but run once, by the job (SEC-2: the log
    counts searches, and the hourly limit with it)."""
    user = world.users["consultant"]
    before = set(PersonalDataAccess._base_manager.values_list("pk", flat=True))
    response, auth = request_export(
        user, {"kind": "customers", "format": "csv", "filters": {"q": "13900001111"}}
    )
    job = Job.objects.get(pk=response.json()["id"])
    assert job.status == Job.Status.SUCCEEDED and job.result["rows"] == 1
    new = PersonalDataAccess._base_manager.exclude(pk__in=before).order_by("pk")
    assert [e.action for e in new] == ["search", "export"]
    assert "13900001111" not in " ".join(e.description for e in new)  # masked in the log
    rows = _csv(_streamed(client.get(f"/api/v1/exports/{job.pk}/download", **auth)))
    assert [r[2] for r in rows[1:]] == ["139****1111"]


def test_a_refused_phone_search_fails_the_job_with_the_reason_and_is_logged(
    world, customers, request_export
):
    user = world.users["consultant"]
    before = set(PersonalDataAccess._base_manager.values_list("pk", flat=True))
    response, _auth = request_export(
        user,
        {"kind": "customers", "filters": {"q": "1390000"}},  # a prefix: not for him
    )
    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["id"])
    assert job.status == Job.Status.FAILED and job.message
    assert not job.result.get("file")
    new = PersonalDataAccess._base_manager.exclude(pk__in=before)
    assert [(e.action, e.record_count) for e in new] == [("search", 0)]  # refused, no export


@pytest.mark.tasks
def test_an_export_job_runs_on_the_configured_queue(world, customers, client, task_queue):
    """The job's task waits in the real queue (database or Redis) until a worker runs it:
    409 before, the file after (issue 10 item 5)."""
    auth = bearer(world.users["consultant"])
    response = client.post(
        "/api/v1/exports", {"kind": "customers"}, content_type="application/json", **auth
    )
    assert response.status_code == 202
    job_id = response.json()["id"]
    assert task_queue.queued() == ["anju.core.tasks.export_task"]
    assert client.get(f"/api/v1/exports/{job_id}/download", **auth).status_code == 409

    task_queue.run()

    assert Job.objects.get(pk=job_id).status == Job.Status.SUCCEEDED
    download = client.get(f"/api/v1/exports/{job_id}/download", **auth)
    assert download.status_code == 200
    codes = {row[0][0] for row in _xlsx(_streamed(download))[1:]}
    assert {customers["13900001111"].code, customers["13900002222"].code} <= codes
    assert (
        customers["13900003333"].code not in codes
    )  # another project's consultant's  # header + the consultant's two customers
