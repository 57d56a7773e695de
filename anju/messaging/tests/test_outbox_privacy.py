"""Review of issue 11: consent lookups are phone searches (#7), the outbox shows every
address through one mask (#23), the send-time opt-out re-check costs one query per batch
(#11), and the outbox page's filters have their indexes (#20)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from anju.core.models import PersonalDataAccess
from anju.core.testing import requires_postgres
from anju.customers.selectors import _unmasked_places
from anju.messaging import outbox, services
from anju.messaging.models import Channel, Kind, Message, OptOut, Status

from .test_outbox import _enqueue

pytestmark = pytest.mark.django_db


def _searches(user):
    return PersonalDataAccess.objects.unscoped("test").filter(
        user=user, action=PersonalDataAccess.Action.SEARCH
    )


# --- #7 consent history by full number: logged and rate-limited -------------------------------


def test_a_consent_lookup_is_logged_masked_and_counted_against_the_phone_search_limit(
    world, login, customer, settings
):
    user = world.users["service"]
    assert _unmasked_places(user) is None  # a role that sees numbers masked
    settings.ANJU_PHONE_SEARCHES_PER_HOUR = 3
    client = login(user)
    body = {"channel": "sms", "address": customer.phone}
    for _ in range(3):
        answer = client.post("/api/v1/consent/history", body, content_type="application/json")
        assert answer.status_code == 200, answer.content
    logged = list(_searches(user).values_list("description", flat=True))
    assert len(logged) == 3 and all(customer.phone not in d for d in logged)
    assert all(customer.phone[-4:] in d for d in logged)
    refused = client.post("/api/v1/consent/history", body, content_type="application/json")
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert refused.headers["Retry-After"]
    page = client.post(
        "/messaging/consent/", {"lookup-channel": "sms", "lookup-address": customer.phone}
    )
    assert page.status_code == 400 and 'data-testid="consent-history"' not in page.content.decode()
    # recording an opt-out is never refused by the limit (the change stands), but is logged
    done = client.post("/api/v1/consent/opt-out", body, content_type="application/json")
    assert done.status_code == 200 and services.is_opted_out(
        Channel.SMS, customer.phone, holding=customer.company.holding
    )


def test_an_email_consent_lookup_is_logged_masked(world, login):
    user = world.users["service"]
    client = login(user)
    body = {"channel": "email", "address": "Wang.Li@Example.com"}
    answer = client.post("/api/v1/consent/history", body, content_type="application/json")
    assert answer.status_code == 200, answer.content
    [entry] = _searches(user).values_list("description", "fields")
    assert entry == ("e-mail lookup: w***@example.com", "email")


# --- #23 one mask for every address ------------------------------------------------------------


def test_the_outbox_list_detail_and_api_mask_an_email_alike(world, login, customer, at_local):
    at_local(10)
    message = _enqueue(customer, key="mail-1", channel=Channel.EMAIL, to="wang.li@example.com")
    client = login(world.users["management"])
    listed = client.get("/messaging/outbox/?channel=email").content.decode()
    detail = client.get(f"/messaging/messages/{message.pk}/").content.decode()
    api = client.get(f"/api/v1/messages/{message.pk}").json()
    assert message.to_masked == "w***@example.com" == api["to"]
    for page in (listed, detail):
        assert "w***@example.com" in page and "wang.li@" not in page and "wan…" not in page


# --- #11 the send-time opt-out re-check: one query per batch ---------------------------------


def _claim_queries(customer, at_local, n, start):
    at_local(10)
    for i in range(start, start + n):
        _enqueue(customer, key=f"mk-{i}", kind=Kind.MARKETING, to=f"1390000{i:04d}")
    # opted out in a way that did not cancel the queued row (a reply racing the claim)
    OptOut.objects.create(
        holding_id=customer.company.holding_id, channel=Channel.SMS, address=f"1390000{start:04d}"
    )
    with CaptureQueriesContext(connection) as queries:
        _token, sendable, outcome = outbox.claim(channel=Channel.SMS, limit=100)
    Message.objects.unscoped("test").filter(idempotency_key__startswith="mk-").update(
        status=Status.SENT
    )
    assert outcome.cancelled == 1 and len(sendable) == n - 1
    return len(queries)


def test_the_opt_out_recheck_at_claim_time_does_not_grow_with_the_batch(customer, at_local):
    few = _claim_queries(customer, at_local, 2, 0)
    many = _claim_queries(customer, at_local, 30, 100)
    assert many == few


# --- #20 the outbox page's filters have their indexes ----------------------------------------


def test_every_outbox_filter_has_an_index_within_each_scope():
    indexes = [tuple(f.lstrip("-") for f in i.fields) for i in Message._meta.indexes]
    for scope in ("company", "project"):
        assert (scope, "status", "created_at", "id") in indexes
        assert (scope, "created_at", "id") in indexes  # all statuses, and the date range


@requires_postgres
def test_the_outbox_filtered_by_company_and_status_uses_its_index(world):
    company = world.companies["sz"]
    rows = (
        Message.objects.unscoped("test: the plan of the outbox page's query")
        .filter(company=company, status=Status.FAILED)
        .order_by("-created_at", "-id")[:50]
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        sql, params = rows.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(r[0] for r in cursor.fetchall())
    assert "message_company_status" in plan, plan
