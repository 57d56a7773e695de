"""Background jobs through the API (issue 8 item 3): ``GET /jobs`` and ``GET /jobs/{id}``,
with the job pages' visibility (``jobs_started_by``, ``job_for``)."""

import pytest

from anju.core.jobs import job_finish, job_progress, job_start
from anju.core.models import Job
from anju.core.services import api_token_create


def bearer(user):
    _t, secret = api_token_create(by=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def report(user, **kw):
    return job_start(by=user, kind="report", company=user.company, title="月报", **kw)


def test_a_job_shows_status_progress_and_result(world, client):
    user = world.users["consultant"]
    auth = bearer(user)
    job = report(user, total=40)
    queued = client.get(f"/api/v1/jobs/{job.pk}", **auth).json()
    assert queued["status"] == "queued" and queued["percent"] == 0
    assert queued["progress"] == {"done": 0, "total": 40}
    assert queued["started_at"] is None and queued["download_url"] is None

    job_progress(job=job, done=10, message="正在统计…", force=True)
    running = client.get(f"/api/v1/jobs/{job.pk}", **auth).json()
    assert running["status"] == "running" and running["percent"] == 25
    assert running["progress"] == {"done": 10, "total": 40}
    assert running["message"] == "正在统计…" and running["started_at"]

    job_finish(
        job=job,
        result={"rows": 40, "file": "secret/path.csv", "existing_rows": [{"code": "x"}]},
        errors=[{"row": 2, "reason": "x"}, {"row": 3, "reason": "y"}],
        message="完成",
    )
    done = client.get(f"/api/v1/jobs/{job.pk}", **auth).json()
    assert done["status"] == "succeeded" and done["percent"] == 100
    assert done["finished_at"] and done["message"] == "完成"
    assert done["result"] == {"rows": 40}  # no private path, no rows of data
    assert done["error_count"] == 2
    assert (done["id"], done["kind"], done["title"]) == (job.pk, "report", "月报")
    assert done["created_by_id"] == user.pk


def test_jobs_list_is_the_callers_own_newest_first_and_paged(world, client):
    me, colleague = world.users["manager"], world.users["consultant"]
    mine = [report(me) for _ in range(3)]
    theirs = report(colleague)
    page = client.get("/api/v1/jobs?page_size=2", **bearer(me)).json()
    assert page["count"] == 3 and not page["count_capped"]
    assert [j["id"] for j in page["items"]] == [mine[2].pk, mine[1].pk]
    second = client.get("/api/v1/jobs?page_size=2&page=2", **bearer(me)).json()
    assert [j["id"] for j in second["items"]] == [mine[0].pk]
    assert theirs.pk not in [j["id"] for j in page["items"] + second["items"]]


def test_visibility_is_the_job_pages(world, client, login):
    """His own jobs; a manager also his company's (as on /jobs/<id>/); others 404."""
    job = report(world.users["consultant"])
    for username in ("consultant", "consultant2", "manager", "consultant_zh", "manager_zh"):
        user = world.users[username]
        api = client.get(f"/api/v1/jobs/{job.pk}", **bearer(user)).status_code
        page = login(user).get(f"/jobs/{job.pk}/").status_code
        assert api == page, username
    assert client.get(
        f"/api/v1/jobs/{job.pk}", **bearer(world.users["consultant2"])
    ).status_code == (404)
    assert client.get(
        f"/api/v1/jobs/{job.pk}", **bearer(world.users["consultant_zh"])
    ).status_code == (404)
    assert client.get(
        "/api/v1/jobs/9007199254740991", **bearer(world.users["admin"])
    ).status_code == (404)


def test_anonymous_is_401(client, world):
    job = report(world.users["consultant"])
    assert client.get("/api/v1/jobs").status_code == 401
    assert client.get(f"/api/v1/jobs/{job.pk}").status_code == 401


@pytest.mark.parametrize("kind", ["report", "customer_import", "export", "customer_data_package"])
@pytest.mark.parametrize("extra", [0, 12])
def test_jobs_list_query_count_is_constant(world, client, django_assert_num_queries, extra, kind):
    """Also with each kind's links (an import's error report, a file to download)."""
    user = world.users["manager"]
    auth = bearer(user)
    for i in range(3 + extra):
        job = job_start(by=user, kind=kind, company=user.company, title="x")
        if i % 2:
            job_finish(job=job, errors=[{"row": n} for n in range(i)], result={"rows": i})
    client.get("/api/v1/jobs", **auth)  # the token's first use is recorded once
    # the token with its user, his roles, the page (it fits: no COUNT, issue 10): whatever
    # the number of jobs
    with django_assert_num_queries(3):
        response = client.get("/api/v1/jobs?page_size=50", **auth)
    items = response.json()["items"]
    assert len(items) == 3 + extra
    by_id = {j.pk: j for j in Job.objects.filter(pk__in=[i["id"] for i in items])}
    assert all(i["error_count"] == len(by_id[i["id"]].errors) for i in items)
