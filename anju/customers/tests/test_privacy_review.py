"""PIPL review fixes (SEC-2, issue 7 items 13 and 14): what a browser review as real users
found after the data package and the four-eyes erasure landed."""

import io
import json
import re
import zipfile

import openpyxl
import pytest
from django.utils import timezone, translation

from anju.core.errors import ApplicationError
from anju.core.models import Event, Job
from anju.customers.privacy_models import ErasureStatus
from anju.customers.privacy_services import (
    data_package_start,
    erasure_approve,
    erasure_reject,
    erasure_request,
    purge_data_packages,
)
from anju.customers.services import (
    customer_add_phone,
    customer_change_owner,
    customer_claim,
    customer_merge,
    customer_record_activity,
    customer_register,
    customer_set_status,
    customer_update,
    relation_add,
    relation_remove,
)
from anju.reception.models import FollowUpTask, Opportunity, Stage, TaskStatus
from anju.reception.services import opportunity_open, task_complete

from .test_privacy import _package, make_person

ERASED_MESSAGE = "该客户的个人信息已删除"


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.ANJU_PRIVATE_ROOT = tmp_path / "private"
    return settings.ANJU_PRIVATE_ROOT


@pytest.fixture
def person(world):
    return make_person(world)


def _erase(world, customer):
    request = erasure_request(by=world.users["servicemgr"], customer=customer, reason="客户要求")
    erasure_approve(by=world.users["datasteward"], request=request)
    customer.refresh_from_db()
    return customer


@pytest.fixture
def other(world):
    return customer_register(
        by=world.users["consultant"],
        company=world.companies["sz"],
        project=world.projects["binhai"],
        phone="13766665555",
        name="另一位客户",
    ).customer


# --- item 1: approving (irreversible) and rejecting ask first --------------------------------


def test_approve_and_reject_ask_for_confirmation_naming_the_customer(world, person, login):
    """Issue 7 item 14: "approve and erase" cannot be undone, so the form asks first, naming
    the customer's code in Chinese; rejecting asks too. The POST stays the gate."""
    request = erasure_request(by=world.users["servicemgr"], customer=person, reason="客户要求")
    page = login(world.users["datasteward"]).get("/privacy/").content.decode()
    approve = re.search(r'<form[^>]*data-testid="approve"[^>]*>', page).group(0)
    reject = re.search(r'<form[^>]*data-testid="reject"[^>]*>', page).group(0)
    for form in (approve, reject):
        assert 'onsubmit="return confirm(this.dataset.confirm)"' in form
        assert person.code in re.search(r'data-confirm="([^"]*)"', form).group(1)
    assert "无法撤销" in approve and "删除" in approve
    assert "驳回" in reject
    request.refresh_from_db()
    assert request.status == ErasureStatus.PENDING  # showing the page decides nothing


# --- item 2: an erased customer keeps no live work ---------------------------------------------


def test_erasure_ends_protection_open_tasks_opportunities_and_completeness(world, person):
    """Issue 7 item 14: protection ends, open follow-ups are cancelled and open opportunities
    closed by the system (with events and a reason), completeness is 0."""
    consultant = world.users["consultant"]
    person.refresh_from_db()
    assert person.protected_until and person.completeness > 0
    assert FollowUpTask.objects.filter(customer=person, status=TaskStatus.OPEN).exists()
    assert Opportunity.objects.filter(customer=person, stage__in=("contact", "needs")).exists()
    open_task = FollowUpTask.objects.filter(customer=person, status=TaskStatus.OPEN).first()
    done_before = set(
        FollowUpTask.objects.filter(customer=person, status=TaskStatus.DONE).values_list(
            "pk", flat=True
        )
    )

    _erase(world, person)

    assert person.protected_until is None and person.completeness == 0
    assert not FollowUpTask.objects.filter(customer=person, status=TaskStatus.OPEN).exists()
    assert done_before == set(  # finished work stays as it was
        FollowUpTask.objects.filter(customer=person, status=TaskStatus.DONE).values_list(
            "pk", flat=True
        )
    )
    open_task.refresh_from_db()
    assert open_task.status == TaskStatus.CANCELLED and open_task.outcome
    cancelled = Event.objects.get(verb="reception.task_cancelled", target_id=open_task.pk)
    assert cancelled.actor_id is None and cancelled.details["erasure"] is True
    for opportunity in Opportunity.objects.filter(customer=person):
        assert opportunity.stage == Stage.LOST and opportunity.closed_at
        assert opportunity.close_note
        assert Event.objects.filter(
            verb="reception.opportunity_lost", target_id=opportunity.pk, actor__isnull=True
        ).exists()
    with pytest.raises(ApplicationError):
        task_complete(by=consultant, task=open_task, outcome="已发短信")


def test_customer_services_refuse_writes_to_an_anonymised_customer(world, person, other, colleague):
    """Issue 7 item 14: one guard in every customer write — update, phone, relation (either
    side), status, claim, hand-over, merge (either side), logged activity — with a clear
    message, and nothing written."""
    consultant, manager = world.users["consultant"], world.users["manager"]
    relation = person.relations.first()
    _erase(world, person)
    events_before = Event.objects.count()
    attempts = {
        "update": lambda: customer_update(by=manager, customer=person, occupation="医生"),
        "phone": lambda: customer_add_phone(by=manager, customer=person, phone="13811112222"),
        "relation": lambda: relation_add(by=manager, customer=person, related=other, kind="spouse"),
        "relation (other side)": lambda: relation_add(
            by=manager, customer=other, related=person, kind="spouse"
        ),
        "status": lambda: customer_set_status(by=manager, customer=person, status="visitor"),
        "claim": lambda: customer_claim(by=colleague, customer=person),
        "hand-over": lambda: customer_change_owner(
            by=manager, customer=person, to=colleague, reason="离职"
        ),
        "merge (kept)": lambda: customer_merge(
            by=manager, keep=person, duplicate=other, reason="同一人"
        ),
        "merge (duplicate)": lambda: customer_merge(
            by=manager, keep=other, duplicate=person, reason="同一人"
        ),
        "activity": lambda: customer_record_activity(by=consultant, customer=person),
        "opportunity": lambda: opportunity_open(
            by=consultant, customer=person, products_of_interest="三居", expected_value="1"
        ),
    }
    if relation is not None:
        attempts["relation remove"] = lambda: relation_remove(by=manager, relation=relation)
    with translation.override("zh-hans"):
        for what, attempt in attempts.items():
            with pytest.raises(ApplicationError) as exc:
                attempt()
            assert exc.value.message == ERASED_MESSAGE, what
    person.refresh_from_db()
    other.refresh_from_db()
    assert person.protected_until is None and person.occupation == "" and not person.phone
    assert other.merged_into_id is None and person.merged_into_id is None
    assert Event.objects.count() == events_before


def test_360_page_offers_no_writes_for_an_anonymised_customer(world, person, login):
    """Issue 7 item 14: edit, new opportunity, phone, status, hand-over, relations, claim and
    merge are not offered once the person is erased (they are for a live customer)."""
    write_markers = (
        'data-testid="edit-profile"',
        'data-testid="phone-add"',
        'data-testid="set-status"',
        'data-testid="hand-over"',
        'data-testid="relation-add"',
        "/reception/opportunities/new/",
        f"/customers/{person.pk}/merge/",
    )
    page = login(world.users["manager"]).get(f"/customers/{person.pk}/").content.decode()
    assert all(marker in page for marker in write_markers[:5]), "live customer: offered"
    _erase(world, person)
    for who in ("manager", "consultant"):
        page = login(world.users[who]).get(f"/customers/{person.pk}/").content.decode()
        for marker in write_markers:
            assert marker not in page, (who, marker)
        assert 'data-testid="anonymised"' in page


# --- item 3: a pending erasure shows on the 360° page ------------------------------------------


def test_360_page_shows_a_pending_erasure_and_disables_a_second_request(world, person, login):
    """Issue 7 item 14: "删除申请待审批" with a link to the request for who may open the
    request list; the request button is disabled (a second request is refused anyway)."""
    steward = login(world.users["datasteward"])
    page = steward.get(f"/customers/{person.pk}/").content.decode()
    assert "erasure-pending" not in page
    assert f'href="/privacy/customers/{person.pk}/erase/"' in page
    request = erasure_request(by=world.users["servicemgr"], customer=person, reason="客户要求")
    page = steward.get(f"/customers/{person.pk}/").content.decode()
    badge = re.search(r'data-testid="erasure-pending".*?</span>', page, re.S).group(0)
    assert "删除申请待审批" in badge
    assert f"/privacy/?status=pending#request-{request.pk}" in badge
    assert f'id="request-{request.pk}"' in steward.get("/privacy/?status=pending").content.decode()
    assert f'href="/privacy/customers/{person.pk}/erase/"' not in page
    assert re.search(r'<button[^>]*disabled[^>]*data-testid="request-erasure"', page)


# --- item 4: the requester withdraws, others reject ---------------------------------------------


def test_requester_withdraws_his_request_others_reject(world, person, login):
    """Issue 7 item 14: on /privacy/ the requester's button is 撤回 (withdraw, no reason
    needed), recorded as withdrawn; everyone else's is 驳回 (reject)."""
    request = erasure_request(by=world.users["servicemgr"], customer=person, reason="客户要求")
    client = login(world.users["servicemgr"])
    page = client.get("/privacy/").content.decode()
    assert 'data-testid="withdraw"' in page and 'data-testid="reject"' not in page
    assert ">撤回</button>" in page and ">驳回</button>" not in page
    page = login(world.users["datasteward"]).get("/privacy/").content.decode()
    assert 'data-testid="reject"' in page and 'data-testid="withdraw"' not in page
    client = login(world.users["servicemgr"])
    response = client.post(f"/privacy/requests/{request.pk}/reject/", {"note": ""}, follow=True)
    assert "申请已撤回" in response.content.decode()
    request.refresh_from_db()
    assert request.status == ErasureStatus.REJECTED
    event = Event.objects.get(target_id=request.pk, verb="customers.erasure_withdrawn")
    assert event.details["withdrawn"] is True and event.actor == world.users["servicemgr"]
    assert not Event.objects.filter(verb="customers.erasure_rejected").exists()


def test_a_reject_by_someone_else_still_needs_a_reason_and_is_no_withdrawal(world, person):
    request = erasure_request(by=world.users["servicemgr"], customer=person, reason="客户要求")
    with pytest.raises(ApplicationError):
        erasure_reject(by=world.users["datasteward"], request=request, note="")
    erasure_reject(by=world.users["datasteward"], request=request, note="合同未结束")
    event = Event.objects.get(target_id=request.pk, verb="customers.erasure_rejected")
    assert event.details["withdrawn"] is False


# --- item 5: the job page after the package was deleted ----------------------------------------


@pytest.mark.parametrize("how", ["expiry", "erasure"])
def test_job_page_says_the_package_was_deleted(
    world, person, login, django_capture_on_commit_callbacks, how
):
    """Issue 7 item 13: once the file is gone (7-day expiry or the customer's erasure) the
    job page says so and offers no download; the download says 已删除, not 尚未生成."""
    job = _package(None, world, person, django_capture_on_commit_callbacks)
    client = login(world.users["datasteward"])
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert f"/privacy/packages/{job.pk}/download/" in page  # ready: offered
    if how == "expiry":
        purge_data_packages(now=timezone.now() + timezone.timedelta(days=8))
    else:
        _erase(world, person)
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "副本已删除（过期或客户信息已删除）" in page
    assert "副本已生成" not in page
    assert f"/privacy/packages/{job.pk}/download/" not in page
    response = client.get(f"/privacy/packages/{job.pk}/download/")
    assert response.status_code == 409  # the package's state, not the request, is the problem
    text = response.content.decode()
    assert "已删除" in text and "尚未生成" not in text


def test_download_of_a_package_not_built_yet_says_so(world, person, login):
    """Issue 7 item 13: a queued package is "not generated yet", not "deleted"."""
    job = data_package_start(by=world.users["datasteward"], customer=person)  # not run
    response = login(world.users["datasteward"]).get(f"/privacy/packages/{job.pk}/download/")
    assert response.status_code == 409
    text = response.content.decode()
    assert "尚未生成" in text and "已删除" not in text
    assert Job.objects.get(pk=job.pk).status != Job.Status.SUCCEEDED


# --- item 6: a copy for the person reads in Chinese ------------------------------------------------

LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def test_package_sheets_and_headers_are_chinese_json_keys_stay(
    world, person, django_capture_on_commit_callbacks, private_root
):
    """Issue 7 item 13: the .xlsx handed to the customer has Chinese sheet names (事件, not
    记录数) and Chinese column titles (no field names such as name_pinyin or created_at);
    the .json keeps the field names as keys, for machines."""
    with translation.override("zh-hans"):
        job = _package(None, world, person, django_capture_on_commit_callbacks)
    archive = zipfile.ZipFile(private_root / job.result["file"])
    names = archive.namelist()
    book = openpyxl.load_workbook(
        io.BytesIO(archive.read(next(n for n in names if n.endswith(".xlsx"))))
    )
    assert "事件" in book.sheetnames and "记录数" not in book.sheetnames
    english = {}
    for sheet in book.worksheets:
        headers = [c.value for c in next(sheet.iter_rows(max_row=1))]
        bad = [h for h in headers if h != "ID" and LATIN_WORD.search(str(h))]
        if bad:
            english[sheet.title] = bad
        assert not re.search(r"[A-Za-z]{3,}", sheet.title), sheet.title
    assert english == {}
    profile = [c.value for c in next(book["个人资料"].iter_rows(max_row=1))]
    assert "姓名" in profile and "创建时间" in profile
    document = json.loads(archive.read(next(n for n in names if n.endswith(".json"))))
    assert {"name", "name_pinyin", "created_at"} <= set(document["data"]["profile"][0])
    assert {"when", "what", "verb"} <= set(document["data"]["events"][0])
