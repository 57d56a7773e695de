"""CUS-9 / SEC-2 export: masked as on screen, logged, scoped, permission."""

import csv
import io

import openpyxl
import pytest
from django.test import override_settings
from django.urls import include, path

from anju.core.models import PersonalDataAccess
from anju.customers.services import customer_register

urlpatterns = [
    path("", include("anju.urls")),
    path("customers/import/", include("anju.customers.import_urls")),
]
pytestmark = pytest.mark.usefixtures("_urls")


@pytest.fixture
def _urls():
    with override_settings(ROOT_URLCONF=__name__):
        yield


@pytest.fixture
def customers(world):
    sz = world.companies["sz"]
    out = {}
    for who, project, ph, name in [
        ("consultant", "binhai", "13900001111", "李小龙"),
        ("consultant", "binhai", "13900002222", "王大锤"),
        ("consultant2", "yunjing", "13900003333", "张云境"),
    ]:
        out[ph] = customer_register(
            by=world.users[who], company=sz, project=world.projects[project], phone=ph, name=name
        ).customer
    return out


def read_csv(resp):
    text = b"".join(resp.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_consultant_exports_own_customers_masked_and_logged(world, customers, login):
    before = PersonalDataAccess.objects.count()
    resp = login(world.users["consultant"]).get("/customers/import/export.csv")
    assert resp.status_code == 200
    rows = read_csv(resp)
    body = "\n".join(",".join(r) for r in rows)
    assert "139****1111" in body and "13900001111" not in body
    assert "张云境" not in body and "139****3333" not in body  # consultant2's customer
    names = {r[1] for r in rows[1:]}
    assert {"李小龙", "王大锤"} <= names
    log = PersonalDataAccess.objects.order_by("-id").first()
    assert PersonalDataAccess.objects.count() == before + 1
    assert log.action == "export" and log.record_count == len(rows) - 1
    assert log.user == world.users["consultant"] and "(masked)" in log.description


def test_consultant2_export_has_none_of_consultants_customers(world, customers, login):
    rows = read_csv(login(world.users["consultant2"]).get("/customers/import/export.csv"))
    body = str(rows)
    assert "张云境" in body and "李小龙" not in body and "王大锤" not in body


def test_manager_with_unmask_sees_full_numbers_xlsx_and_filters(world, customers, login):
    resp = login(world.users["manager"]).get("/customers/import/export.xlsx?q=李小")
    assert resp.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(resp.streaming_content)), read_only=True)
    values = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert len(values) == 2 and values[1][1] == "李小龙" and values[1][2] == "13900001111"
    log = PersonalDataAccess.objects.order_by("-id").first()
    assert log.record_count == 1 and "(full)" in log.description and "q=李小" in log.description


def test_role_without_export_permission_is_refused_and_nothing_logged(world, customers, login):
    before = PersonalDataAccess.objects.count()
    resp = login(world.users["service"]).get("/customers/import/export.csv")
    assert resp.status_code == 403
    assert PersonalDataAccess.objects.count() == before


def test_group_centre_exports_masked(world, customers, login):
    rows = read_csv(login(world.users["group"]).get("/customers/import/export.csv"))
    assert "139****1111" in str(rows) and "13900001111" not in str(rows)


def test_bad_format_is_a_clear_error(world, login):
    assert login(world.users["manager"]).get("/customers/import/export.pdf").status_code == 400


# --- issue 7 item 3: formula injection; item 4: one bad stored row (SEC-4) -------------------

FORMULA = '=HYPERLINK("http://x","y")'


def _export_of_search(client, phone, fmt):
    """The export of a list search, as a user gets it: POSTed search → ?s=token (item 9)."""
    token = client.post("/customers/", {"q": phone})["Location"].split("s=")[1]
    return client.get(f"/customers/import/export.{fmt}", {"s": token})


def _xlsx_cells(resp):
    book = openpyxl.load_workbook(io.BytesIO(b"".join(resp.streaming_content)))
    return [list(r) for r in book.active.iter_rows()]


def test_formula_name_is_exported_as_text_in_xlsx_and_csv(world, login):
    """Issue 7 item 3: an =HYPERLINK name is a text cell starting with ', not a live formula."""
    customer_register(
        by=world.users["consultant"],
        company=world.companies["sz"],
        project=world.projects["binhai"],
        phone="13900004444",
        name=FORMULA,
    )
    client = login(world.users["manager"])
    cells = _xlsx_cells(_export_of_search(client, "13900004444", "xlsx"))
    name_cell = cells[1][1]
    assert name_cell.data_type == "s"
    assert name_cell.value == "'" + FORMULA
    assert cells[1][2].value == "13900004444"  # the phone beside it is untouched
    rows = read_csv(_export_of_search(client, "13900004444", "csv"))
    assert rows[1][1] == "'" + FORMULA


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_stored_control_character_does_not_break_the_export(world, customers, login, fmt):
    """Issue 7 item 4(b): a name with NUL stored before validation existed still exports."""
    from django.db import connection

    from anju.customers.models import Customer

    # PostgreSQL refuses NUL itself; the other control characters it stores
    first = "\x00" if connection.vendor == "sqlite" else "\x01"
    Customer.objects.filter(phone="13900001111").update(name=f"甲{first}乙\x0b\uffff")
    resp = _export_of_search(login(world.users["manager"]), "13900001111", fmt)
    assert resp.status_code == 200
    value = _xlsx_cells(resp)[1][1].value if fmt == "xlsx" else read_csv(resp)[1][1]
    assert value == "甲\ufffd乙\ufffd\ufffd"  # replaced, visibly, never a 500
