"""Deprecation and Sunset headers, and the document's mark (docs/api.md; issue 8 item 5)."""

from datetime import date

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from anju.core.api_deprecation import deprecated

pytestmark = pytest.mark.django_db

deprecation_urls = override_settings(ROOT_URLCONF="anju.core.tests.deprecation_urls")


@deprecation_urls
def test_a_deprecated_operation_answers_with_its_dates_errors_too(client):
    for query, status in (({}, 200), ({"fail": "true"}, 404)):
        response = client.get("/api/test/old-ping", query)
        assert response.status_code == status
        assert response["Deprecation"] == "@1798761600"  # 2027-01-01T00:00:00Z
        assert response["Sunset"] == "Thu, 01 Jul 2027 00:00:00 GMT"
        assert response["Link"] == '</api/v1/docs>; rel="deprecation"'


@deprecation_urls
def test_the_document_marks_it_and_says_what_to_use_instead(client):
    operation = client.get("/api/test/openapi.json").json()["paths"]["/api/test/old-ping"]["get"]
    assert operation["deprecated"] is True
    assert "2027-07-01" in operation["description"]
    assert "GET /ping" in operation["description"]


def test_no_operation_of_v1_is_deprecated_unannounced(client, world):
    """Today nothing is deprecated: an answer of v1 carries no such header."""
    client.force_login(world.users["admin"])
    response = client.get("/api/v1/projects")
    assert response.status_code == 200 and "Deprecation" not in response


def test_the_notice_is_at_least_six_months():
    with pytest.raises(ImproperlyConfigured):
        deprecated(since=date(2027, 1, 1), sunset=date(2027, 3, 1))


def test_the_api_speaks_the_language_the_client_accepts(client, world):
    """An integrator's program has no language switcher: Accept-Language, else Chinese."""
    client.force_login(world.users["admin"])
    url = "/api/v1/customers/999999999"
    assert client.get(url).json()["detail"] == "未找到。"
    english = client.get(url, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert english.json()["detail"] == "Not found." and english["Content-Language"] == "en"
    assert "Accept-Language" in english["Vary"]
    chinese = client.get(url, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert chinese.json()["detail"] == "未找到。"
    client.cookies["django_language"] = "zh-hans"  # the switcher's choice wins
    assert client.get(url, headers={"Accept-Language": "en"}).json()["detail"] == "未找到。"


def test_pages_keep_ignoring_the_browsers_language(client, world):
    client.force_login(world.users["admin"])
    response = client.get("/", headers={"Accept-Language": "en"})
    assert response["Content-Language"] == "zh-hans"
