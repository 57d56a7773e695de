"""CUS-9 customer import: all or nothing, per-row errors, file problems, encodings, xlsx."""

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import include, path

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.models import Event, Job
from anju.customers import imports
from anju.customers.imports import customer_import_prepare, customer_import_start, import_preview
from anju.customers.models import Customer, CustomerPhone
from anju.customers.services import customer_register

urlpatterns = [
    path("", include("anju.urls")),
    path("jobs/", include("anju.core.job_urls")),
    path("customers/import/", include("anju.customers.import_urls")),
]
import_urls = override_settings(ROOT_URLCONF=__name__)

HEADER = ["姓名", "手机", "性别", "出生日期", "证件号码", "来源", "意向等级", "项目", "置业顾问"]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def phone(i):
    return f"139{i:08d}"


def good_rows(n, start=0):
    return [
        [f"王{'伟芳娜敏'[i % 4]}{i}", phone(start + i), "男" if i % 2 else "女", "1988-05-0"
         f"{1 + i % 9}", "", "网络", "B", "滨海花园", "李娜"]
        for i in range(n)
    ]  # fmt: skip


def csv_upload(rows, header=HEADER, encoding="utf-8-sig", name="customers.csv"):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return SimpleUploadedFile(name, buf.getvalue().encode(encoding), content_type="text/csv")


def xlsx_upload(rows, header=HEADER, title=None, name="customers.xlsx"):
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def run(world, upload, who="datasteward", **kw):
    by = world.users[who]
    job = customer_import_prepare(by=by, company=world.companies["sz"], upload=upload, **kw)
    customer_import_start(by=by, job=job)
    # ImmediateBackend: the task runs when the start's transaction commits
    return job


@pytest.fixture
def start_runs_task(django_capture_on_commit_callbacks):
    """Run on_commit callbacks (the enqueue) inside the test transaction."""

    def _run(world, upload, **kw):
        with django_capture_on_commit_callbacks(execute=True):
            job = run(world, upload, **kw)
        job.refresh_from_db()
        return job

    return _run


def test_1000_rows_with_3_bad_writes_nothing_and_reports_exactly_those(world, start_runs_task):
    before = (Customer.objects.count(), CustomerPhone.objects.count(), Event.objects.count())
    rows = good_rows(1000)
    rows[10][1] = "12345"  # row 12: invalid phone
    rows[500][3] = "2023-02-30"  # row 502: impossible date
    rows[998][1] = rows[3][1]  # row 1000: same number as row 5
    job = start_runs_task(world, csv_upload(rows))
    assert job.status == Job.Status.FAILED and job.result["written"] is False
    assert (Customer.objects.count(), CustomerPhone.objects.count(), Event.objects.count()) == (
        before
    )
    got = sorted((e["row"], e["field"]) for e in job.errors)
    assert got == [(12, "phone"), (502, "birth_date"), (1000, "phone")]
    reasons = {e["row"]: e["reason"] for e in job.errors}
    assert "not a valid phone number" in reasons[12] or "不是" in reasons[12]
    assert "5" in reasons[1000]
    assert job.result["rows"] == 1000 and job.result["bad_rows"] == 3
    assert "nothing was imported" in job.message or "未导入" in job.message


def test_clean_import_creates_customers_with_codes_owner_events(world, start_runs_task):
    customer_register(
        by=world.users["consultant"],
        company=world.companies["sz"],
        project=world.projects["binhai"],
        phone=phone(7),
        name="老客户",
    )
    n_before = Customer.objects.count()
    job = start_runs_task(world, csv_upload(good_rows(50)))
    assert job.result == {**job.result, "created": 49, "existing": 1, "written": True}
    assert Customer.objects.count() == n_before + 49
    c = Customer.objects.get(phone=phone(3))
    assert c.owner == world.users["consultant"] and c.project == world.projects["binhai"]
    assert c.source == "online" and c.grade == "B" and c.gender == "M" and c.protected_until
    assert c.name_initials.startswith("w") and c.code.startswith("SZ")
    assert Event.objects.filter(verb="customer.registered", target_id=c.pk).exists()
    assert Customer.objects.get(phone=phone(7)).name == "老客户"  # linked, not changed
    codes = list(Customer.objects.values_list("code", flat=True))
    assert len(codes) == len(set(codes))


def test_partial_mode_imports_good_rows_and_reports_bad(world, start_runs_task):
    rows = good_rows(20)
    rows[0][0] = ""
    job = start_runs_task(world, csv_upload(rows), all_or_nothing=False)
    assert job.result["created"] == 19 and [e["row"] for e in job.errors] == [2]


def test_gb18030_csv_from_excel(world, start_runs_task):
    job = start_runs_task(world, csv_upload(good_rows(5), encoding="gb18030"))
    assert job.result["created"] == 5
    assert Customer.objects.filter(name="王伟0").exists()


def test_xlsx_with_title_row_numbers_and_dates(world, start_runs_task):
    from datetime import datetime

    rows = good_rows(3)
    rows[0][1] = int(rows[0][1])  # Excel: phone typed as a number
    rows[1][3] = datetime(1990, 1, 2)  # a real date cell
    rows[2][7] = "nowhere"
    job = start_runs_task(world, xlsx_upload(rows, title="客户导入模板"))
    assert [(e["row"], e["field"]) for e in job.errors] == [(5, "project")]
    job = start_runs_task(world, xlsx_upload(rows[:2], title="客户导入模板"))
    assert job.result["created"] == 2
    assert str(Customer.objects.get(phone=phone(1)).birth_date) == "1990-01-02"


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: csv_upload(good_rows(2), header=["客户", "号码"]), "No known column headers"),
        (lambda: csv_upload(good_rows(2), header=["姓名", "性别"]), "Required columns"),
        (lambda: csv_upload(good_rows(1), header=["姓名", "手机", "电话"]), "both mean"),
        (lambda: SimpleUploadedFile("a.xlsx", b"PK\x03\x04garbage"), "Excel workbook"),
        (lambda: SimpleUploadedFile("a.xls", b"\xd0\xcf\x11\xe0old"), ".xls"),
        (lambda: SimpleUploadedFile("a.pdf", b"%PDF-1.4"), ".xlsx"),
        (lambda: SimpleUploadedFile("a.csv", b""), "empty"),
        (lambda: SimpleUploadedFile("a.csv", "姓名,手机\n".encode()), "no customers"),
    ],
)
def test_bad_files_get_a_clear_message_and_nothing_is_written(world, upload, message):
    jobs, customers = Job.objects.count(), Customer.objects.count()
    with pytest.raises(ApplicationError) as exc, translation_en():
        customer_import_prepare(
            by=world.users["datasteward"], company=world.companies["sz"], upload=upload()
        )
    assert message in str(exc.value)
    assert (Job.objects.count(), Customer.objects.count()) == (jobs, customers)


def test_oversized_file_and_too_many_rows(world, monkeypatch, start_runs_task):
    monkeypatch.setattr(imports.reading, "MAX_FILE_BYTES", 1000)
    with pytest.raises(ApplicationError) as exc, translation_en():
        customer_import_prepare(
            by=world.users["datasteward"],
            company=world.companies["sz"],
            upload=csv_upload(good_rows(100)),
        )
    assert "too large" in str(exc.value)
    monkeypatch.setattr(imports.reading, "MAX_FILE_BYTES", 10**7)
    monkeypatch.setattr(imports.writing, "MAX_ROWS", 10)
    before = Customer.objects.count()
    with translation_en():
        job = start_runs_task(world, csv_upload(good_rows(11)))
    assert job.status == Job.Status.FAILED and "more than 10 rows" in job.message
    assert Customer.objects.count() == before


def test_consultant_imports_only_for_himself_and_others_may_not_import(world, start_runs_task):
    rows = good_rows(2)
    rows[1][8] = "张伟"  # consultant2 — not allowed for a consultant
    job = start_runs_task(world, csv_upload(rows), who="consultant")
    assert [(e["row"], e["field"]) for e in job.errors] == [(3, "owner")]
    with pytest.raises(NotPermitted):
        customer_import_prepare(
            by=world.users["service"],
            company=world.companies["sz"],
            upload=csv_upload(good_rows(1)),
        )


def test_numbers_on_file_for_customers_the_importer_may_not_open_are_linked_unnamed_and_logged(
    world,
):
    """SEC-2: an import says a number is on file (it links, never duplicates); whose it is
    only where the importer may open him, and such matches are logged as a phone search."""
    from anju.core.models import PersonalDataAccess

    theirs = customer_register(  # 张伟's customer on 云境: not 李娜's to open
        by=world.users["consultant2"],
        company=world.companies["sz"],
        project=world.projects["yunjing"],
        name="云境客户",
        phone=phone(90),
    ).customer
    rows = good_rows(2)
    rows[0][1] = theirs.phone
    by = world.users["consultant"]
    job = customer_import_prepare(by=by, company=world.companies["sz"], upload=csv_upload(rows))
    preview = import_preview(by=by, job=job)
    assert [r.existing for r in preview.rows if r.existing] == [
        {"row": 2, "id": None, "code": "", "name": ""}
    ]
    logged = PersonalDataAccess.objects.get(user=by, action="search")
    assert logged.record_count == 1 and "import" in logged.description
    assert theirs.code not in logged.description


def test_preview_checks_the_first_rows(world):
    rows = good_rows(12)
    rows[1][1] = "abc"
    job = customer_import_prepare(
        by=world.users["datasteward"], company=world.companies["sz"], upload=csv_upload(rows)
    )
    preview = import_preview(by=world.users["datasteward"], job=job)
    assert len(preview.rows) == imports.PREVIEW_ROWS
    assert [r.row for r in preview.rows if r.errors] == [3]
    assert Customer.objects.filter(phone=phone(0)).count() == 0


@import_urls
def test_pages_upload_preview_start_result_and_error_report(
    world, login, django_capture_on_commit_callbacks
):
    client = login(world.users["datasteward"])
    assert client.get("/customers/import/").status_code == 200
    rows = good_rows(5)
    rows[2][6] = "Z"
    resp = client.post(
        "/customers/import/",
        {"file": csv_upload(rows), "company": world.companies["sz"].pk, "all_or_nothing": "on"},
    )
    assert resp.status_code == 302
    job = Job.objects.latest("id")
    preview = client.get(resp["Location"])
    assert 'data-testid="preview"' in preview.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/customers/import/{job.pk}/start/")
    page = client.get(f"/customers/import/{job.pk}/").content.decode()
    assert 'data-testid="errors"' in page and "<td>4</td>" in page
    report = client.get(f"/customers/import/{job.pk}/errors.csv")
    text = b"".join(report).decode("utf-8-sig")
    assert text.splitlines()[1].startswith("4,")
    # a wrong file on the form: the message is on the form, nothing created
    bad = client.post(
        "/customers/import/",
        {"file": csv_upload(rows, header=["a", "b"]), "company": world.companies["sz"].pk},
    )
    assert bad.status_code == 200 and 'data-testid="file-error"' in bad.content.decode()
    assert Job.objects.latest("id").pk == job.pk
    # someone else's import is not visible: its file holds full phone numbers (SEC-2)
    for outsider in ("consultant2", "engineer", "service", "callcentre", "steward"):
        client_ = login(world.users[outsider])
        assert client_.get(f"/customers/import/{job.pk}/").status_code == 404, outsider
        assert client_.get(f"/customers/import/{job.pk}/errors.csv").status_code == 404
    assert login(world.users["management"]).get(f"/customers/import/{job.pk}/").status_code == 200


def test_roles_that_may_not_import_get_403_and_no_button(world, login):
    for username in ("engineer", "service", "callcentre", "steward", "group"):
        client = login(world.users[username])
        assert client.get("/customers/import/").status_code == 403, username
        assert 'href="/customers/import/"' not in client.get("/customers/").content.decode()
    assert (
        "/customers/import/" in login(world.users["consultant"]).get("/customers/").content.decode()
    )


def translation_en():
    from django.utils import translation

    return translation.override("en")


def _file_removed_text(response):
    """The message in the language the page answered in (the user's own)."""
    from django.utils import translation

    from anju.customers.import_views import _file_removed_message

    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        return _file_removed_message()


@import_urls
@pytest.mark.parametrize("how", ["file lost", "field emptied"])
def test_an_import_whose_file_is_gone_says_so_instead_of_a_server_error(world, login, how):
    """Issue 7 items 9, 16: an import's upload can disappear (purged after 30 days, or lost
    with the media); its pages say the file was removed and ask for it again — no 500, and
    start queues nothing (the worker would find no file)."""
    by = world.users["datasteward"]
    job = customer_import_prepare(
        by=by, company=world.companies["sz"], upload=csv_upload(good_rows(3))
    )
    job.input_file.storage.delete(job.input_file.name)
    if how == "field emptied":  # what purge_old_uploads leaves behind
        Job.objects.unscoped("test").filter(pk=job.pk).update(input_file="")
    client = login(by)
    page = client.get(f"/customers/import/{job.pk}/")
    assert page.status_code == 200
    removed = _file_removed_text(page)
    text = page.content.decode()
    assert 'data-testid="file-error"' in text and removed in text
    assert 'data-testid="preview"' not in text
    started = client.post(f"/customers/import/{job.pk}/start/", follow=True)
    assert started.status_code == 200
    assert [str(m) for m in started.context["messages"]] == [removed]
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED and not job.params.get("confirmed")
    assert client.get(f"/customers/import/{job.pk}/errors.csv").status_code == 200


@import_urls
def test_a_finished_import_after_the_nightly_purge_still_shows_its_result(
    world, login, start_runs_task
):
    """Issue 7 item 9: after purge_old_uploads (30 days) the result page and the error
    report still answer, and the page says the file was removed."""
    from datetime import timedelta

    from django.utils import timezone

    from anju.core.jobs import purge_old_uploads

    rows = good_rows(3)
    rows[1][6] = "Z"
    job = start_runs_task(world, csv_upload(rows))
    assert job.is_finished
    page = login(world.users["datasteward"]).get(f"/customers/import/{job.pk}/")
    assert 'data-testid="file-removed"' not in page.content.decode()
    old = timezone.now() - timedelta(days=31)
    Job.objects.unscoped("test").filter(pk=job.pk).update(updated_at=old)
    assert purge_old_uploads() >= 1
    client = login(world.users["datasteward"])
    page = client.get(f"/customers/import/{job.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="file-removed"' in text and 'data-testid="import-result"' in text
    assert _file_removed_text(page) in text
    assert client.get(f"/customers/import/{job.pk}/errors.csv").status_code == 200


# --- issue 9 item 15: the blank template as .xlsx and .csv; a refused import shows as failed --


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_blank_template_downloads_and_reads_back_as_the_import_header(world, login, fmt):
    from anju.customers.imports.reading import read_table

    response = login(world.users["datasteward"]).get(f"/customers/import/template.{fmt}")
    assert response.status_code == 200
    assert f'filename="customers-template.{fmt}"' in response["Content-Disposition"]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if fmt == "xlsx":
        assert body[:2] == b"PK"  # a zip: a real workbook
    table = read_table(body, f"customers-template.{fmt}")
    assert [c for c in table.header if c] == [c.aliases[0] for c in imports.COLUMNS]
    assert not list(table.rows)


def test_upload_page_offers_both_templates(world, login):
    page = login(world.users["datasteward"]).get("/customers/import/").content.decode()
    assert 'href="/customers/import/template.xlsx"' in page
    assert 'href="/customers/import/template.csv"' in page


@import_urls
def test_an_all_or_nothing_import_with_bad_rows_shows_as_failed_on_the_jobs_page_and_api(
    world, login, start_runs_task
):
    from anju.core.services import api_token_create

    rows = good_rows(3)
    rows[1][1] = "12345"
    job = start_runs_task(world, csv_upload(rows))
    assert job.status == Job.Status.FAILED and job.percent < 100
    client = login(world.users["datasteward"])
    listing = client.get("/jobs/").content.decode()
    row = next(line for line in listing.split("<tr>") if f"/jobs/{job.pk}/" in line)
    assert "100%" not in row and str(Job.Status.FAILED.label) in row
    _token, secret = api_token_create(by=world.users["datasteward"], name="t")
    body = client.get(f"/api/v1/jobs/{job.pk}", HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    assert body["status"] == "failed" and body["error_count"] == 1
    assert body.get("percent", 0) < 100
