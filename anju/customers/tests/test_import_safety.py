"""Issue 7 items 3, 4, 11 and 16 for the customer import: bounded reading (wide sheets, zip
bombs, defused XML), the same validation and events as ``customer_register``, and an error
report that cannot carry a live formula."""

import io
import os
import re
import subprocess
import sys
import textwrap
import zipfile

import openpyxl
import pytest
from django.conf import settings as django_settings

from anju.core.errors import ApplicationError
from anju.core.models import Event
from anju.customers import imports
from anju.customers.models import Customer
from anju.customers.services import customer_register, customer_set_status

from .test_import import csv_upload, good_rows, import_urls, phone, xlsx_upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def run_import(world, django_capture_on_commit_callbacks):
    def _run(upload, who="datasteward", **kw):
        by = world.users[who]
        job = imports.customer_import_prepare(
            by=by, company=world.companies["sz"], upload=upload, **kw
        )
        with django_capture_on_commit_callbacks(execute=True):
            imports.customer_import_start(by=by, job=job)
        job.refresh_from_db()
        return job

    return _run


# --- item 11: reading is bounded -------------------------------------------------------------


def test_openpyxl_parses_with_defusedxml():
    """Issue 7 item 11: openpyxl uses defusedxml when it is installed (billion laughs, XXE)."""
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True
    base = (django_settings.BASE_DIR / "requirements" / "base.txt").read_text()
    assert re.search(r"^defusedxml==[\d.]+\b", base, re.M)


def wide_workbook(rows: int) -> bytes:
    """Two real columns, but the sheet declares 16,384 (A1:XFD…) and has a cell at XFD2."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "手机"])
    for i in range(rows):
        sheet.append([f"王{i}", phone(500_000 + i)])
    sheet["XFD2"] = "x"
    out = io.BytesIO()
    book.save(out)
    src = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    patched = io.BytesIO()
    with zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(
                    rb'<dimension ref="[^"]+"', rb'<dimension ref="A1:XFD%d"' % (rows + 1), data
                )
            dst.writestr(item, data)
    return patched.getvalue()


def test_a_sheet_declaring_16384_columns_reads_in_bounded_memory(tmp_path):
    """Issue 7 item 11: a small .xlsx declaring 16,384 columns × 10,000 rows used 1.4 GB.

    Read (and kept, as the import keeps its rows) in a child process whose address space
    is capped at 1 GB so the old behaviour fails fast; its peak resident size must stay
    under 200 MB.
    """
    path = tmp_path / "wide.xlsx"
    path.write_bytes(wide_workbook(10_000))
    assert path.stat().st_size < 1_000_000
    script = textwrap.dedent(
        f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (1024 * 1024 * 1024,) * 2)
        import django
        django.setup()
        from anju.customers.imports import read_table
        table = read_table(open({str(path)!r}, "rb").read(), "wide.xlsx")
        rows = list(table.rows)
        # VmHWM is this program's own peak; ru_maxrss would carry over the forking pytest's
        # (Linux keeps it across exec), which grows with the suite.
        status = open("/proc/self/status").read()
        peak = int(status.split("VmHWM:")[1].split()[0]) // 1024
        print(len(rows), max(len(r[1]) for r in rows), peak)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=django_settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "anju.settings", "ANJU_DEBUG": "1"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    count, width, peak_mb = map(int, done.stdout.split())
    assert count == 10_000 and width == 2
    assert peak_mb < 200, f"peak {peak_mb} MB"


def _bomb(member_bytes: int) -> bytes:
    """A real .xlsx plus one member of zeros that inflates to ``member_bytes``."""
    base = xlsx_upload(good_rows(2)).read()
    out = io.BytesIO()
    src = zipfile.ZipFile(io.BytesIO(base))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        with dst.open("xl/media/padding.bin", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(member_bytes // len(chunk)):
                member.write(chunk)
    return out.getvalue()


def test_a_zip_bomb_is_refused_with_a_message(world):
    """Issue 7 item 11: the uncompressed size is checked before anything is inflated."""
    data = _bomb(imports.MAX_UNCOMPRESSED_BYTES + 1024 * 1024)
    assert len(data) < 2 * 1024 * 1024  # a small upload …
    with pytest.raises(ApplicationError) as exc:
        imports.read_table(data, "bomb.xlsx")  # … refused before it is inflated
    assert "MB" in exc.value.message


def test_too_many_zip_members_are_refused(world):
    """Issue 7 item 11: the member count is capped too."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for i in range(imports.MAX_ZIP_MEMBERS + 1):
            dst.writestr(f"x/{i}.xml", b"")
    with pytest.raises(ApplicationError):
        imports.read_table(out.getvalue(), "many.xlsx")


# --- item 16 and item 4: the import validates and records like customer_register ------------


def _verbs(customer):
    return sorted(Event.objects.filter(subject_id=customer.pk).values_list("verb", flat=True))


def test_an_imported_customer_has_the_events_of_a_registered_one(world, run_import):
    """Issue 7 item 16: registered + status changed, as register + set_status would record."""
    registered = customer_register(
        by=world.users["datasteward"],
        company=world.companies["sz"],
        project=world.projects["binhai"],
        phone="13900000001",
        name="登记的",
    ).customer
    plain_registered = _verbs(registered)
    customer_set_status(by=world.users["datasteward"], customer=registered, status="visitor")
    rows = good_rows(2, start=100)
    header = [
        "姓名",
        "手机",
        "性别",
        "出生日期",
        "证件号码",
        "来源",
        "意向等级",
        "项目",
        "置业顾问",
    ]
    job = run_import(
        csv_upload([r + ["来访"] for r in rows[:1]] + [r + [""] for r in rows[1:]],
                   header=[*header, "客户状态"])
    )  # fmt: skip
    assert job.result["created"] == 2, job.errors
    visitor = Customer.objects.get(phone=phone(100))
    assert visitor.status == "visitor"
    assert _verbs(visitor) == _verbs(registered)
    assert _verbs(Customer.objects.get(phone=phone(101))) == plain_registered
    changed = Event.objects.get(subject_id=visitor.pk, verb="customer.status_changed")
    assert changed.details["from"] == "lead" and changed.details["to"] == "visitor"


@pytest.mark.parametrize("value", ["王\x07五", "王\x1b五", "王\n五", "王\x85五", "王\ufffe五"])
def test_an_import_row_with_a_control_character_is_an_error_row(world, run_import, value):
    """Issue 7 items 4 and 16: the row is reported, nothing of it is written."""
    rows = good_rows(3, start=200)
    rows[1][0] = value
    job = run_import(csv_upload(rows), all_or_nothing=False)
    row = 3 + value.count("\n")  # a CSV row is numbered by the line it ends on
    assert [(e["row"], e["field"]) for e in job.errors] == [(row, "name")]
    assert job.result["created"] == 2
    assert not Customer.objects.filter(phone=phone(201)).exists()


def test_import_checks_the_model_bounds_it_did_not_check_itself(world, run_import):
    """Issue 7 item 16: the same validate_fields rules as registration, e.g. a text column
    holding a control character."""
    rows = [r + ["深圳\x1b市"] for r in good_rows(2, start=300)]
    header = [
        "姓名",
        "手机",
        "性别",
        "出生日期",
        "证件号码",
        "来源",
        "意向等级",
        "项目",
        "置业顾问",
    ]
    job = run_import(csv_upload(rows, header=[*header, "地址"]), all_or_nothing=False)
    assert {e["field"] for e in job.errors} == {"address"}
    assert job.result["created"] == 0


# --- item 3: the error report ---------------------------------------------------------------


@import_urls
def test_the_error_report_neutralises_formulas(world, run_import, login):
    """Issue 7 item 3: a bad value like =HYPERLINK(...) comes back as text starting with '."""
    rows = good_rows(3, start=400)
    rows[0][1] = '=HYPERLINK("http://x","y")'
    rows[1][3] = "@SUM(A1)"
    job = run_import(csv_upload(rows))
    report = login(world.users["datasteward"]).get(f"/customers/import/{job.pk}/errors.csv")
    text = report.content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text
    import csv

    values = [r[3] for r in csv.reader(io.StringIO(text))][1:]
    assert values and all(not v.startswith(("=", "+", "-", "@")) for v in values)
