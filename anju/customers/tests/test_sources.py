"""Issue 9 item 12: source channels are a managed list per company.

The list feeds the customer forms, the list filter, the API (a code pattern, 404 for an
unknown code), exports and imports (an unknown channel is a row error or "other").
"""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.models import Event
from anju.core.services import api_token_create
from anju.customers import sources
from anju.customers.imports import customer_import_prepare, import_preview
from anju.customers.models import Customer
from anju.customers.services import customer_register, customer_update

pytestmark = pytest.mark.django_db


def bearer(user):
    _token, secret = api_token_create(by=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def register(world, phone, source, company="sz", project="binhai", who="consultant"):
    return customer_register(
        by=world.users[who],
        company=world.companies[company],
        project=world.projects[project],
        phone=phone,
        name="客户甲",
        source=source,
    ).customer


def test_every_company_has_todays_platforms_by_default(world):
    for company in world.companies.values():
        names = dict(sources.source_choices([company.pk]))
        for code, name in [
            ("douyin", "抖音"),
            ("xiaohongshu", "小红书"),
            ("beike", "贝壳"),
            ("anjuke", "安居客"),
            ("tongcheng58", "58同城"),
            ("other", "其他"),
        ]:
            assert names[code] == name


def test_a_customer_takes_a_channel_of_his_companys_list_only(world):
    customer = register(world, "13700009001", "douyin")
    assert customer.source == "douyin" and customer.get_source_display() == "抖音"
    with pytest.raises(ApplicationError) as exc:
        register(world, "13700009002", "tiktok")
    assert exc.value.field == "source" and exc.value.code == "unknown_source"
    assert "douyin" in str(exc.value.message)
    assert not Customer.objects.filter(phone="13700009002").exists()


def test_a_managers_channel_is_his_companys_not_the_others(world):
    channel = sources.source_create(
        by=world.users["manager"], company=world.companies["sz"], name="视频号"
    )
    assert channel.code == "shipinhao"
    assert Event.objects.filter(verb="customers.source_added", target_id=channel.pk).exists()
    assert register(world, "13700009003", "shipinhao").get_source_display() == "视频号"
    with pytest.raises(ApplicationError):
        register(
            world, "13700009004", "shipinhao", company="zh", project="haiwan", who="consultant_zh"
        )
    with pytest.raises(NotPermitted):
        sources.source_create(by=world.users["consultant"], company=world.companies["sz"], name="x")
    with pytest.raises(NotPermitted):
        sources.source_create(by=world.users["manager"], company=world.companies["zh"], name="x")


def test_a_retired_channel_stays_on_its_customers_but_takes_no_new_ones(world):
    customer = register(world, "13700009005", "beike")
    sources.source_set_active(
        by=world.users["manager"], company=world.companies["sz"], code="beike", active=False
    )
    with pytest.raises(ApplicationError):
        register(world, "13700009006", "beike")
    customer = customer_update(by=world.users["consultant"], customer=customer, occupation="教师")
    assert customer.source == "beike" and customer.get_source_display() == "贝壳"
    with pytest.raises(ApplicationError):
        sources.source_set_active(
            by=world.users["manager"], company=world.companies["sz"], code="other", active=False
        )


def test_the_api_speaks_codes_with_a_pattern_and_answers_404_for_an_unknown_one(world, client):
    auth = bearer(world.users["consultant"])
    body = {"project_id": world.projects["binhai"].pk, "phone": "13700009007", "name": "王先生"}
    ok = client.post(
        "/api/v1/customers", {**body, "source": "xiaohongshu"}, "application/json", **auth
    )
    assert ok.status_code == 201, ok.content
    out = ok.json()["customer"]
    assert out["source"] == "xiaohongshu" and out["source_name"] == "小红书"
    bad = client.post(
        "/api/v1/customers",
        {**body, "phone": "13700009008", "source": "tiktok"},
        "application/json",
        **auth,
    )
    # the code names a row of the company's list that is not there: 404, as an id would
    assert bad.status_code == 404
    assert bad.json()["code"] == "unknown_source" and bad.json()["field"] == "source"
    malformed = client.post(
        "/api/v1/customers",
        {**body, "phone": "13700009009", "source": "Tik Tok"},
        "application/json",
        **auth,
    )
    assert malformed.status_code == 422
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    prop = schema["CustomerIn"]["properties"]["source"]
    assert prop["pattern"] == sources.SOURCE_CODE_PATTERN and "enum" not in prop


def test_list_filter_page_api_and_export_use_the_channel(world, login, client):
    register(world, "13700009010", "anjuke")
    register(world, "13700009011", "hotline")
    page = login(world.users["consultant"])
    html = page.get("/customers/?source=anjuke").content.decode()
    assert "安居客" in html and "13700009011"[-4:] not in html
    assert '<option value="douyin">抖音</option>' in html
    auth = bearer(world.users["consultant"])
    rows = client.get("/api/v1/customers?source=anjuke", **auth).json()["items"]
    assert rows and {r["source"] for r in rows} == {"anjuke"}
    unknown = client.get("/api/v1/customers?source=tiktok", **auth)
    assert unknown.status_code == 404 and unknown.json()["field"] == "source"
    assert unknown.json()["code"] == "unknown_source"
    export = page.get("/customers/import/export.csv?source=anjuke")
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert len(lines) >= 2 and all("安居客" in line for line in lines[1:])


def _upload(source):
    text = f"姓名,手机,来源\n王五,13700009020,{source}\n赵六,13700009021,小红书\n"
    return SimpleUploadedFile("c.csv", text.encode("utf-8-sig"), content_type="text/csv")


@pytest.mark.parametrize("choice", ["error", "other"])
def test_import_maps_unknown_channels_as_the_importer_chose(world, settings, tmp_path, choice):
    settings.MEDIA_ROOT = tmp_path
    job = customer_import_prepare(
        by=world.users["datasteward"],
        company=world.companies["sz"],
        upload=_upload("电线杆广告"),
        project=world.projects["binhai"],
        unknown_source=choice,
    )
    preview = import_preview(by=world.users["datasteward"], job=job)
    rows = {r.values.get("name") or r.row: r for r in preview.rows}
    first, second = preview.rows
    errors = [e for e in first.errors if e.field == "source"]
    if choice == "error":
        assert len(errors) == 1 and "抖音" in errors[0].reason
    else:
        assert not errors and first.values["source"] == "other"
    assert second.values["source"] == "xiaohongshu" and not second.errors
    assert rows


def test_import_refuses_an_unknown_choice(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(ApplicationError) as exc:
        customer_import_prepare(
            by=world.users["datasteward"],
            company=world.companies["sz"],
            upload=_upload("抖音"),
            unknown_source="drop",
        )
    assert exc.value.field == "unknown_source"


def test_sources_page_lists_adds_and_retires(world, login):
    client = login(world.users["manager"])
    page = client.get("/customers/sources/").content.decode()
    assert 'data-code="douyin"' in page and "抖音" in page
    response = client.post("/customers/sources/", {"name": "视频号", "code": ""})
    assert response.status_code == 302
    response = client.post("/customers/sources/", {"toggle": "douyin", "active": "0"})
    assert response.status_code == 302
    codes = dict(sources.source_choices([world.companies["sz"].pk]))
    assert "shipinhao" in codes and "douyin" not in codes
    order = [code for code, _name, _on in sources.source_table(world.companies["sz"].pk)]
    assert order[-1] == "other" and "shipinhao" in order  # "other" stays last
    again = client.post("/customers/sources/", {"name": "视频号"})
    assert again.status_code == 400 and 'data-testid="error-code"' in again.content.decode()
    assert login(world.users["consultant"]).get("/customers/sources/").status_code == 403


def test_the_api_lists_each_companys_channels(world, client):
    sources.source_create(by=world.users["manager"], company=world.companies["sz"], name="视频号")
    auth = bearer(world.users["consultant"])
    rows = client.get("/api/v1/source-channels", **auth).json()["items"]
    codes = {(r["company_id"], r["code"]) for r in rows}
    sz = world.companies["sz"].pk
    assert (sz, "shipinhao") in codes and (sz, "douyin") in codes
    assert {r["company_id"] for r in rows} == {sz}  # only the companies he sees
    zh = world.companies["zh"].pk
    assert client.get(f"/api/v1/source-channels?company_id={zh}", **auth).status_code == 404
