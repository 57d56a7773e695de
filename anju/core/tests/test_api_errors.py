"""INT-1, issue 8 items 1 and 2: every API error has one shape, and the OpenAPI document
lists every status an operation answers.

Walks the document, so an operation an app adds is covered without editing this file: for
each one it provokes the error paths every operation has (no credentials, a row that is not
there, an unreadable body, an unknown field, a value of the wrong type) and checks the
answer's status is documented for that operation and its body is the ``ErrorOut`` shape.
"""

import json
import re

import jsonschema
import pytest
from openapi_spec_validator import validate

from anju.core.services import api_token_create

pytestmark = pytest.mark.django_db

MISSING_ID = 2**40  # well formed, beyond any row


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").json()


@pytest.fixture
def admin_auth(world):
    _token, secret = api_token_create(by=world.users["admin"], name="errors")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _operations(spec):
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation


def _error_validator(spec):
    schema = {"$ref": "#/components/schemas/ErrorOut", "components": spec["components"]}
    return jsonschema.Draft202012Validator(schema)


def _call(client, method, url, body=None, auth=None, content_type="application/json"):
    kwargs = dict(auth or {})
    if method == "GET":
        return client.get(url, **kwargs)
    data = body if body is not None else ""
    return client.generic(method, url, data, content_type=content_type, **kwargs)


def _fill(path, value=1):
    return re.sub(r"\{([^}]+)\}", lambda m: "phone" if m[1] == "field" else str(value), path)


def _check(spec, operation, response, expected_status, label):
    status = response.status_code
    assert status == expected_status, f"{label}: {status} {response.content[:300]!r}"
    assert str(status) in operation["responses"], f"{label}: {status} is not documented"
    body = response.json()
    errors = sorted(_error_validator(spec).iter_errors(body), key=str)
    assert not errors, f"{label}: not the error shape: {body} ({errors[0].message})"
    assert re.fullmatch(r"[a-z][a-z0-9_]*", body["code"]), body
    return body


def test_the_document_is_valid_openapi_3_1(spec):
    assert spec["openapi"].startswith("3.1")
    validate(json.loads(json.dumps(spec)))


def test_every_operation_documents_its_error_statuses_with_the_error_shape(spec):
    for method, path, operation in _operations(spec):
        responses = operation["responses"]
        for status in ("400", "401", "403", "422"):
            assert status in responses, f"{method} {path} does not document {status}"
        if "{" in path:
            assert "404" in responses, f"{method} {path} does not document 404"
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (method, path)


# What an SMS provider pushes carries no user's credentials: a shared secret instead
# (anju/messaging/gateways/callbacks_api.py; its own tests cover unsigned and malformed pushes).
PROVIDER_PUSHES = "/api/v1/messaging/callbacks/"


def test_without_credentials_every_operation_answers_401_in_the_shape(client, spec):
    for method, path, operation in _operations(spec):
        response = _call(client, method, _fill(path))
        if path.startswith(PROVIDER_PUSHES):  # refused in the same shape, for its own reason
            body = _check(spec, operation, response, response.status_code, f"{method} {path}")
            assert body["code"] in {"callbacks_disabled", "callback_unsigned"}, body
            continue
        body = _check(spec, operation, response, 401, f"{method} {path} anonymous")
        assert body["code"] == "not_authenticated"


def test_a_row_that_is_not_there_is_404_in_the_shape(client, spec, admin_auth):
    for method, path, operation in _operations(spec):
        if "{" not in path or not re.search(r"\{\w+_id\}", path):
            continue
        body = None
        if "requestBody" in operation:
            body = "{}"  # may be refused as 422 first: then the id is never looked up
        response = _call(client, method, _fill(path, MISSING_ID), body, admin_auth)
        if response.status_code == 422 and body is not None:
            continue
        answer = _check(spec, operation, response, 404, f"{method} {path} missing row")
        assert answer["code"] == "not_found"


def test_a_path_id_that_is_not_a_number_names_nothing_404(client, admin_auth):
    """A null id fed into a path (a generated link from an answer's null customer_id) names
    no row: 404 in the shape, not a 422 about the path."""
    response = client.get("/api/v1/customers/None/timeline", **admin_auth)
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_an_unreadable_body_is_400_and_an_unknown_field_422(client, spec, admin_auth):
    for method, path, operation in _operations(spec):
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" not in content or path.startswith(PROVIDER_PUSHES):
            continue
        url = _fill(path)
        broken = _call(client, method, url, "{not json", admin_auth)
        body = _check(spec, operation, broken, 400, f"{method} {path} broken JSON")
        assert body["code"] == "bad_request"
        unknown = _call(client, method, url, json.dumps({"no_such_field": 1}), admin_auth)
        if unknown.status_code in (403, 404):
            continue  # refused before the body is read (scope, permission)
        body = _check(spec, operation, unknown, 422, f"{method} {path} unknown field")
        fields = {e["field"]: e["code"] for e in body["errors"]}
        assert fields.get("no_such_field") == "extra_forbidden", body


def test_a_wrong_type_is_422_naming_the_field_in_chinese(client, spec, admin_auth):
    response = client.post(
        "/api/v1/calls",
        {"project_id": "one", "rings": True, "answer_seconds": 0, "duration_seconds": 0},
        content_type="application/json",
        **admin_auth,
    )
    body = _check(spec, spec["paths"]["/api/v1/calls"]["post"], response, 422, "wrong type")
    fields = {e["field"]: e for e in body["errors"]}
    assert fields["project_id"]["code"] == "int_parsing" or "project_id" in fields
    assert fields["rings"]["detail"] == "请输入整数。"  # true is not a number of rings
    assert body["detail"] == "部分字段无效。"


def test_a_protection_clash_is_409_with_its_code(client, spec, world):
    from anju.customers.services import customer_register

    customer_register(
        by=world.users["consultant"],
        company=world.companies["sz"],
        project=world.projects["binhai"],
        phone="13800007799",
        name="周十",
    )
    _token, secret = api_token_create(by=world.users["consultant2"], name="clash")
    response = client.post(
        "/api/v1/customers",
        {"project_id": world.projects["yunjing"].pk, "phone": "13800007799", "name": "周十"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    operation = spec["paths"]["/api/v1/customers"]["post"]
    body = _check(spec, operation, response, 409, "protection clash")
    assert body["code"] == "protected_by_colleague" and body["field"] == "phone"


def test_errors_outside_the_views_have_the_shape_too(client, admin_auth):
    """Django's own answers under /api/: an unknown path, a wrong method, a NUL."""
    unknown = client.get("/api/v1/no-such-thing", **admin_auth)
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    wrong_method = client.put("/api/v1/customers", "{}", content_type="application/json")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["code"] == "method_not_allowed"
    assert "GET" in wrong_method["Allow"]
    nul = client.get("/api/v1/customers?status=%00", **admin_auth)
    assert nul.status_code == 400 and nul.json()["code"] == "bad_request"
    no_boundary = client.generic(
        "POST", "/api/v1/customers/search", "x", content_type="multipart/form-data", **admin_auth
    )
    assert no_boundary.status_code == 400 and no_boundary.json()["code"] == "bad_request"


def test_a_server_error_is_500_in_the_shape_and_logged(client, admin_auth, monkeypatch, caplog):
    from anju.org import selectors

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "companies_visible_to", broken)
    response = client.get("/api/v1/companies", **admin_auth)
    assert response.status_code == 500
    assert response.json() == {
        "code": "server_error",
        "detail": "服务器出现问题，已记录日志，请重试。",
    }
    assert "boom" in caplog.text


def test_a_date_is_yyyy_mm_dd_not_a_number(client, admin_auth):
    """Issue 8: ``GET /visits?date_from=6.6e-251`` answered 200 (pydantic read a Unix time)."""
    response = client.get("/api/v1/visits", {"date_from": "6.6e-251"}, **admin_auth)
    assert response.status_code == 422 and response.json()["field"] == "date_from"
    assert response.json()["errors"][0]["code"] == "date_parsing"
    ok = client.get("/api/v1/visits", {"date_from": "2026-01-01"}, **admin_auth)
    assert ok.status_code == 200


def test_every_date_in_a_query_is_yyyy_mm_dd_not_a_number(client, spec, admin_auth):
    """Issue 8: ``GET /access-log?date_to=0`` answered 200 (read as 1970-01-01)."""
    checked = 0
    for method, path, operation in _operations(spec):
        if method != "GET" or "{" in path:
            continue
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and '"date"' in json.dumps(parameter["schema"]):
                response = client.get(path, {parameter["name"]: "0"}, **admin_auth)
                assert response.status_code == 422, (path, parameter["name"])
                assert response.json()["field"] == parameter["name"]
                checked += 1
    assert checked >= 4


def test_an_email_address_has_at_most_64_characters_before_the_at(client, world):
    """RFC 5321 (the document's ``email`` format); Django's validator alone lets it through."""
    from anju.customers.models import Customer

    customer = Customer.objects.filter(owner=world.users["consultant"]).order_by("pk").first()
    _token, secret = api_token_create(by=world.users["consultant"], name="mail")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    url = f"/api/v1/customers/{customer.pk}"
    too_long = client.patch(url, {"email": "a" * 65 + "@example.com"}, "application/json", **auth)
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0] == {
        "field": "email",
        "code": "email_local_part",
        "detail": "@ 之前的部分最多 64 个字符。",
    }
    fits = client.patch(url, {"email": "a" * 64 + "@example.com"}, "application/json", **auth)
    assert fits.status_code == 200


def test_money_is_a_string_or_a_whole_number_never_a_rounded_float(client, world):
    """SEC-4: 0.1 as a JSON float is already rounded; "0.10" or a whole number are exact."""
    from anju.customers.models import Customer

    customer = Customer.objects.filter(owner=world.users["consultant"]).order_by("pk").first()
    _token, secret = api_token_create(by=world.users["consultant"], name="money")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    url = f"/api/v1/customers/{customer.pk}"
    for value, status, stored in (
        ("1280000.50", 200, "1280000.50"),
        (1280000, 200, "1280000.00"),
        (1280000.0, 200, "1280000.00"),
        (0.1, 422, None),
        (True, 422, None),
    ):
        response = client.patch(url, {"budget_max": value}, content_type="application/json", **auth)
        assert response.status_code == status, (value, response.content)
        if stored:
            customer.refresh_from_db()
            assert str(customer.budget_max) == stored


def _strings(schema, components, seen=()):
    """Every string schema inside a request schema (following $ref, anyOf, items …)."""
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref", "")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        if name not in seen:
            yield from _strings(components[name], components, (*seen, name))
        return
    if schema.get("type") == "string":
        yield schema
    for key in ("anyOf", "oneOf", "allOf"):
        for part in schema.get(key, []):
            yield from _strings(part, components, seen)
    for part in schema.get("properties", {}).values():
        yield from _strings(part, components, seen)
    if isinstance(schema.get("items"), dict):
        yield from _strings(schema["items"], components, seen)


def test_every_text_a_client_sends_states_what_it_may_hold(spec):
    """A free string in a request would let a NUL or a control character through the schema
    and be refused by the server (a schema-valid request refused): every one has a pattern,
    a choice or a format the server checks (issue 8 item 2)."""
    components = spec["components"]["schemas"]
    loose = []
    for method, path, operation in _operations(spec):
        sources = [p.get("schema", {}) for p in operation.get("parameters", [])]
        for media in operation.get("requestBody", {}).get("content", {}).values():
            sources.append(media.get("schema", {}))
        for source in sources:
            for string in _strings(source, components):
                if not (
                    string.get("pattern")
                    or string.get("enum")
                    or "const" in string
                    or string.get("format") in {"date", "date-time", "binary", "password"}
                ):
                    loose.append(f"{method} {path}: {string}")
    assert not loose, "\n".join(loose)


def test_every_schema_and_enum_has_its_own_name():
    """The OpenAPI document names a component by its class: two request/response schemas of
    one name make one replace the other in the document, so the contract run judged core's
    jobs against a campaign's job schema (issue 11). Enums used in schemas: see below."""
    import ast
    from collections import Counter
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    classes = []  # (name, its bases' names) of every module-level class
    for path in root.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:  # a paginator's inner
            if isinstance(node, ast.ClassDef):  # Input/Output are not components
                bases = {getattr(b, "attr", getattr(b, "id", "")) for b in node.bases}
                classes.append((node.name, bases))
    schemas = {"Schema", "Input"}
    while True:  # a subclass of a schema is one too (deals' SubscriptionIn(TermsIn), seen)
        more = {name for name, bases in classes if bases & schemas} - schemas
        if not more:
            break
        schemas |= more
    names = Counter(name for name, bases in classes if bases & schemas)
    assert not [name for name, n in names.items() if n > 1]


def test_every_enum_in_the_document_has_its_values(spec):
    """An enum component of a shared name (``Kind``, ``Status``…) holds one enum's values:
    each one the document names must be the enum its operations use."""
    from anju.membership.models import TierChange
    from anju.messaging.models import Channel, Kind, Status

    schemas = spec["components"]["schemas"]
    for enum in (Kind, Status, Channel, TierChange.ChangeKind):
        assert schemas[enum.__name__]["enum"] == list(enum.values), enum.__name__
