"""SEC-4 for the whole API: random and malformed input never produces a server error.

Walks the OpenAPI document, so every endpoint an app adds is covered without editing this
file. Path ids, query values and JSON bodies are drawn by hypothesis; any 5xx fails.
"""

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anju.core.services import api_token_create

pytestmark = pytest.mark.django_db

junk_text = st.one_of(
    st.text(max_size=30),
    st.text(min_size=60, max_size=400),  # longer than most columns: PostgreSQL enforces them
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "99999999999999999999",
            "1e309",
            "NaN",
            "null",
            "[]",
            "<script>",
            "' OR 1=1 --",
            "13812345678",
            "2026-02-30",
            "张三丰",
        ]
    ),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), junk_text),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(junk_text, children, max_size=3)
    ),
    max_leaves=8,
)


def operations(client, auth):
    spec = client.get("/api/v1/openapi.json", **auth).json()
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            params = op.get("parameters", [])
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            yield method.upper(), path, params, bool(body)


def fill_path(path, values):
    return re.sub(r"\{[^}]+\}", lambda m: str(values.pop() if values else 1), path)


@pytest.fixture
def api(world, client):
    _t, secret = api_token_create(by=world.users["admin"], name="fuzz")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    return client, auth, list(operations(client, auth))


def test_openapi_lists_endpoints(api):
    _client, _auth, ops = api
    assert len(ops) >= 8


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_random_input_never_causes_a_server_error(api, data):
    client, auth, ops = api
    method, path, params, has_body = data.draw(st.sampled_from(ops))
    ids = st.one_of(st.integers(1, 40), st.integers(-5, 10**6), junk_text)  # often a real row
    path_values = data.draw(st.lists(ids, max_size=3))
    url = "/api/v1" + fill_path(path, path_values).replace("/api/v1", "")
    query = {
        p["name"]: data.draw(junk_text)
        for p in params
        if p.get("in") == "query"
        if data.draw(st.booleans())
    }
    kwargs = dict(auth)
    if has_body:
        body = data.draw(st.one_of(json_values, st.just("{not json")))
        payload = body if isinstance(body, str) else json.dumps(body)
        response = client.generic(
            method,
            url,
            payload,
            content_type="application/json",
            QUERY_STRING="&".join(f"{k}=x" for k in query),
            **kwargs,
        )
    else:
        response = getattr(client, method.lower())(url, query, **kwargs)
    assert response.status_code < 500, (method, url, query, response.content[:300])
