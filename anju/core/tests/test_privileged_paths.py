"""Admin and privileged paths (issue 7 item 9, SEC-2, SEC-3).

The Django admin cannot write business rows; the superuser flag does not unmask; the audit
log, the logs and old import jobs keep no phone or ID number in full.
"""

import io
import json
import logging
from datetime import timedelta

from auditlog.models import LogEntry
from django.contrib import admin
from django.test import RequestFactory
from django.utils import timezone

from anju.core.masking import mask_text
from anju.core.permissions import has_perm
from anju.core.roles import Perm, Role

PHONE = "13912345678"
ID_NUMBER = "440301199001011234"

BUSINESS_APPS = {"core", "customers", "reception", "inventory"}
# Business rows that hold personal data: the admin would show them unmasked, so not at all.
NOT_IN_ADMIN = [
    ("customers", "customer"),
    ("customers", "customerphone"),
    ("customers", "customerrelation"),
    ("reception", "phonecall"),
    ("reception", "visit"),
    ("reception", "followuptask"),
    ("reception", "opportunity"),
    ("core", "job"),
    ("core", "event"),
    ("core", "personaldataaccess"),
    ("core", "apitoken"),
]


def _register(world, phone=PHONE, **profile):
    from anju.customers.services import customer_register

    return customer_register(
        by=world.users["consultant"],
        company=world.companies["sz"],
        project=world.projects["binhai"],
        phone=phone,
        name="林晓峰",
        **profile,
    ).customer


# --- the Django admin ------------------------------------------------------------------------


def test_every_business_model_in_the_admin_is_read_only(world):
    """Issue 7 item 9: services own business rows; the admin may only look, even a superuser."""
    request = RequestFactory().get("/admin/")
    request.user = world.users["admin"]
    assert request.user.is_superuser
    checked = 0
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in BUSINESS_APPS:
            continue
        assert not model_admin.has_add_permission(request), model
        assert not model_admin.has_change_permission(request), model
        assert not model_admin.has_delete_permission(request), model
        checked += 1
    assert checked >= 4  # buildings, units, risk factors, win/loss reasons


def test_rows_with_personal_data_are_not_in_the_admin_at_all():
    registered = {(m._meta.app_label, m._meta.model_name) for m in admin.site._registry}
    assert not registered & set(NOT_IN_ADMIN)


def test_an_admin_change_post_is_refused_and_changes_nothing(world, login):
    from anju.inventory.models import Unit
    from anju.reception.models import RiskFactor

    client = login(world.users["admin"])
    unit = Unit.objects.first()
    price = unit.list_price
    response = client.post(
        f"/admin/inventory/unit/{unit.pk}/change/", {"list_price": "1", "status": "sold"}
    )
    assert response.status_code == 403
    unit.refresh_from_db()
    assert unit.list_price == price
    factor = RiskFactor.objects.create(
        company=world.companies["sz"], project=world.projects["binhai"], title="噪音"
    )
    response = client.post(
        f"/admin/reception/riskfactor/{factor.pk}/change/", {"title": "改了", "sort_order": 0}
    )
    assert response.status_code == 403
    factor.refresh_from_db()
    assert factor.title == "噪音"


def test_a_customer_cannot_be_changed_through_the_admin(world, login):
    customer = _register(world)
    client = login(world.users["admin"])
    response = client.post(
        f"/admin/customers/customer/{customer.pk}/change/", {"name": "改名", "phone": PHONE}
    )
    assert response.status_code in (403, 404)
    customer.refresh_from_db()
    assert customer.name == "林晓峰"
    assert (
        PHONE not in client.get(f"/admin/customers/customer/{customer.pk}/change/").content.decode()
    )


# --- the superuser flag does not unmask ------------------------------------------------------


def test_the_superuser_flag_does_not_grant_unmasking(world, login):
    """Issue 7 item 9, SEC-2: the administrator sees 139****5678 like everyone else."""
    admin_user = world.users["admin"]
    customer = _register(world)
    assert admin_user.is_superuser
    assert has_perm(admin_user, Perm.MANAGE_ORG)  # the flag still works for the rest
    assert not has_perm(admin_user, Perm.UNMASK_PERSONAL_DATA, company=customer.company)
    client = login(admin_user)
    detail = client.get(f"/customers/{customer.pk}/")
    assert detail.status_code == 200
    assert PHONE not in detail.content.decode() and "139****5678" in detail.content.decode()
    reveal = client.post(f"/customers/{customer.pk}/reveal/phone/")
    assert reveal.status_code == 403 and PHONE not in reveal.content.decode()


def test_a_superuser_with_an_unmasking_role_may_unmask(world):
    from anju.org.services import role_assign

    admin_user = world.users["admin"]
    role_assign(by=None, user=admin_user, role=Role.DATA_STEWARD, company=world.companies["sz"])
    admin_user = type(admin_user).objects.get(pk=admin_user.pk)
    assert has_perm(admin_user, Perm.UNMASK_PERSONAL_DATA, company=world.companies["sz"])


# --- the audit log ---------------------------------------------------------------------------


def _audit_text(entries) -> str:
    return " ".join(
        f"{e.object_repr} {json.dumps(e.changes, ensure_ascii=False)} {e.changes_text} "
        f"{json.dumps(e.serialized_data, ensure_ascii=False)}"
        for e in entries
    )


def test_the_audit_log_masks_phone_numbers_as_it_masks_id_numbers(world):
    """Issue 7 item 9: registering, adding a phone, changing it: no full number in LogEntry."""
    from anju.customers.services import customer_add_phone, customer_update

    before = LogEntry.objects.count()
    customer = _register(world, id_number=ID_NUMBER)
    customer_add_phone(by=world.users["consultant"], customer=customer, phone="13712345678")
    customer_update(by=world.users["consultant"], customer=customer, id_number="44030119900101123X")
    entries = LogEntry.objects.order_by("pk")[before:]
    assert len(entries) >= 3
    text = _audit_text(entries)
    for full in (PHONE, "13712345678", ID_NUMBER, "44030119900101123X"):
        assert full not in text
    assert "139****5678" in text and "137****5678" in text


def test_a_staff_members_phone_is_masked_in_the_audit_log(world):
    user = world.users["consultant"]
    before = LogEntry.objects.count()
    user.phone = "13600001111"
    user.save()
    text = _audit_text(LogEntry.objects.order_by("pk")[before:])
    assert "13600001111" not in text and "136****1111" in text


# --- logs ------------------------------------------------------------------------------------


def test_mask_text_masks_mobiles_and_id_numbers_but_not_other_numbers():
    assert mask_text(f"call {PHONE} id {ID_NUMBER}") == "call 139****5678 id 4403**********1234"
    assert mask_text("+86 139-1234-5678") == "139****5678"
    assert mask_text("order 2026112500001 price 1380000.00") == (
        "order 2026112500001 price 1380000.00"
    )


def test_the_configured_log_handlers_mask_phone_and_id_numbers():
    """Issue 7 item 9: the filter sits on every handler of settings.LOGGING."""
    from django.conf import settings

    for name, handler in settings.LOGGING["handlers"].items():
        assert "mask_personal_data" in handler.get("filters", []), name
    root_handlers = [h for h in logging.getLogger().handlers if h.filters]
    console = next(
        h for h in root_handlers if type(h.filters[0]).__name__ == "MaskPersonalDataFilter"
    )
    stream = io.StringIO()
    old = console.setStream(stream)
    try:
        logging.getLogger("anju.test").warning("caller %s with ID %s", PHONE, ID_NUMBER)
        try:
            raise ValueError(f"duplicate key (company_id, phone)=(1, {PHONE})")
        except ValueError:
            logging.getLogger("anju.test").exception("import failed")
    finally:
        console.setStream(old)
    out = stream.getvalue()
    assert "139****5678" in out and "4403**********1234" in out
    assert PHONE not in out and ID_NUMBER not in out


def test_the_test_run_log_file_is_masked_too(_server_log):
    """The session's server.log (grepped by .ci/run) goes through the same filter."""
    logging.getLogger("django.request").warning("Not Found: /customers/?q=%s", PHONE)
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = _server_log.read_text(encoding="utf-8")
    assert "/customers/?q=139****5678" in text
    assert PHONE not in text


# --- import jobs past the purge ----------------------------------------------------------------


def test_purged_import_jobs_keep_no_raw_personal_data(world, settings, tmp_path):
    """Issue 7 item 9: 30 days after an import, its error list and results are masked too."""
    from django.core.files.base import ContentFile

    from anju.core.jobs import job_finish, job_start, purge_old_uploads
    from anju.core.models import Job

    settings.MEDIA_ROOT = str(tmp_path)
    job = job_start(
        by=world.users["manager"],
        kind="customer_import",
        company=world.companies["sz"],
        input_file=ContentFile(f"name,phone\n林晓峰,{PHONE}\n".encode(), name="c.csv"),
        params={"filename": "c.csv", "project": world.projects["binhai"].pk},
    )
    errors = [
        {"row": 2, "column": "手机", "field": "phone", "reason": "号码重复", "value": PHONE},
        {"row": 3, "column": "证件号", "field": "id_number", "reason": "无效", "value": ID_NUMBER},
        {"row": 4, "column": "姓名", "field": "name", "reason": f"与 {PHONE} 重复", "value": "x"},
    ]
    result = {"rows": 3, "existing_rows": [{"row": 5, "id": 1, "code": "C1", "name": "林晓峰"}]}
    job_finish(job=job, result=result, errors=errors)
    purge_old_uploads()
    job.refresh_from_db()
    assert job.errors[0]["value"] == PHONE  # within 30 days the report is complete
    Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(days=31))
    purge_old_uploads()
    job.refresh_from_db()
    kept = json.dumps([job.params, job.result, job.errors], ensure_ascii=False)
    for raw in (PHONE, ID_NUMBER, "林晓峰"):
        assert raw not in kept
    assert [e["reason"] for e in job.errors][:2] == ["号码重复", "无效"]  # the reasons stay
    assert job.result["rows"] == 3 and job.result["existing_rows"][0]["name"] == "林*峰"
    assert not job.input_file


def test_gunicorns_access_log_leaves_out_query_strings():
    """A phone searched for (?q=139…) must not reach gunicorn's access log either."""
    import runpy
    from pathlib import Path

    conf = runpy.run_path(str(Path(__file__).resolve().parents[3] / "gunicorn.conf.py"))
    fmt = conf["access_log_format"]
    assert "%(U)s" in fmt
    assert "%(r)s" not in fmt and "%(q)s" not in fmt and "%(f)s" not in fmt
