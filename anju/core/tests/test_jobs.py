"""Background jobs with progress (kernel): services, status page, scope, failure handling."""

import threading

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.urls import include, path
from django.utils import translation

from anju.core.jobs import job_finish, job_progress, job_running, job_start
from anju.core.models import Job
from anju.core.testing import requires_postgres

# Test urlconf: the project's urls plus the job pages (mounted at /jobs/ by the project).
urlpatterns = [
    path("", include("anju.urls")),
    path("jobs/", include("anju.core.job_urls")),
]
jobs_urls = override_settings(ROOT_URLCONF=__name__)


@pytest.fixture
def job(world):
    return job_start(
        by=world.users["consultant"], kind="test", company=world.companies["sz"], title="Demo"
    )


def test_job_lifecycle_queued_running_succeeded(job):
    assert job.status == Job.Status.QUEUED and job.percent == 0
    job_progress(job=job, done=25, total=100, message="Checking rows")
    job.refresh_from_db()
    assert (job.status, job.progress_done, job.progress_total, job.percent) == (
        Job.Status.RUNNING,
        25,
        100,
        25,
    )
    assert job.started_at is not None
    job_finish(job=job, result={"created": 100})
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.percent == 100
    assert job.result == {"created": 100} and job.finished_at


def test_progress_writes_are_throttled(job, django_assert_num_queries):
    job_progress(job=job, done=1, total=10)  # first write: running
    with django_assert_num_queries(0):
        for i in range(2, 10):
            job_progress(job=job, done=i)
    with django_assert_num_queries(1):
        job_progress(job=job, done=10, force=True)


def test_unexpected_exception_fails_the_job(job):
    with translation.override("en"), pytest.raises(ZeroDivisionError), job_running(job.pk):
        1 / 0  # noqa: B018
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "internal error" in job.message


def test_errors_are_capped(job, monkeypatch):
    monkeypatch.setattr("anju.core.jobs.MAX_STORED_ERRORS", 3)
    job_finish(job=job, errors=[{"row": i} for i in range(5)])
    job.refresh_from_db()
    assert len(job.errors) == 3 and job.result["errors_not_stored"] == 2


@jobs_urls
def test_status_page_polls_every_second_until_finished(world, job, login):
    client = login(world.users["consultant"])
    job_progress(job=job, done=40, total=80)
    page = client.get(f"/jobs/{job.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'hx-trigger="every 1s"' in html and "progress-bar" in html and "50%" in html
    fragment = client.get(f"/jobs/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    assert "40 / 80" in fragment.content.decode()
    job.params = {"next_url": "/customers/"}
    job.save(update_fields=["params"])
    job_finish(job=job, result={})
    done = client.get(f"/jobs/{job.pk}/progress/?reload=1", HTTP_HX_REQUEST="true")
    body = done.content.decode()
    assert "every 1s" not in body and "100%" in body and 'href="/customers/"' in body
    assert done["HX-Refresh"] == "true"


@jobs_urls
def test_job_page_is_scoped(world, job, login):
    assert login(world.users["consultant2"]).get(f"/jobs/{job.pk}/").status_code == 404
    assert login(world.users["management"]).get(f"/jobs/{job.pk}/").status_code == 200
    assert login(world.users["manager_zh"]).get(f"/jobs/{job.pk}/").status_code == 404


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_progress_inside_a_long_transaction_is_visible_outside(world):
    """PostgreSQL: progress goes through a second connection, so pollers see it mid-import."""
    job = job_start(by=world.users["consultant"], kind="test", company=world.companies["sz"])
    seen = {}

    def poll():
        seen["done"] = Job.objects.get(pk=job.pk).progress_done
        connection.close()

    with transaction.atomic():
        job_progress(job=job, done=1, total=10, force=True)
        job_progress(job=job, done=7, force=True)
        t = threading.Thread(target=poll)
        t.start()
        t.join(10)
    assert seen["done"] == 7
    job_finish(job=job)


def test_old_uploads_are_purged_but_the_job_stays(world, settings, tmp_path):
    from datetime import timedelta

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from anju.core.jobs import job_finish, job_start, purge_old_uploads

    settings.MEDIA_ROOT = str(tmp_path)
    job = job_start(
        by=world.users["manager"],
        kind="test",
        company=world.companies["sz"],
        input_file=ContentFile(b"name,phone\n", name="c.csv"),
    )
    job_finish(job=job, result={"created": 0})
    path = job.input_file.path
    assert purge_old_uploads() == 0  # too recent
    Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(days=31))
    assert purge_old_uploads() == 1
    job.refresh_from_db()
    assert not job.input_file and Job.objects.filter(pk=job.pk).exists()
    import os

    assert not os.path.exists(path)


def test_job_list_shows_only_my_jobs(world, login):
    from anju.core.jobs import job_start

    mine = job_start(by=world.users["consultant"], kind="demo", company=world.companies["sz"])
    theirs = job_start(by=world.users["manager"], kind="demo", company=world.companies["sz"])
    page = login(world.users["consultant"]).get("/jobs/")
    assert page.status_code == 200
    listed = [j.pk for j in page.context["page"].object_list]
    assert mine.pk in listed and theirs.pk not in listed
