"""Issue 12 item 10: the deals lists export — the sales changes from their page with its
filters, and queue numbers, subscriptions, overdue instalments and sales changes as API
export jobs (issue 8 item 3): the page's file for the same filters, only rows the requester
sees, buyers' names masked for who may not unmask them."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from anju.core.export_jobs import export_kinds
from anju.core.masking import mask_name
from anju.core.models import Job, PersonalDataAccess
from anju.core.services import api_token_create
from anju.deals.models import Instalment
from anju.deals.services import (
    contract_sign,
    queue_number_issue,
    subscription_confirm,
    subscription_hold,
)
from anju.deals.services.changes import sales_change_request

KINDS = (
    "deals_queue_numbers",
    "deals_subscriptions",
    "deals_overdue_instalments",
    "deals_sales_changes",
)


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.ANJU_PRIVATE_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"


def _bearer(user):
    _token, secret = api_token_create(by=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _csv(content: bytes):
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _streamed(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def export_job(client, django_capture_on_commit_callbacks):
    """export_job(user, export kind, **filters) → (the POST's answer, the file's lines or None)."""

    def _run(user, export_kind, /, **filters):
        auth = _bearer(user)
        body = {"kind": export_kind, "format": "csv", "filters": filters}
        with django_capture_on_commit_callbacks(execute=True):
            answer = client.post("/api/v1/exports", body, content_type="application/json", **auth)
        if answer.status_code != 202:
            return answer, None
        job = Job.objects.get(pk=answer.json()["id"])
        assert job.status == Job.Status.SUCCEEDED, job.message
        download = client.get(f"/api/v1/exports/{job.pk}/download", **auth)
        assert download.status_code == 200
        return answer, _csv(_streamed(download))

    return _run


def _deal(world, make_customer, available_unit, *, project, name, skip=0):
    by = world.users["consultant" if project == "binhai" else "consultant2"]
    buyer = make_customer(name=name, project=project, by=by.username)
    ticket = queue_number_issue(by=by, project=world.projects[project], customer=buyer)
    held = subscription_hold(
        by=by, unit=available_unit(project, skip=skip), customer=buyer, queue_ticket=ticket
    )
    subscription_confirm(by=by, subscription=held)
    held.refresh_from_db()
    return held


@pytest.fixture
def deals(world, make_customer, available_unit):
    """In 滨海花园 (consultant): one deal signed and overdue with a price change asked, one
    subscribed and asked to be cancelled; in 云境 (consultant2): one signed, overdue, with a
    change too."""
    mine = _deal(world, make_customer, available_unit, project="binhai", name="欧阳娜娜")
    other = _deal(world, make_customer, available_unit, project="binhai", name="司马光明", skip=1)
    theirs = _deal(world, make_customer, available_unit, project="yunjing", name="诸葛云境")
    for deal in (mine, theirs):
        contract_sign(by=deal.consultant, subscription=deal, payment_plan="one_off")
        Instalment.objects.filter(contract__subscription=deal).update(
            due_date=timezone.localdate() - timedelta(days=10)
        )
        sales_change_request(
            by=deal.consultant,
            subscription=deal,
            kind="price_adjustment",
            reason="客户申请调价",
            final_price=deal.final_price - Decimal("1000"),
        )
    sales_change_request(
        by=other.consultant,
        subscription=other,
        kind="cancellation",
        reason="客户退房",
        refund_amount="0",
    )
    return {"mine": mine, "other": other, "theirs": theirs}


def _names(lines):
    return " ".join(" ".join(line) for line in lines)


def test_every_deals_list_is_an_export_kind():
    assert set(KINDS) <= set(export_kinds())


@pytest.mark.parametrize("kind", KINDS)
def test_a_job_has_only_the_requesters_rows_with_names_masked(world, deals, export_job, kind):
    """A consultant (no unmasking) and his manager see 滨海花园's rows, the consultant the
    names masked; the other project's consultant — or, for the managers' overdue list, the
    other company's manager — none of them."""
    mine, theirs = deals["mine"], deals["theirs"]
    reports = kind == "deals_overdue_instalments"
    reader = world.users["group" if reports else "consultant"]  # may not unmask
    answer, lines = export_job(reader, kind)
    assert answer.status_code == 202, answer.content
    text = _names(lines)
    assert mask_name(mine.customer.name) in text and mine.customer.name not in text
    if not reports:
        assert len(lines) > 1 and theirs.customer.name not in text
        assert mask_name(theirs.customer.name) not in text  # another project: not even masked
        _answer, lines = export_job(world.users["consultant2"], kind)
        text = _names(lines)
        assert mask_name(theirs.customer.name) in text
        assert mask_name(mine.customer.name) not in text and mine.customer.code not in text

    _answer, lines = export_job(world.users["manager"], kind)  # unmasks in 滨海花园
    text = _names(lines)
    assert mine.customer.name in text and theirs.customer.name not in text

    outsider = world.users["manager_zh" if reports else "consultant_zh"]
    _answer, lines = export_job(outsider, kind)
    text = _names(lines)
    for deal in (mine, theirs):  # nothing of 深圳
        assert mask_name(deal.customer.name) not in text and deal.customer.name not in text


def test_the_overdue_job_is_for_who_views_reports_as_its_page(world, deals, export_job):
    before = (Job._base_manager.count(), PersonalDataAccess._base_manager.count())
    answer, _lines = export_job(world.users["consultant"], "deals_overdue_instalments")
    assert answer.status_code == 403
    assert (Job._base_manager.count(), PersonalDataAccess._base_manager.count()) == before


@pytest.mark.parametrize("kind", KINDS)
def test_a_job_writes_the_page_exports_file(world, deals, export_job, login, kind):
    urls = {
        "deals_queue_numbers": "/deals/export/queue.csv",
        "deals_subscriptions": "/deals/export/subscriptions.csv",
        "deals_overdue_instalments": "/deals/overdue/export.csv",
        "deals_sales_changes": "/deals/changes/export.csv",
    }
    manager = world.users["manager"]
    project = deals["mine"].project_id
    page = login(manager).get(f"{urls[kind]}?project={project}")
    assert page.status_code == 200
    _answer, lines = export_job(manager, kind, project_id=project)
    assert lines == _csv(_streamed(page))


def test_the_changes_export_has_the_filters_rows_only(world, deals, export_job, login):
    mine, other = deals["mine"], deals["other"]
    client = login(world.users["consultant"])
    page = client.get("/deals/changes/export.csv?kind=cancellation")
    assert page.status_code == 200
    lines = _csv(_streamed(page))
    assert len(lines) == 2  # the header and the one cancellation
    text = _names(lines)
    assert other.customer.code in text and "客户退房" in text and mine.customer.code not in text
    _answer, job_lines = export_job(
        world.users["consultant"], "deals_sales_changes", kind="cancellation"
    )
    assert job_lines == lines

    everything = _csv(_streamed(client.get("/deals/changes/export.csv")))
    assert len(everything) == 3  # both changes of 滨海花园, none of 云境
    applied = _csv(_streamed(client.get("/deals/changes/export.csv?status=applied")))
    assert len(applied) == 1  # none applied yet: the header only

    bad = client.get("/deals/changes/export.csv?kind=nonsense")
    assert bad.status_code == 400
    answer, _lines = export_job(world.users["consultant"], "deals_sales_changes", kind="nonsense")
    assert answer.status_code == 422 and answer.json()["field"] == "filters.kind"


def test_the_changes_page_offers_its_export_with_its_filters(world, deals, login):
    html = login(world.users["consultant"]).get("/deals/changes/?kind=cancellation").content
    assert b"/deals/changes/export.xlsx?kind=cancellation" in html
    assert b"/deals/changes/export.csv?kind=cancellation" in html


def test_a_role_that_may_not_export_gets_403(world, deals, login):
    assert login(world.users["service"]).get("/deals/changes/export.csv").status_code == 403


def test_the_changes_export_reads_few_queries(world, deals, login, django_assert_max_num_queries):
    client = login(world.users["manager"])
    _streamed(client.get("/deals/changes/export.csv"))
    with django_assert_max_num_queries(14):
        assert len(_csv(_streamed(client.get("/deals/changes/export.csv")))) >= 3  # + the demo's
