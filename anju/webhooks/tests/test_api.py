"""Webhooks API (INT-2): administrators only, secrets shown once, 422 for bad targets,
nothing changed by a refused request, constant queries on the lists."""

import pytest
from django.http import Http404

from anju.core.models import Event
from anju.webhooks import services
from anju.webhooks.models import WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db

BASE = "/api/v1/webhooks/subscriptions"


def body(world, **kw):
    values = {
        "company_id": world.companies["sz"].pk,
        "name": "CRM",
        "target_url": "https://crm.example.com/hooks/anju",
        "verbs": ["customer.registered", "reception.opportunity_won"],
    }
    values.update(kw)
    return values


def send(client, method, url, data=None):
    return client.generic(method, url, __import__("json").dumps(data or {}), "application/json")


def counts():
    return (
        WebhookSubscription.objects.count(),
        WebhookDelivery.objects.count(),
        Event.objects.count(),
    )


def test_an_administrator_manages_a_subscription_and_sees_the_secret_once(world, login):
    client = login(world.users["admin"])
    created = send(client, "POST", BASE, body(world))
    assert created.status_code == 201, created.content
    sub = created.json()
    secret = WebhookSubscription.objects.get(pk=sub["id"]).secret
    assert sub["secret"] == secret and secret.startswith("whsec_") and len(secret) > 40
    assert created["Cache-Control"] == "no-store"
    assert sub["verbs"] == ["customer.registered", "reception.opportunity_won"]
    assert sub["is_active"] is True and sub["may_unmask"] is False

    shown = client.get(f"{BASE}/{sub['id']}").json()
    assert shown["secret"] != secret and secret[-4:] in shown["secret"] and "…" in shown["secret"]
    listed = client.get(BASE).json()["items"]
    assert all(s["secret"] != secret for s in listed)
    assert sub["id"] in [s["id"] for s in listed]

    rotated = send(client, "POST", f"{BASE}/{sub['id']}/rotate-secret")
    assert rotated["Cache-Control"] == "no-store"
    rotated = rotated.json()
    assert rotated["secret"] not in (secret, shown["secret"])
    assert rotated["secret"] == WebhookSubscription.objects.get(pk=sub["id"]).secret

    patched = send(client, "PATCH", f"{BASE}/{sub['id']}", {"is_active": False, "name": "BI"})
    assert patched.status_code == 200 and patched.json()["is_active"] is False
    assert patched.json()["name"] == "BI" and patched.json()["secret"] != rotated["secret"]

    verbs = {v["verb"] for v in client.get("/api/v1/webhooks/verbs").json()}
    assert {
        "customer.registered",
        "reception.call_logged",
        "reception.visit_registered",
        "reception.opportunity_won",
        "reception.opportunity_lost",
    } <= verbs
    events = Event.objects.filter(target_id=sub["id"], verb__startswith="webhooks.")
    assert set(events.values_list("verb", flat=True)) == {
        "webhooks.subscription_created",
        "webhooks.secret_rotated",
        "webhooks.subscription_changed",
    }
    assert all(secret not in str(e.details) for e in events)

    gone = send(client, "DELETE", f"{BASE}/{sub['id']}")
    assert gone.status_code == 204
    assert not WebhookSubscription.objects.filter(pk=sub["id"]).exists()
    assert client.get(f"{BASE}/{sub['id']}").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "ftp://crm.example.com/hooks",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "gopher://crm.example.com/",
        "crm.example.com/hooks",
        "https://user:pw@crm.example.com/hooks",
        "https:///nohost",
        "http://[::1]/hooks",  # IPv6 literals: not accepted
        " https://crm.example.com/hooks",
        "https://crm.example.com/a b",
        "https://crm.example.com:0/",
        "https://crm.example.com:65536/",
        "https://例子.测试/hooks",
    ],
)
def test_only_http_and_https_targets(world, login, url):
    client = login(world.users["admin"])
    before = counts()
    response = send(client, "POST", BASE, body(world, target_url=url))
    assert response.status_code == 422, response.content
    assert response.json()["field"] == "target_url"
    assert counts() == before


def test_messages_are_in_the_users_language(world, login, settings):
    client = login(world.users["admin"])
    response = send(client, "POST", BASE, body(world, target_url="ftp://crm.example.com/"))
    assert response.json()["field"] == "target_url"
    assert response.json()["errors"][0]["detail"].startswith("请输入 http 或 https 地址")
    settings.ANJU_WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    response = send(client, "POST", BASE, body(world, target_url="http://10.0.0.1/"))
    assert response.json()["detail"] == "Webhook 不能发送到内网、回环或链路本地地址。"
    assert response.json()["code"] == "private_target"


def test_the_service_checks_the_schemas_own_pattern(world):
    """Calls that skip the API (a page, a script) meet the same rules, in the same words."""
    from anju.core.errors import ApplicationError

    for url, code in [
        ("ftp://crm.example.com/", "invalid_url_scheme"),
        ("https://user:pw@crm.example.com/", "invalid_url"),
        ("https://crm.example.com:99999/", "invalid_url"),
    ]:
        with pytest.raises(ApplicationError) as refused:
            services.subscription_create(
                by=world.users["admin"],
                company=world.companies["sz"],
                target_url=url,
                verbs=["customer.registered"],
            )
        assert refused.value.code == code and refused.value.field == "target_url"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hooks",
        "http://localhost/hooks",
        "http://10.1.2.3/hooks",
        "http://192.168.1.10/hooks",
        "http://169.254.169.254/latest/meta-data",
        "http://0.0.0.0/",
        "http://app.localhost:8080/",
    ],
)
def test_private_targets_are_refused_unless_the_setting_allows_them(world, login, settings, url):
    settings.ANJU_WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    client = login(world.users["admin"])
    before = counts()
    response = send(client, "POST", BASE, body(world, target_url=url))
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "private_target"
    assert counts() == before
    settings.ANJU_WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    assert send(client, "POST", BASE, body(world, target_url=url)).status_code == 201


def test_unknown_events_are_a_field_error(world, login):
    client = login(world.users["admin"])
    before = counts()
    response = send(client, "POST", BASE, body(world, verbs=["customer.registered", "nope.x"]))
    assert response.status_code == 422 and response.json()["field"].startswith("verbs")
    assert send(client, "POST", BASE, body(world, verbs=[])).status_code == 422
    internal = body(world, verbs=["webhooks.subscription_created"])  # an event, not published
    assert send(client, "POST", BASE, internal).status_code == 422
    assert counts() == before


@pytest.mark.parametrize("who", ["consultant", "manager", "datasteward", "management"])
def test_other_roles_cannot_create_or_change_subscriptions(world, login, who):
    sub = services.subscription_create(
        by=world.users["admin"],
        company=world.companies["sz"],
        target_url="https://crm.example.com/h",
        verbs=["customer.registered"],
    )
    secret = sub.secret
    client = login(world.users[who])
    before = counts()
    assert send(client, "POST", BASE, body(world)).status_code == 403
    assert client.get(BASE).status_code == 403
    assert client.get(f"{BASE}/{sub.pk}").status_code == 403
    assert send(client, "PATCH", f"{BASE}/{sub.pk}", {"is_active": False}).status_code == 403
    assert send(client, "POST", f"{BASE}/{sub.pk}/rotate-secret").status_code == 403
    assert send(client, "POST", f"{BASE}/{sub.pk}/ping").status_code == 403
    assert send(client, "DELETE", f"{BASE}/{sub.pk}").status_code == 403
    assert counts() == before
    sub.refresh_from_db()
    assert sub.is_active and sub.secret == secret


def test_out_of_scope_is_404(world, login):
    sub = services.subscription_create(
        by=world.users["admin"],
        company=world.companies["sz"],
        target_url="https://crm.example.com/h",
        verbs=["customer.registered"],
    )
    client = login(world.users["consultant_zh"])
    assert client.get(f"{BASE}/{sub.pk}").status_code == 404
    assert send(client, "DELETE", f"{BASE}/{sub.pk}").status_code == 404
    assert WebhookSubscription.objects.filter(pk=sub.pk).exists()


def test_may_unmask_needs_the_unmask_permission(world, login, hook_admin):
    client = login(world.users["admin"])  # administrator: MANAGE_ORG, not UNMASK (superuser)
    before = counts()
    response = send(client, "POST", BASE, body(world, may_unmask=True))
    assert response.status_code == 403 and response.json()["field"] == "may_unmask"
    assert counts() == before
    plain = send(client, "POST", BASE, body(world)).json()
    refused = send(client, "PATCH", f"{BASE}/{plain['id']}", {"may_unmask": True})
    assert refused.status_code == 403
    assert WebhookSubscription.objects.get(pk=plain["id"]).may_unmask is False

    client = login(hook_admin)  # administrator and data steward of 深圳
    granted = send(client, "PATCH", f"{BASE}/{plain['id']}", {"may_unmask": True})
    assert granted.status_code == 200 and granted.json()["may_unmask"] is True
    assert WebhookSubscription.objects.get(pk=plain["id"]).unmask_granted_by == hook_admin
    created = send(client, "POST", BASE, body(world, may_unmask=True))
    assert created.status_code == 201 and created.json()["may_unmask"] is True

    # whoever points full personal data at another URL must be allowed to see it too
    client = login(world.users["admin"])
    moved = send(
        client, "PATCH", f"{BASE}/{plain['id']}", {"target_url": "https://evil.example.com/"}
    )
    assert moved.status_code == 403
    assert WebhookSubscription.objects.get(pk=plain["id"]).target_url.startswith("https://crm")
    assert send(client, "PATCH", f"{BASE}/{plain['id']}", {"may_unmask": False}).status_code == 200


def _deliveries(sub, n):
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(company_id=sub.company_id, subscription=sub, verb="webhook.ping")
        for _ in range(n)
    )


def test_list_apis_use_a_constant_number_of_queries(world, login, django_assert_num_queries):
    admin = world.users["admin"]
    client = login(admin)
    sub = services.subscription_create(
        by=admin,
        company=world.companies["sz"],
        target_url="https://crm.example.com/h",
        verbs=["customer.registered"],
    )
    _deliveries(sub, 2)
    client.get(BASE)  # warm the session and content types
    # session, user, his role assignments (read once per request, issue 10), the page (it
    # fits: no COUNT)
    with django_assert_num_queries(4):
        assert client.get(BASE).status_code == 200
    # session, user, role assignments, the subscription, the page
    with django_assert_num_queries(5):
        assert client.get(f"{BASE}/{sub.pk}/deliveries").status_code == 200
    for n in range(3):
        services.subscription_create(
            by=admin,
            company=world.companies["zh"],
            target_url=f"https://crm.example.com/{n}",
            verbs=["customer.registered"],
        )
    _deliveries(sub, 20)
    with django_assert_num_queries(4):
        assert client.get(BASE).status_code == 200
    # a full page of 10 out of 22: counted (capped)
    with django_assert_num_queries(6):
        response = client.get(f"{BASE}/{sub.pk}/deliveries?status=pending&page_size=10")
    assert response.status_code == 200
    assert response.json()["count"] == 22 and len(response.json()["items"]) == 10


def test_list_queries_for_an_administrator_by_role(
    world, login, hook_admin, django_assert_num_queries
):
    """Not a superuser: his role assignments are read once per request."""
    client = login(hook_admin)
    base = client.get(BASE).json()["count"]  # the demo's
    for n in range(3):
        services.subscription_create(
            by=hook_admin,
            company=world.companies["sz"],
            target_url=f"https://crm.example.com/{n}",
            verbs=["customer.registered"],
        )
        client.get(BASE)
        # session, user, role assignments (once for scope and permission, issue 10), the
        # page (it fits: no COUNT): the same however many rows
        with django_assert_num_queries(4):
            response = client.get(BASE)
        assert response.json()["count"] == base + n + 1


def test_ping_and_redeliver_through_the_api(
    world, login, receiver, django_capture_on_commit_callbacks
):
    client = login(world.users["admin"])
    sub = send(client, "POST", BASE, body(world, target_url=receiver.url)).json()
    receiver.script = [500]
    with django_capture_on_commit_callbacks(execute=True):
        ping = send(client, "POST", f"{BASE}/{sub['id']}/ping")
    assert ping.status_code == 202
    log = client.get(f"{BASE}/{sub['id']}/deliveries?status=failed").json()["items"]
    assert [d["delivery_id"] for d in log] == [ping.json()["delivery_id"]]
    assert log[0]["last_status_code"] == 500 and log[0]["event"] == "webhook.ping"
    with django_capture_on_commit_callbacks(execute=True):
        again = send(client, "POST", f"{BASE}/{sub['id']}/deliveries/{log[0]['id']}/redeliver")
    assert again.status_code == 202
    assert [r.headers["X-Anju-Delivery"] for r in receiver.requests] == [log[0]["delivery_id"]] * 2
    shown = client.get(f"{BASE}/{sub['id']}/deliveries").json()["items"][0]
    assert shown["status"] == "delivered" and shown["last_status_code"] == 200
    assert client.get(f"{BASE}/{sub['id']}/deliveries?status=bogus").status_code == 422


def test_a_subscription_deleted_meanwhile_is_404_not_500(world, login):
    """Two connections: one reads the subscription for a PATCH, the other deletes it before
    the PATCH's lock (seen in the contract run as a 500)."""
    client = login(world.users["admin"])
    sub_id = send(client, "POST", BASE, body(world)).json()["id"]
    stale = WebhookSubscription.objects.unscoped("the test's own row").get(pk=sub_id)
    assert send(client, "DELETE", f"{BASE}/{sub_id}").status_code == 204
    before = counts()
    with pytest.raises(Http404):
        services.subscription_update(by=world.users["admin"], subscription=stale, name="late")
    with pytest.raises(Http404):
        services.subscription_rotate_secret(by=world.users["admin"], subscription=stale)
    assert counts() == before
