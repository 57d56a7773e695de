"""Scope is structural (issue 7 item 6, SEC-1): a scoped model is never read without a
scope decision — ``visible_to(user)`` or ``unscoped("why")`` — on a page, in an API handler,
a template, a streamed export or the admin. Strict mode is on for the whole request."""

import ast
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.db.models import Count
from django.test import override_settings

from anju.core import checks as core_checks
from anju.core.admin_base import ScopedAdminMixin
from anju.core.scope import (
    ScopedQuerySet,
    ScopeNotDecided,
    ScopeSpec,
    scope_is_strict,
    strict_scope,
    unscoped_reads,
)
from anju.customers.models import Customer, CustomerPhone

SCOPE_URLS = "anju.core.tests.scope_urls"
ANJU = Path(__file__).resolve().parents[2]


def scoped_models():
    """Every model whose default manager returns a ScopedQuerySet (discovered, not listed)."""
    return sorted(
        (m for m in apps.get_models() if isinstance(m._default_manager.all(), ScopedQuerySet)),
        key=lambda m: m._meta.label,
    )


UNDECIDED_READS = {
    "list": lambda qs: list(qs),
    "iterate": lambda qs: [row for row in qs],
    "bool": lambda qs: bool(qs),
    "len": lambda qs: len(qs),
    "index": lambda qs: qs[0],
    "first": lambda qs: qs.first(),
    "get": lambda qs: qs.get(pk=-1),
    "count": lambda qs: qs.count(),
    "exists": lambda qs: qs.exists(),
    "aggregate": lambda qs: qs.aggregate(n=Count("pk")),
    "iterator": lambda qs: list(qs.iterator()),
    "values": lambda qs: list(qs.values("pk")),
    "values_list": lambda qs: list(qs.values_list("pk", flat=True)),
    "in_bulk": lambda qs: qs.in_bulk([1]),
    "get_or_create": lambda qs: qs.get_or_create(pk=-1, defaults={"name": "x"}),
    "update": lambda qs: qs.filter(pk=-1).update(name="x"),
    "delete": lambda qs: qs.filter(pk=-1).delete(),
    "contains": lambda qs: qs.contains(Customer(pk=1)),
    "explain": lambda qs: qs.explain(),
    "raw": lambda qs: list(qs.raw(f"SELECT id FROM {Customer._meta.db_table}")),
}


@pytest.mark.parametrize("read", sorted(UNDECIDED_READS))
def test_every_kind_of_read_without_a_decision_raises_in_strict_mode(world, read):
    with strict_scope(), pytest.raises(ScopeNotDecided, match="Customer read without"):
        UNDECIDED_READS[read](Customer.objects.filter(name__isnull=False))


def test_outside_strict_mode_reads_are_not_refused(world):
    """Management commands, tasks, migrations and test set-up run without strict mode."""
    assert not scope_is_strict()
    assert Customer.objects.count() > 0


def test_visible_to_and_unscoped_are_decisions_that_survive_chaining(world):
    consultant = world.users["consultant"]
    with strict_scope():
        visible = Customer.objects.filter(name__isnull=False).visible_to(consultant)
        mine = list(visible.order_by("pk").values_list("owner_id", "project_id"))
        assert mine and {owner for owner, _ in mine} <= {consultant.pk, None}
        assert visible.exclude(pk=-1).count() == len(mine)
        everyone = Customer.objects.unscoped("test: count every customer")
        assert everyone.filter(pk__gt=0).count() > len(mine)
        assert list(Customer.objects.none()) == []


def test_related_managers_and_prefetch_read_through_the_checked_parent(world):
    manager = world.users["manager"]
    with strict_scope():
        customer = Customer.objects.visible_to(manager).filter(phones__isnull=False).first()
        assert [p.phone for p in customer.phones.all()]
        prefetched = Customer.objects.visible_to(manager).prefetch_related("phones")[:5]
        assert all(c.phones.all() is not None for c in prefetched)
        assert manager.role_assignments.count() >= 1


def test_an_undecided_subquery_is_not_read_on_its_own(world):
    """``pk__in=qs`` is compiled into the outer query; only the outer needs the decision."""
    manager = world.users["manager"]
    with strict_scope():
        owner_ids = CustomerPhone.objects.filter(phone__startswith="1").values("customer_id")
        assert Customer.objects.visible_to(manager).filter(pk__in=owner_ids).exists()


def test_bulk_update_of_held_rows_needs_no_read_decision(world):
    customer = Customer.objects.first()
    customer.budget_max = Decimal("123.00")
    with strict_scope():
        assert Customer.objects.bulk_update([customer], ["budget_max"]) == 1


@pytest.mark.parametrize("reason", ["", "   ", None, 42])
def test_unscoped_needs_a_reason(world, reason):
    with pytest.raises(TypeError, match="reason"):
        Customer.objects.unscoped(reason)
    with pytest.raises(TypeError, match="reason"), unscoped_reads(reason):
        pass


def test_unscoped_reads_lifts_strict_mode_only_inside_the_block(world):
    with strict_scope():
        with unscoped_reads("test: a framework's system read"):
            assert Customer.objects.exists()
        with pytest.raises(ScopeNotDecided):
            Customer.objects.exists()


def test_scoped_models_are_discovered_and_include_the_business_tables():
    labels = {m._meta.label for m in scoped_models()}
    expected = {
        "org.Company", "org.Project", "org.Department", "org.User", "org.RoleAssignment",
        "core.Event", "core.PersonalDataAccess", "core.Job",
        "customers.Customer", "customers.CustomerPhone", "customers.CustomerRelation",
        "inventory.Building", "inventory.Unit",
        "reception.PhoneCall", "reception.Visit", "reception.FollowUpTask",
        "reception.Opportunity", "reception.RiskFactor", "reception.WinReason",
        "reception.LossReason",
    }  # fmt: skip
    assert expected <= labels
    for model in apps.get_models():  # a model declaring a scope is read through one
        if getattr(model, "scope", None) is not None:
            assert model._meta.label in labels


@pytest.mark.parametrize("model", scoped_models(), ids=lambda m: m._meta.label)
def test_every_scoped_model_refuses_an_undecided_read(world, model):
    admin_user = world.users["admin"]
    with strict_scope():
        with pytest.raises(ScopeNotDecided):
            model.objects.exists()
        with pytest.raises(ScopeNotDecided):
            list(model._default_manager.all()[:1])
        assert model._default_manager.visible_to(admin_user).count() == (
            model._default_manager.unscoped("test: compare with everything").count()
        )


def test_a_model_form_checks_uniqueness_across_every_row_in_strict_mode(world):
    """ModelForm/full_clean validation is system work (ScopedModel); its choices are not."""
    from django.forms import modelform_factory

    from anju.org.models import Company, Project

    binhai = world.projects["binhai"]
    admin_user = world.users["admin"]
    form_class = modelform_factory(Project, fields=["company", "code", "name"])
    data = {"company": binhai.company_id, "code": binhai.code, "name": "again"}
    with strict_scope():
        form = form_class(data)
        form.fields["company"].queryset = Company.objects.visible_to(admin_user)
        assert not form.is_valid()
        assert form.errors.as_data()["__all__"][0].code == "unique_together"
        with pytest.raises(ScopeNotDecided):  # undecided choices are still refused
            form_class(data).is_valid()


# --- through real requests: pages, templates, streams, the API --------------------------------


@override_settings(ROOT_URLCONF=SCOPE_URLS)
def test_a_page_that_forgets_the_scope_is_a_server_error(world, client):
    client.force_login(world.users["consultant"])
    with pytest.raises(ScopeNotDecided):
        client.get("/scope-test/forgot/")
    client.raise_request_exception = False
    assert client.get("/scope-test/forgot/").status_code == 500
    decided = client.get("/scope-test/decided/")
    assert decided.status_code == 200
    assert decided.json()["count"] == Customer.objects.visible_to(world.users["consultant"]).count()
    assert not scope_is_strict()  # the request's strict mode ended with it


@override_settings(ROOT_URLCONF=SCOPE_URLS)
def test_a_template_that_reads_an_undecided_queryset_is_refused(world, client):
    client.force_login(world.users["consultant"])
    with pytest.raises(ScopeNotDecided):
        client.get("/scope-test/template/")


@override_settings(ROOT_URLCONF=SCOPE_URLS)
def test_a_streamed_export_stays_strict_after_the_view_returned(world, client):
    client.force_login(world.users["consultant"])
    response = client.get("/scope-test/stream-forgot/")
    with pytest.raises(ScopeNotDecided):
        b"".join(response.streaming_content)
    ok = client.get("/scope-test/stream-decided/")
    lines = b"".join(ok.streaming_content).split()
    assert len(lines) == Customer.objects.visible_to(world.users["consultant"]).count()


@override_settings(ROOT_URLCONF=SCOPE_URLS)
def test_an_api_handler_that_forgets_the_scope_is_a_server_error(world, client):
    client.force_login(world.users["consultant"])
    with pytest.raises(ScopeNotDecided):
        client.get("/scope-test/api/forgot")
    assert client.get("/scope-test/api/decided").status_code == 200


def test_logging_in_looks_the_user_up_as_declared_system_work(world, client):
    response = client.post("/login/", {"username": "consultant", "password": "anju2026"})
    assert response.status_code == 302
    assert client.get("/customers/").status_code == 200


# --- the admin --------------------------------------------------------------------------------


def test_every_admin_of_a_scoped_model_decides_its_scope():
    scoped = set(scoped_models())
    for model, model_admin in admin.site._registry.items():
        if model in scoped:
            assert isinstance(model_admin, ScopedAdminMixin), model._meta.label
            for inline in model_admin.inlines:
                if inline.model in scoped:
                    assert issubclass(inline, ScopedAdminMixin), inline


@pytest.mark.parametrize(
    "model",
    [m for m in scoped_models() if m in admin.site._registry],
    ids=lambda m: m._meta.label,
)
def test_admin_pages_of_scoped_models_open_in_strict_mode(world, client, model):
    """Changelist (with its list filters), add and change pages: all reads decided."""
    client.force_login(world.users["admin"])
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    assert client.get(base).status_code == 200
    assert client.get(f"{base}add/").status_code in (200, 403)
    row = model.objects.unscoped("test: one row to open").first()
    if row is not None:
        assert client.get(f"{base}{row.pk}/change/").status_code == 200


def test_admin_lists_only_what_a_scoped_staff_account_may_see(world, client):
    manager = world.users["manager"]
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])
    from django.contrib.auth.models import Permission

    manager.user_permissions.add(Permission.objects.get(codename="view_project"))
    client.force_login(manager)
    page = client.get("/admin/org/project/").content.decode()
    for code, project in world.projects.items():
        assert (f"/admin/org/project/{project.pk}/change/" in page) == (code == "binhai")


# --- the source and the system check -------------------------------------------------------------


def unscoped_calls_without_reason(source: str, filename="<src>") -> list[str]:
    """Every ``.unscoped(...)``/``unscoped_reads(...)`` not given a non-empty string literal."""
    bad = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name not in ("unscoped", "unscoped_reads"):
            continue
        args = node.args or [kw.value for kw in node.keywords if kw.arg == "reason"]
        literal = args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str)
        if not (literal and args[0].value.strip()):
            bad.append(f"{filename}:{node.lineno}")
    return bad


def test_the_source_scan_finds_a_reasonless_unscoped_call():
    assert unscoped_calls_without_reason("Customer.objects.unscoped().count()")
    assert unscoped_calls_without_reason("Customer.objects.unscoped('').count()")
    assert unscoped_calls_without_reason("Customer.objects.unscoped(why).count()")
    assert unscoped_calls_without_reason("with unscoped_reads():\n    pass")
    assert not unscoped_calls_without_reason('Customer.objects.unscoped("task").count()')


def test_every_unscoped_call_in_the_source_names_its_reason():
    bad = []
    for path in sorted(ANJU.rglob("*.py")):
        if "migrations" in path.parts or path.name in ("scope.py", Path(__file__).name):
            continue  # scope.py defines unscoped(reason); this file calls it wrongly on purpose
        bad += unscoped_calls_without_reason(path.read_text(), str(path.relative_to(ANJU)))
    assert not bad, f"unscoped() without a literal reason: {bad}"


def test_system_check_refuses_a_scoped_model_with_a_plain_manager(monkeypatch):
    from anju.org.models import Holding

    fake = type("Fake", (), {"scope": ScopeSpec(), "_meta": Holding._meta})
    fake._default_manager = Holding._default_manager  # plain Manager: reads need no decision
    monkeypatch.setattr(core_checks.apps, "get_models", lambda: [fake])
    errors = core_checks.scoped_models_refuse_undecided_reads()
    assert [e.id for e in errors] == ["anju.E002", "anju.E003"]
    fake._default_manager = Customer._default_manager  # scoped reads, plain validation
    errors = core_checks.scoped_models_refuse_undecided_reads()
    assert [e.id for e in errors] == ["anju.E003"]
    monkeypatch.undo()
    assert core_checks.scoped_models_refuse_undecided_reads() == []


# --- every page of the product, opened by several roles, reads only through decisions ----------

CRAWL_USERS = ["admin", "manager", "consultant", "callcentre"]
PARAM_VALUES = {  # a URL parameter → the model whose rows fill it, or fixed values
    "customer_id": "customers.Customer",
    "relation_id": "customers.CustomerRelation",
    "building_id": "inventory.Building",
    "unit_id": "inventory.Unit",
    "call_id": "reception.PhoneCall",
    "visit_id": "reception.Visit",
    "task_id": "reception.FollowUpTask",
    "opportunity_id": "reception.Opportunity",
    "job_id": "core.Job",
    "event_id": "membership.ClubEvent",
    "registration_id": "membership.EventRegistration",
    "request_id": "customers.ErasureRequest",
    "approval_id": "approvals.ApprovalRequest",
    "company_id": "org.Company",
    "entry_id": "membership.PointsEntry",
    "gift_id": "membership.Gift",
    "redemption_id": "membership.Redemption",
    "message_id": "messaging.Message",
    "template_id": "messaging.MessageTemplate",
    "campaign_id": "messaging.Campaign",
    "contract_id": "deals.Contract",
    "payment_id": "deals.Payment",
    "ticket_id": "deals.QueueTicket",
    "subscription_id": "deals.Subscription",
    "launch_id": "deals.LaunchDay",
    "project_id": "org.Project",
    "kind": ["agreement", "queue_receipt", "payment_receipt"],
    "change_id": "deals.SalesChange",
    "service_ticket_id": "service.Ticket",
    "service_case_id": "service.ServiceCase",
    "attachment_token": ["no-such-photo"],
    "token_id": [1],
    "field": ["phone", "id_number"],
    "what": ["calls", "visits", "opportunities", "tasks", "queue", "subscriptions"],
    "fmt": ["csv", "xlsx"],
    "notification_id": [1],  # one's own notices only (not scoped: notifications_views)
    "company_code": ["sz", "zh"],  # the public form (issue 13 item 6)
    "survey_id": "surveys.Survey",  # SUR-*
    "response_id": "surveys.SurveyResponse",
    "token": ["no-such-survey-link-token-000000000"],
    "touchpoint": ["sales", "no-such-touchpoint"],
    # delivery and repairs (SVC-7)
    "batch_id": "service.DeliveryBatch",
    "appointment_id": "service.DeliveryAppointment",
    "inspection_id": "service.Inspection",
    "photo_id": "service.DefectPhoto",
    "repair_id": "service.RepairOrder",
}
# healthz: login-free and reads no scoped model; it answers 503 here (no scheduler runs in
# tests), which core/tests/test_health.py checks on purpose.
SKIP_PREFIXES = ("admin/", "api/", "i18n/", "logout/", "login/", "healthz")


def _page_routes(patterns, prefix=""):
    from django.urls import URLPattern, URLResolver

    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _page_routes(p.url_patterns, route)
        elif isinstance(p, URLPattern) and not route.startswith(SKIP_PREFIXES):
            yield route


def _fill(route, world):
    """Every way to fill the route's parameters: one row per company for a model."""
    import itertools
    import re

    names = re.findall(r"<(?:\w+:)?(\w+)>", route)
    options = []
    for name in names:
        spec = PARAM_VALUES[name]
        if spec == "org.Company":
            spec = [company.pk for company in world.companies.values()]
        elif isinstance(spec, str):
            model = apps.get_model(spec)
            spec = [
                row.pk
                for company in world.companies.values()
                if (row := model.objects.filter(company=company).order_by("pk").first())
            ] or [1]
        options.append(spec)
    for values in itertools.product(*options):
        url = route
        for value in values:
            url = re.sub(r"<(?:\w+:)?\w+>", str(value), url, count=1)
        yield "/" + url


def test_every_page_reads_scoped_models_only_through_a_decision(world, client):
    """GET every page of the URL conf (ids in and out of scope) as several roles: a read
    without a scope decision raises ScopeNotDecided here, whatever the status would be."""
    from django.urls import get_resolver

    urls = [
        url for route in _page_routes(get_resolver().url_patterns) for url in _fill(route, world)
    ]
    assert len(urls) > 40
    for username in CRAWL_USERS:
        client.force_login(world.users[username])
        for url in urls:
            response = client.get(url)
            assert response.status_code < 500, (username, url)
            if getattr(response, "streaming", False):
                b"".join(response.streaming_content)


def test_admin_forms_validate_uniqueness_in_strict_mode(world, client):
    """Creating a staff account in the admin: the login-name check reads every row, as
    declared system work; a taken name is a form error, not ScopeNotDecided."""
    from anju.org.models import User

    client.force_login(world.users["admin"])
    taken = {
        "username": "consultant",
        "password1": "x-Long-pass-93",
        "password2": "x-Long-pass-93",
        "usable_password": "true",
        "role_assignments-TOTAL_FORMS": "0",
        "role_assignments-INITIAL_FORMS": "0",
    }
    refused = client.post("/admin/org/user/add/", taken)
    assert refused.status_code == 200
    assert "username" in refused.context["adminform"].form.errors
    fresh = dict(taken, username="new_staff_scope")
    response = client.post("/admin/org/user/add/", fresh)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert User.objects.filter(username="new_staff_scope").exists()
