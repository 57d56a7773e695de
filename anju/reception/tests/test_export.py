"""Exports of reception lists (CUS-9): valid files, scoped, masked unless permitted, logged."""

import csv
import io

import openpyxl
import pytest

from anju.core.models import PersonalDataAccess
from anju.reception.models import PhoneCall

LISTS = ["calls", "visits", "opportunities", "tasks"]


def csv_rows(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("what", LISTS)
def test_every_list_exports_as_xlsx_and_csv(world, login, what):
    client = login(world.users["manager"])
    xlsx = client.get(f"/reception/export/{what}.xlsx")
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(body(xlsx))).active
    assert sheet.max_row >= 2 and sheet.cell(1, 1).value
    rows = csv_rows(client.get(f"/reception/export/{what}.csv"))
    assert len(rows) >= 2, what  # header and the demo data


def test_call_export_is_scoped_and_masked_for_a_consultant(world, login):
    rows = csv_rows(login(world.users["consultant"]).get("/reception/export/calls.csv"))
    header, data = rows[0], rows[1:]
    own = PhoneCall.objects.filter(consultant=world.users["consultant"]).count()
    assert len(data) == own
    phone_col = header.index("来电号码") if "来电号码" in header else 5
    assert all(r[phone_col] == "" or "****" in r[phone_col] for r in data)
    log = PersonalDataAccess.objects.get(user=world.users["consultant"])
    assert log.action == "export" and log.record_count == own


def test_manager_sees_full_numbers_and_zh_manager_no_shenzhen_rows(world, login):
    rows = csv_rows(login(world.users["manager"]).get("/reception/export/calls.csv"))[1:]
    assert any(r[5] and "****" not in r[5] for r in rows)
    zh_rows = csv_rows(login(world.users["manager_zh"]).get("/reception/export/calls.csv"))[1:]
    assert all("滨海" not in r[1] and "云境" not in r[1] for r in zh_rows)


def test_refusals_write_nothing(world, login):
    engineer = login(world.users["engineer"])
    assert engineer.get("/reception/export/calls.csv").status_code == 403
    client = login(world.users["manager"])
    assert client.get("/reception/export/calls.pdf").status_code == 400
    assert client.get("/reception/export/secrets.csv").status_code == 404
    assert not PersonalDataAccess.objects.exists()


def test_export_query_count_is_constant(world, login, django_assert_max_num_queries):
    client = login(world.users["admin"])
    with django_assert_max_num_queries(15) as first:
        body(client.get("/reception/export/opportunities.csv?state=all"))
    from anju.reception.services import call_log

    for i in range(20):
        call_log(
            by=world.users["consultant"],
            project=world.projects["binhai"],
            rings=1,
            answer_seconds=3,
            duration_seconds=60,
            phone=f"1370001{i:04d}",
            name=f"客{i}",
        )
    with django_assert_max_num_queries(15) as second:
        body(client.get("/reception/export/calls.csv"))
    assert len(second.captured_queries) <= len(first.captured_queries) + 2


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_formula_in_a_reception_field_is_exported_as_text(world, login, log_call, fmt):
    """Issue 7 item 3: a caller name or question starting with = + - @ is text, not a formula."""
    log_call(name="@SUM(1+1)", questions="+cmd|' /C calc'!A0", phone="138 1234 0099")
    resp = login(world.users["manager"]).get(f"/reception/export/calls.{fmt}")
    assert resp.status_code == 200
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(body(resp))).active
        rows = [list(r) for r in sheet.iter_rows()]
        cells = [c for r in rows for c in r if isinstance(c.value, str) and "SUM(1+1)" in c.value]
        assert cells and all(c.data_type == "s" and c.value == "'@SUM(1+1)" for c in cells)
        assert not [c for r in rows for c in r if c.data_type == "f"]
    else:
        rows = csv_rows(resp)
        assert [v for r in rows for v in r if "SUM(1+1)" in v] == ["'@SUM(1+1)"]
        assert [v for r in rows for v in r if "calc" in v] == ["'+cmd|' /C calc'!A0"]
