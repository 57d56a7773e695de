"""PIPL rights and retention (SEC-2, issue 7 items 13 and 14): a customer's data package and
erasure/anonymisation on request (four eyes) or when retention ends."""

import io
import json
import zipfile
from datetime import timedelta

import openpyxl
import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import timezone

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.jobs import job_finish, job_start
from anju.core.models import Event, Job, PersonalDataAccess
from anju.core.services import personal_data_access_log
from anju.core.testing import requires_postgres, run_at_once
from anju.customers.models import Customer, CustomerPhone, CustomerRelation, CustomerStatus
from anju.customers.privacy_customers import (
    CUSTOMER_KEPT_TEXT_FIELDS,
    CUSTOMER_PERSONAL_FIELDS,
)
from anju.customers.privacy_models import ErasureRequest, ErasureStatus, RetentionPolicy
from anju.customers.privacy_services import (
    apply_retention,
    data_package_start,
    erasure_approve,
    erasure_reject,
    erasure_request,
    purge_data_packages,
    retention_policy_set,
)
from anju.customers.selectors import customer_by_phone, customer_list, find_customer
from anju.customers.services import customer_add_phone, customer_update, relation_add
from anju.reception.models import FollowUpTask, PhoneCall, Visit
from anju.reception.services import call_log, opportunity_open, task_complete, visit_register

NUMBER = "13987651234"
SECOND = "15911112222"
NAME = "隐私测试员"


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.ANJU_PRIVATE_ROOT = tmp_path / "private"
    return settings.ANJU_PRIVATE_ROOT


@pytest.fixture
def person(world):
    return make_person(world)


def make_person(world):
    """A caller who became a customer with everything reception and customers can hold."""
    consultant = world.users["consultant"]
    binhai = world.projects["binhai"]
    now = timezone.now()
    result = call_log(
        by=consultant,
        project=binhai,
        rings=2,
        answer_seconds=5,
        duration_seconds=200,
        phone=NUMBER,
        name=NAME,
        gender="F",
        questions=f"请回电 {NUMBER}，我是{NAME}",
        visit_wanted=True,
        called_at=now - timedelta(hours=3),
    )
    customer = result.customer
    customer_update(
        by=consultant,
        customer=customer,
        id_number="440301199001011234",
        email="yinsi@example.com",
        address="深圳市南山区隐私路1号",
        occupation="教师",
    )
    customer_add_phone(by=consultant, customer=customer, phone=SECOND, label="家")
    other = Customer.objects.exclude(pk=customer.pk).filter(company=customer.company).first()
    relation_add(
        by=consultant, customer=customer, related=other, kind="spouse", note=f"{NAME}的配偶"
    )
    visit_register(
        by=consultant,
        project=binhai,
        customer=customer,
        arrived_at=now - timedelta(hours=2),
        reception_started_at=now - timedelta(hours=2),
        products_shown="3号楼",
        next_step=f"给{NAME}发户型图",
    )
    opportunity_open(
        by=consultant,
        customer=customer,
        products_of_interest="三居",
        expected_value="3000000",
    )
    task = FollowUpTask.objects.filter(customer=customer, status="open").first()
    task_complete(by=consultant, task=task, outcome=f"{NAME} 说晚点再联系 {NUMBER}")
    # a call from the second number that was never linked to the customer
    PhoneCall.objects.create(
        company=binhai.company,
        project=binhai,
        consultant=consultant,
        called_at=now - timedelta(hours=1),
        rings=1,
        answer_seconds=1,
        duration_seconds=10,
        phone=SECOND,
        caller_name=NAME,
        details_declined=True,
    )
    job = job_start(by=world.users["manager"], kind="customer_import", company=binhai.company)
    job_finish(
        job=job,
        errors=[
            {"row": 2, "field": "phone", "reason": "duplicate", "value": NUMBER},
            {"row": 3, "field": "name", "reason": "too long", "value": "别人"},
        ],
    )
    personal_data_access_log(
        by=world.users["manager"],
        action="view",
        company=binhai.company_id,
        description=f"search {NUMBER}",
    )
    customer.refresh_from_db()
    return customer


def _package(client, world, person, django_capture_on_commit_callbacks):
    steward = world.users["datasteward"]
    with django_capture_on_commit_callbacks(execute=True):
        job = data_package_start(by=steward, customer=person)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.message
    return job


# --- item 13: the data package ---------------------------------------------------------------


def test_data_package_holds_everything_and_download_is_logged(
    world, person, login, django_capture_on_commit_callbacks, private_root
):
    """Issue 7 item 13 (SEC-2): profile, numbers, relations, calls, visits, tasks,
    opportunities and events in one .zip (.xlsx one sheet per kind + .json)."""
    job = _package(None, world, person, django_capture_on_commit_callbacks)
    client = login(world.users["datasteward"])
    response = client.get(f"/privacy/packages/{job.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = archive.namelist()
    document = json.loads(archive.read(next(n for n in names if n.endswith(".json"))))
    data = document["data"]
    assert data["profile"][0]["name"] == NAME
    assert {p["phone"] for p in data["phones"]} == {NUMBER, SECOND}
    assert len(data["calls"]) == 2  # the linked call and the unlinked one from SECOND
    assert len(data["visits"]) == 1 and len(data["opportunities"]) == 1
    assert data["tasks"] and data["relations"][0]["related_person"].count("*") >= 1
    assert any(e["verb"] == "customer.registered" for e in data["events"])
    book = openpyxl.load_workbook(
        io.BytesIO(archive.read(next(n for n in names if n.endswith(".xlsx"))))
    )
    assert len(book.sheetnames) == len(data)  # one sheet per kind
    # stored privately: not under MEDIA_ROOT or STATIC_ROOT
    stored = private_root / job.result["file"]
    assert stored.is_file()
    assert not str(stored).startswith(str(settings.MEDIA_ROOT))
    log = PersonalDataAccess.objects.get(user=world.users["datasteward"], action="export")
    assert log.target_id == person.pk and log.fields == "data_package"
    assert Event.objects.filter(verb="customers.data_package_made", subject_id=person.pk).exists()


def test_only_the_requester_downloads_and_only_stewards_start(
    world, person, login, django_capture_on_commit_callbacks
):
    """SEC-2: another user, even an administrator, gets 404 for someone else's package;
    a consultant or a sales manager may not start one."""
    job = _package(None, world, person, django_capture_on_commit_callbacks)
    assert (
        login(world.users["admin"]).get(f"/privacy/packages/{job.pk}/download/").status_code == 404
    )
    for who in ("consultant", "manager", "servicemgr"):
        with pytest.raises(NotPermitted):
            data_package_start(by=world.users[who], customer=person)
    assert not PersonalDataAccess.objects.filter(action="export").exists()


def test_package_cells_are_never_formulas(
    world, person, django_capture_on_commit_callbacks, private_root
):
    """Issue 7 item 3 applied to the package: a formula-like value is text."""
    customer_update(by=world.users["consultant"], customer=person, occupation='=HYPERLINK("x")')
    job = _package(None, world, person, django_capture_on_commit_callbacks)
    archive = zipfile.ZipFile(private_root / job.result["file"])
    xlsx = next(n for n in archive.namelist() if n.endswith(".xlsx"))
    book = openpyxl.load_workbook(io.BytesIO(archive.read(xlsx)))
    values = [c.value for row in book.worksheets[0].iter_rows() for c in row]
    assert '\'=HYPERLINK("x")' in values
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)


def test_expired_packages_are_deleted(
    world, person, django_capture_on_commit_callbacks, private_root
):
    job = _package(None, world, person, django_capture_on_commit_callbacks)
    path = private_root / job.result["file"]
    assert purge_data_packages(now=timezone.now() + timedelta(days=8)) == 1
    assert not path.exists()


# --- item 14: erasure on request, four eyes ---------------------------------------------------


def test_four_eyes_and_events(world, person):
    """Issue 7 item 14: the requester cannot approve; a service manager may request but not
    approve; every step is an event on the customer."""
    steward, admin = world.users["datasteward"], world.users["admin"]
    with pytest.raises(NotPermitted):
        erasure_request(by=world.users["consultant"], customer=person, reason="客户要求")
    with pytest.raises(ApplicationError):
        erasure_request(by=steward, customer=person, reason="   ")
    request = erasure_request(
        by=world.users["servicemgr"], customer=person, reason="客户来电要求删除"
    )
    with pytest.raises(ApplicationError):
        erasure_request(by=steward, customer=person, reason="again")
    with pytest.raises(NotPermitted):
        erasure_approve(by=world.users["servicemgr"], request=request)
    request.requested_by = steward
    request.save()
    with pytest.raises(ApplicationError) as exc:
        erasure_approve(by=steward, request=request)
    assert exc.value.code == "four_eyes"
    person.refresh_from_db()
    assert person.name == NAME and person.anonymised_at is None
    done = erasure_approve(by=admin, request=request, note="ok")
    assert done.status == ErasureStatus.APPLIED and done.decided_by == admin
    verbs = set(
        Event.objects.filter(
            subject_id=person.pk, verb__startswith="customers.erasure"
        ).values_list("verb", flat=True)
    )
    assert verbs == {
        "customers.erasure_requested",
        "customers.erasure_approved",
        "customers.erasure_applied",
    }
    with pytest.raises(ApplicationError):
        erasure_approve(by=steward, request=done)


def test_reject_needs_a_reason_and_changes_nothing(world, person):
    request = erasure_request(by=world.users["servicemgr"], customer=person, reason="客户要求")
    with pytest.raises(ApplicationError):
        erasure_reject(by=world.users["datasteward"], request=request, note="")
    erasure_reject(by=world.users["datasteward"], request=request, note="合同未结束")
    request.refresh_from_db()
    person.refresh_from_db()
    assert request.status == ErasureStatus.REJECTED and person.name == NAME
    assert Event.objects.filter(verb="customers.erasure_rejected", subject_id=person.pk).exists()


def _text_columns(model):
    return [
        f.attname
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField | models.JSONField)
    ]


def _traces(*needles):
    """Every text and JSON value of every table that contains one of ``needles``."""
    found = []
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy:
            continue
        columns = _text_columns(model)
        if not columns:
            continue
        for row in model._base_manager.values_list("pk", *columns).iterator():
            for column, value in zip(columns, row[1:], strict=True):
                if value in (None, ""):
                    continue
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                for needle in needles:
                    if needle in text:
                        found.append((model._meta.label, row[0], column, needle))
    return found


def test_no_trace_of_the_number_or_name_remains(
    world, person, login, django_capture_on_commit_callbacks, private_root
):
    """Issue 7 item 14 (SEC-2): after an approved erasure the number cannot be found by any
    search (full number, last 4, list q, find_customer, customer_by_phone, API lookup), and a
    raw scan of every text/JSON column of every table finds neither the number nor the name;
    the rows stay, so counts and reports stay right."""
    package = _package(None, world, person, django_capture_on_commit_callbacks)
    assert _traces(NUMBER, SECOND, NAME)  # the scan does find them before
    calls_before = PhoneCall.objects.filter(project=world.projects["binhai"]).count()
    visits_before = Visit.objects.filter(customer=person).count()
    tasks_before = FollowUpTask.objects.filter(customer=person).count()
    request = erasure_request(
        by=world.users["servicemgr"], customer=person, reason=f"{NAME} 电话 {NUMBER} 要求删除"
    )
    erasure_approve(by=world.users["datasteward"], request=request)

    assert _traces(NUMBER, SECOND, NAME, "440301199001011234", "yinsi@example.com") == []
    manager, steward = world.users["manager"], world.users["datasteward"]
    sz = world.companies["sz"]
    for user in (manager, steward):
        for q in (NUMBER, NUMBER[-4:], SECOND, SECOND[-4:], NAME, NAME[:2], NUMBER[:7]):
            assert person.pk not in set(
                customer_list(user, q=q, include_archived=True).values_list("pk", flat=True)
            )
        assert find_customer(user, NUMBER) is None and find_customer(user, SECOND) is None
        assert customer_by_phone(user, sz, NUMBER) is None
    assert not CustomerPhone.objects.filter(customer=person).exists()
    client = login(steward)
    assert (
        client.post(
            "/api/v1/customers/lookup",
            {"phone": NUMBER, "company_id": sz.pk},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert person.pk not in [
        c["id"]
        for c in client.post(
            "/api/v1/customers/search", {"q": NUMBER[-4:]}, content_type="application/json"
        ).json()["items"]
    ]
    # the facts stay: the row, its status and project, every call, visit and task
    person.refresh_from_db()
    assert person.anonymised_at and person.name.startswith("已匿名-")
    assert person.status == CustomerStatus.VISITOR and person.project == world.projects["binhai"]
    assert PhoneCall.objects.filter(project=world.projects["binhai"]).count() == calls_before
    assert Visit.objects.filter(customer=person).count() == visits_before
    assert FollowUpTask.objects.filter(customer=person).count() == tasks_before
    assert CustomerRelation.objects.filter(customer=person).exists()
    # the package file went with it
    assert not (private_root / package.result["file"]).exists()
    # other people's import errors are untouched
    job = Job.objects.get(kind="customer_import", company=sz)
    assert job.errors[1]["value"] == "别人" and job.errors[0]["value"] == "***"


def test_every_customer_text_field_is_classified():
    """A new personal field on Customer (e.g. WeChat) must be added to the erasure list."""
    text_fields = {
        f.name
        for f in Customer._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField) and not f.is_relation
    }
    assert text_fields <= CUSTOMER_PERSONAL_FIELDS | CUSTOMER_KEPT_TEXT_FIELDS, (
        text_fields - CUSTOMER_PERSONAL_FIELDS - CUSTOMER_KEPT_TEXT_FIELDS
    )


# --- item 14: retention -----------------------------------------------------------------------


def _age(customer, days):
    past = timezone.now() - timedelta(days=days)
    Customer.objects.filter(pk=customer.pk).update(last_activity_at=past, created_at=past)


def test_retention_anonymises_old_leads_only(world, person):
    """Issue 7 item 14: leads/visitors idle past the company's period are anonymised by the
    system with an event; owners never, recent ones not, a disabled policy nothing."""
    sz = world.companies["sz"]
    _age(person, 3 * 365 + 1)
    owner = Customer.objects.filter(company=sz).exclude(pk=person.pk).first()
    Customer.objects.filter(pk=owner.pk).update(status=CustomerStatus.OWNER)
    _age(owner, 5000)
    recent = (
        Customer.objects.filter(company=sz, status=CustomerStatus.LEAD)
        .exclude(pk__in=[person.pk, owner.pk])
        .first()
    )
    Customer.objects.filter(pk=recent.pk).update(last_activity_at=timezone.now())

    retention_policy_set(
        by=world.users["datasteward"], company=sz, is_enabled=False, lead_retention_days=400
    )
    assert apply_retention() == 0
    retention_policy_set(
        by=world.users["datasteward"], company=sz, is_enabled=True, lead_retention_days=3 * 365
    )
    assert apply_retention() >= 1
    person.refresh_from_db()
    owner.refresh_from_db()
    recent.refresh_from_db()
    assert person.anonymised_at and not CustomerPhone.objects.filter(phone=NUMBER).exists()
    assert owner.anonymised_at is None and recent.anonymised_at is None
    applied = Event.objects.get(verb="customers.erasure_applied", subject_id=person.pk)
    assert applied.actor is None and applied.details["source"] == "retention"
    assert ErasureRequest.objects.get(customer=person).source == "retention"
    assert apply_retention() == 0  # nothing left to do, nothing done twice


def test_retention_policy_rules(world):
    sz = world.companies["sz"]
    with pytest.raises(NotPermitted):
        retention_policy_set(
            by=world.users["manager"], company=sz, is_enabled=True, lead_retention_days=400
        )
    with pytest.raises(ApplicationError):
        retention_policy_set(
            by=world.users["datasteward"], company=sz, is_enabled=True, lead_retention_days=10
        )
    assert not RetentionPolicy.objects.exists()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_approvals_apply_once(world):
    """Issue 7 item 14 on PostgreSQL with real threads: two approvers at the same moment —
    the request row is locked, so exactly one erasure is applied and the other is told."""
    from anju.customers.services import customer_register

    customer = customer_register(
        by=world.users["consultant"],
        company=world.companies["sz"],
        project=world.projects["binhai"],
        phone="13655554444",
        name="并发测试",
    ).customer
    request = erasure_request(by=world.users["servicemgr"], customer=customer, reason="要求删除")

    def approve(username):
        erasure_approve(by=world.users[username], request=request)
        return "applied"

    applied, refused, errors = run_at_once(approve, ["datasteward", "admin"])
    assert not errors, errors
    outcomes = applied + [exc.code for exc in refused]
    assert sorted(outcomes) == ["applied", "decided"]
    assert (
        Event.objects.filter(verb="customers.erasure_applied", subject_id=customer.pk).count() == 1
    )


def test_erasure_covers_merged_duplicates(world, person):
    """Issue 7 item 14: a duplicate merged into the person keeps its own row (name, main
    number); erasing the person erases the duplicate too, or the number stays findable."""
    from anju.customers.services import customer_merge, customer_register

    duplicate = customer_register(
        by=world.users["manager"],
        company=world.companies["sz"],
        project=world.projects["binhai"],
        phone="13566667777",
        name="隐私测试员甲",
    ).customer
    customer_merge(by=world.users["manager"], keep=person, duplicate=duplicate, reason="同一人")
    request = erasure_request(by=world.users["servicemgr"], customer=person, reason="要求删除")
    erasure_approve(by=world.users["datasteward"], request=request)
    duplicate.refresh_from_db()
    assert duplicate.anonymised_at and duplicate.phone == ""
    assert _traces("13566667777", "隐私测试员甲", NUMBER) == []


def test_consultants_see_no_erasure_requests(world, person, login):
    """The request list and its reasons are for who handles requests, not the project."""
    request = erasure_request(by=world.users["servicemgr"], customer=person, reason="要求删除")
    client = login(world.users["consultant"])
    assert client.get("/api/v1/erasure-requests").json()["count"] == 0
    assert client.get(f"/api/v1/erasure-requests/{request.pk}").status_code == 404
    assert login(world.users["datasteward"]).get("/api/v1/erasure-requests").json()["count"] == 1
