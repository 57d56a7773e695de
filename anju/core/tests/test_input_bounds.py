"""Issue 7 item 4 (SEC-4): control characters refused at entry, every text and number bounded.

The same rule everywhere: the API (services through ``validate_fields``, schemas with
documented bounds), the pages (``CleanTextMixin`` field errors) and a request-level guard
that answers NUL with a 400 before PostgreSQL would answer it with a 500.
"""

import json
from datetime import timedelta
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.utils import timezone

from anju.core.errors import ApplicationError
from anju.core.models import Event
from anju.core.services import api_token_create
from anju.core.validation import control_character_error, field_errors, validate_fields
from anju.customers.models import Customer
from anju.customers.services import customer_register
from anju.reception.models import FollowUpTask, LossReason, Opportunity, PhoneCall, Visit
from anju.reception.services import call_log, opportunity_open, task_complete

pytestmark = pytest.mark.django_db

LONG = "长" * 100_000


# --- the rule itself --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "multiline", "refused"),
    [
        ("甲乙", False, False),
        ("甲\x00乙", False, True),
        ("甲\x07乙", False, True),
        ("甲\x1b乙", True, True),
        ("甲\x7f乙", True, True),
        ("甲\x85乙", True, True),  # C1
        ("甲\ufffe", True, True),
        ("甲\ud800", True, True),  # lone surrogate
        ("第一行\n第二行\t完", True, False),
        ("第一行\n第二行", False, True),  # single-line fields take no line breaks
        ("a\tb", False, True),
    ],
)
def test_control_character_rule(text, multiline, refused):
    """Issue 7 item 4: C0/C1/DEL/non-characters refused; \\t \\n \\r only in multi-line text."""
    assert (control_character_error(text, multiline=multiline) is not None) is refused


def test_validate_fields_checks_every_text_field_and_every_range(world):
    """Issue 7 item 4: validate_fields covers control characters, lengths and ranges."""
    c = Customer(company=world.companies["sz"], name="甲\x00乙", address="a\nb", budget_max=-1)
    errors = field_errors(c, ["name", "address", "budget_max"])
    assert set(errors) == {"name", "address", "budget_max"}
    with pytest.raises(ApplicationError) as exc:
        validate_fields(c, ["budget_max"])
    assert exc.value.field == "budget_max"
    task = FollowUpTask(outcome="x" * 2001, satisfaction=6, message="ok\nline two")
    assert set(field_errors(task, ["outcome", "satisfaction", "message"])) == {
        "outcome",
        "satisfaction",
    }


# --- fixtures ---------------------------------------------------------------------------------


def bearer(user):
    _token, secret = api_token_create(by=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def things(world):
    """A customer, a call with its open tasks and an open opportunity, all the consultant's."""
    consultant = world.users["consultant"]
    call = call_log(
        by=consultant,
        project=world.projects["binhai"],
        rings=2,
        answer_seconds=5,
        duration_seconds=200,
        phone="13812348801",
        name="钱七",
        gender="F",
        visit_wanted=True,
    )
    tasks = [t for t in call.tasks if t.status == "open"]
    opportunity = opportunity_open(
        by=consultant, customer=call.customer, products_of_interest="三房", expected_value=1
    )
    reason = LossReason.objects.filter(company=world.companies["sz"]).first()
    return {
        "customer": call.customer,
        "task": tasks[0],
        "opportunity": opportunity,
        "reason": reason,
        "project": world.projects["binhai"],
    }


def _snapshot(t):
    """What a refused write must leave as it was: events, rows and the touched fields."""
    t["customer"].refresh_from_db()
    t["task"].refresh_from_db()
    t["opportunity"].refresh_from_db()
    return (
        Event.objects.count(),
        Customer.objects.count(),
        PhoneCall.objects.count(),
        Visit.objects.count(),
        Opportunity.objects.count(),
        t["customer"].address,
        t["customer"].budget_min,
        t["task"].status,
        t["task"].outcome,
        t["opportunity"].stage,
    )


def _now():
    return timezone.localtime().replace(microsecond=0)


# (method, url, body) builders: one per write endpoint that takes text or numbers
API_WRITES = {
    "register customer": lambda t, v: (
        "post",
        "/api/v1/customers",
        {"phone": "13812348802", "name": v.get("text", "王五"), **v.get("extra", {})},
    ),
    "update customer": lambda t, v: (
        "patch",
        f"/api/v1/customers/{t['customer'].pk}",
        {"address": v.get("text", "深圳"), **v.get("extra", {})},
    ),
    "log call": lambda t, v: (
        "post",
        "/api/v1/calls",
        {
            "project_id": t["project"].pk,
            "rings": 2,
            "answer_seconds": 5,
            "duration_seconds": 100,
            "phone": "13812348803",
            "name": "孙七",
            "questions": v.get("text", "价格"),
            **v.get("extra", {}),
        },
    ),
    "register visit": lambda t, v: (
        "post",
        "/api/v1/visits",
        {
            "project_id": t["project"].pk,
            "arrived_at": (_now() - timedelta(minutes=10)).isoformat(),
            "reception_started_at": (_now() - timedelta(minutes=9)).isoformat(),
            "phone": "13812348804",
            "name": "周八",
            "next_step": v.get("text", "再约"),
            **v.get("extra", {}),
        },
    ),
    "complete task": lambda t, v: (
        "post",
        f"/api/v1/tasks/{t['task'].pk}/complete",
        {"outcome": v.get("text", "约了周六"), **v.get("extra", {})},
    ),
    "cancel task": lambda t, v: (
        "post",
        f"/api/v1/tasks/{t['task'].pk}/cancel",
        {"reason": v.get("text", "客户已来访")},
    ),
    "open opportunity": lambda t, v: (
        "post",
        "/api/v1/opportunities",
        {
            "customer_id": t["customer"].pk,
            "products_of_interest": v.get("text", "四房"),
            "expected_value": "100",
            **v.get("extra", {}),
        },
    ),
    "close opportunity": lambda t, v: (
        "post",
        f"/api/v1/opportunities/{t['opportunity'].pk}/close",
        {"won": False, "reason_id": t["reason"].pk, "note": v.get("text", "预算")},
    ),
}


def _send(client, world, things, name, **variant):
    method, url, body = API_WRITES[name](things, variant)
    auth = bearer(world.users["consultant"])
    return getattr(client, method)(url, body, content_type="application/json", **auth)


@pytest.mark.parametrize("name", sorted(API_WRITES))
def test_api_writes_accept_good_input(world, client, things, name):
    """The baseline the refusals below are measured against: the same body, clean, works."""
    response = _send(client, world, things, name)
    assert response.status_code in (200, 201), response.content


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x85"])
@pytest.mark.parametrize("name", sorted(API_WRITES))
def test_api_refuses_control_characters_and_writes_nothing(world, client, things, name, char):
    """Issue 7 item 4: a control character in any text field → 4xx, nothing written."""
    before = _snapshot(things)
    response = _send(client, world, things, name, text=f"甲{char}乙")
    assert 400 <= response.status_code < 500, response.content
    assert response.json()["detail"]
    assert _snapshot(things) == before


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("register customer", {"budget_max": "-1"}),
        ("update customer", {"budget_min": "-100"}),
        ("update customer", {"area_max": "-1"}),
        ("update customer", {"budget_max": "1e15"}),
        ("log call", {"rings": 1000}),
        ("log call", {"duration_seconds": -5}),
        ("register visit", {"party_size": 0}),
        ("complete task", {"satisfaction": 9}),
        ("open opportunity", {"expected_value": "-5"}),
    ],
)
def test_api_refuses_numbers_out_of_range(world, client, things, name, extra):
    """Issue 7 item 4: a negative budget and other out-of-range numbers are refused."""
    before = _snapshot(things)
    response = _send(client, world, things, name, extra=extra)
    assert 400 <= response.status_code < 500, response.content
    assert _snapshot(things) == before


@pytest.mark.parametrize("name", sorted(API_WRITES))
def test_api_refuses_overlong_text(world, client, things, name):
    """Issue 7 item 4: a 100,000-character text is refused wherever it is sent."""
    before = _snapshot(things)
    response = _send(client, world, things, name, text=LONG)
    assert 400 <= response.status_code < 500
    assert _snapshot(things) == before


@pytest.mark.parametrize("value", ["4\r", " 4", "4 ", "4_0", "+4", "4.5"])
@pytest.mark.parametrize("name", ["page", "page_size", "company_id"])
def test_integers_in_the_query_string_are_digits_only(world, client, name, value):
    """INT-1: the schema says integer, so "4\r" or " 4" is a 422, as for any other
    non-number (pydantic alone reads them as 4; seen in the contract run)."""
    client.force_login(world.users["admin"])
    url = "/api/v1/webhooks/subscriptions"  # a list filtered by company_id
    response = client.get(f"{url}?{name}={quote(value)}")
    assert response.status_code == 422, response.content
    assert response.json()["field"] == name
    assert client.get(f"{url}?{name}=1").status_code == 200
    assert client.get(f"{url}?{name}=1.0").status_code == 200  # JSON Schema's integer too


def test_services_refuse_what_the_schema_would_let_through(world, things):
    """Issue 7 item 4: the bound lives in the model, so every caller of a service gets it."""
    with pytest.raises(ApplicationError) as exc:
        task_complete(by=world.users["consultant"], task=things["task"], outcome=LONG)
    assert exc.value.field == "outcome"
    with pytest.raises(ApplicationError) as exc:
        customer_register(
            by=world.users["consultant"],
            company=world.companies["sz"],
            phone="13812348809",
            name="王五",
            budget_max=Decimal("-1"),
        )
    assert exc.value.field == "budget_max"
    things["task"].refresh_from_db()
    assert things["task"].status == "open"
    assert not Customer.objects.filter(phone="13812348809").exists()


def test_openapi_documents_the_bounds(client):
    """Issue 7 item 4: the API's schemas carry the bounds, so clients can see them."""
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert schemas["TaskCompleteIn"]["properties"]["outcome"]["maxLength"] == 2000
    budget = json.dumps(schemas["CustomerIn"]["properties"]["budget_max"])
    assert '"minimum": 0' in budget and '"maximum": 999999999999' in budget
    # ids and pages in a URL keep their bounds beside their digits-only check
    operation = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/access-log"]["get"]
    params = {p["name"]: json.dumps(p["schema"]) for p in operation["parameters"]}
    for name, maximum in (("company_id", 2**53), ("page", 200), ("page_size", 500)):
        assert '"minimum": 1' in params[name] and f'"maximum": {maximum}' in params[name]


# --- pages: a form error on the field, not a 400 page -----------------------------------------


def _local_input(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


PAGE_FORMS = {
    "register customer": lambda t: (
        "/customers/new/",
        {
            "phone": "13812348805",
            "gender": "U",
            "project": t["project"].pk,
            "source": "online",
            "name": "{}",
        },
        "name",
        "form",
    ),
    "edit customer": lambda t: (
        f"/customers/{t['customer'].pk}/edit/",
        {"name": "钱七", "gender": "F", "source": "hotline", "address": "{}"},
        "address",
        "form",
    ),
    "log call": lambda t: (
        "/reception/calls/new/",
        {
            "project": t["project"].pk,
            "called_at": _local_input(timezone.now()),
            "phone": "13812348806",
            "name": "吴九",
            "gender": "M",
            "source": "online",
            "rings": "2",
            "answer_seconds": "5",
            "duration_minutes": "3",
            "questions": "{}",
        },
        "questions",
        "form",
    ),
    "complete task": lambda t: (
        f"/reception/tasks/{t['task'].pk}/complete/",
        {"outcome": "{}"},
        "outcome",
        "complete_form",
    ),
    "open opportunity": lambda t: (
        "/reception/opportunities/new/",
        {
            "project": t["project"].pk,
            "phone": t["customer"].phone,
            "products_of_interest": "{}",
            "expected_value": "100",
            "stage": "contact",
        },
        "products_of_interest",
        "form",
    ),
}


@pytest.mark.parametrize("char", ["\x07", "\x1b", "\x9b"])
@pytest.mark.parametrize("name", sorted(PAGE_FORMS))
def test_forms_show_a_field_error_for_control_characters(world, login, things, name, char):
    """Issue 7 item 4: pages refuse control characters as an error on the field."""
    url, data, field, form_name = PAGE_FORMS[name](things)
    data = {k: (v.format(f"甲{char}乙") if v == "{}" else v) for k, v in data.items()}
    before = _snapshot(things)
    response = login(world.users["consultant"]).post(url, data)
    assert response.status_code in (200, 400)
    assert field in response.context[form_name].errors
    assert _snapshot(things) == before


def test_multi_line_text_keeps_its_line_breaks(world, login, things):
    """Line breaks are refused only where the field is single-line."""
    url, data, _field, _form = PAGE_FORMS["log call"](things)
    data["questions"] = "价格？\r\n车位？"
    response = login(world.users["consultant"]).post(url, data)
    assert response.status_code == 302
    assert PhoneCall.objects.get(phone="13812348806").questions == "价格？\r\n车位？"


# --- the request-level guard for NUL ----------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/customers/?q=%00", "/customers/?q=13%0012", "/reception/calls/?q=%00", "/customers/%00/"],
)
def test_nul_in_a_page_request_is_a_clear_400(world, login, url):
    """Issue 7 item 4: PostgreSQL refuses NUL even in a search; the guard answers first."""
    response = login(world.users["manager"]).get(url)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_nul_in_api_query_form_and_json_bodies_is_a_clear_400(world, client, login, things):
    """Issue 7 item 4: query string, form body and JSON body (escaped \\u0000) alike."""
    before = _snapshot(things)
    auth = bearer(world.users["consultant"])
    listed = client.get("/api/v1/customers?q=%00", **auth)
    assert listed.status_code == 400 and "NUL" in listed.json()["detail"]
    patched = client.patch(
        f"/api/v1/customers/{things['customer'].pk}",
        '{"address": "a\\u0000b"}',
        content_type="application/json",
        **auth,
    )
    # the API's schema refuses it field by field (issue 8 item 2): 422 naming the field
    assert patched.status_code == 422 and patched.json()["field"] == "address"
    url, data, _field, _form = PAGE_FORMS["edit customer"](things)
    data["address"] = "甲\x00乙"
    page = login(world.users["consultant"]).post(url, data)
    assert page.status_code == 400 and "NUL" in page.content.decode()
    assert _snapshot(things) == before
    # a literal backslash-u in text is not a NUL
    ok = client.patch(
        f"/api/v1/customers/{things['customer'].pk}",
        '{"address": "a\\\\u0000b"}',
        content_type="application/json",
        **auth,
    )
    assert ok.status_code == 200, ok.content


def test_customer_services_refuse_control_characters_in_reasons_and_notes(world, things):
    """Issue 7 item 4: text kept in events (reasons) and small fields (labels, notes) too."""
    from anju.customers.services import (
        customer_add_phone,
        customer_change_owner,
        customer_set_status,
        relation_add,
    )

    consultant, customer = world.users["consultant"], things["customer"]
    other = customer_register(
        by=consultant, company=world.companies["sz"], phone="13812348810", name="赵十"
    ).customer
    before = _snapshot(things)
    attempts = [
        lambda: customer_set_status(
            by=consultant, customer=customer, status="visitor", reason="来\x07访"
        ),
        lambda: customer_change_owner(
            by=world.users["manager"], customer=customer, to=consultant, reason="x\x1b"
        ),
        lambda: customer_add_phone(
            by=consultant, customer=customer, phone="13812348811", label="家\x00"
        ),
        lambda: relation_add(
            by=consultant, customer=customer, related=other, kind="spouse", note="n\x85"
        ),
    ]
    for attempt, field in zip(attempts, ["reason", "reason", "label", "note"], strict=True):
        with pytest.raises(ApplicationError) as exc:
            attempt()
        assert exc.value.field == field
    assert _snapshot(things) == before
    assert not customer.phones.filter(phone="13812348811").exists()
    assert not customer.relations.exists()
