"""Who may open what: the declarations the authorisation matrix checks (SEC-1, issue 7 item 7).

``core/tests/test_authz_matrix.py`` walks every URL pattern and every operation of the
OpenAPI document, logs in as every demo role and knocks with an object the role may see and
one it may not. What it expects comes only from here and from the role table in
``core/roles.py``:

- ``PARAMS``: what each URL kwarg / path or required query parameter identifies (a model,
  read through ``visible_to``) or a fixed sample value. A new parameter name must be declared.
- ``REQUIRES``: per page (URL name) and per API operation ("METHOD /path"), the rule — which
  permissions of ``core.roles`` it needs, whether the record's owner may anyway, whether it
  only answers POST. Every page and operation must be declared; ``Rule()`` means "any
  logged-in user who may see the object".

Adding a page or an endpoint: add one line to ``REQUIRES`` (and ``PARAMS`` for a new
parameter); the matrix then covers it for every role, in and out of scope.
"""

from dataclasses import dataclass, field

from .roles import Perm, Role


@dataclass(frozen=True)
class Obj:
    """A parameter naming a row of ``model`` ("app.Model").

    ``filter``: which rows fit this URL (e.g. import jobs only). ``attr``: pass this attribute
    instead of the pk (e.g. the phone for a lookup). ``owner``: for a model without a data
    scope, the field naming the only user who may see the row. ``parent``: (other parameter,
    field) — this row belongs to the object the other parameter names, e.g. a relation of
    the customer in the same URL; the other parameter then follows this one. ``also``: more
    query parameters taken from the row ({"company_id": "company_id"}).
    """

    model: str
    filter: dict = field(default_factory=dict)
    attr: str = "pk"
    owner: str | None = None
    parent: tuple[str, str] | None = None
    also: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Value:
    """A parameter that is not a record: a fixed sample value."""

    value: str


@dataclass(frozen=True)
class Rule:
    """What an endpoint needs beyond seeing its object.

    ``perms``: all of these (``core.roles.Perm``), where the object is. ``or_roles``: or hold
    one of these roles. ``or_own_scope``: or see only one's own records (consultants may
    export their own list). ``or_owner``: or be the user this field of the object names.
    ``only_owner``: and be the user this field names (a data package: its requester only).
    ``not_owner``: and never be the user this field names (four eyes: not the requester).
    ``shown_to``: the page or its object exists only for holders of one of these
    permissions; everyone else gets 404, as for a missing page (the PIPL pages).
    ``refused``: the status for a role that may see the object but not do this (403; 404
    where the refusal must not even confirm the object, e.g. an import's file).
    ``post_only``: the URL answers only POST (GET is 405). ``public``: no login needed.
    ``may_answer``: statuses of 500 and above that a public URL gives on purpose (the health
    check's 503 when a dependency fails).
    ``body``: a valid body for a write (JSON for the API, form fields for a page), so the
    permission check itself is reached rather than the input check. ``get_status``: what a
    POST-only URL answers to GET (405, or 302 where it sends the user back to the record).
    """

    perms: tuple = ()
    or_roles: tuple = ()
    or_own_scope: bool = False
    or_owner: str | None = None
    only_owner: str | None = None
    not_owner: str | None = None
    shown_to: tuple = ()
    refused: int = 403
    post_only: bool = False
    public: bool = False
    may_answer: tuple = ()
    body: dict | None = None
    get_status: int = 405
    note: str = ""


OPEN = Rule()
PUBLIC = Rule(public=True)
POST = Rule(post_only=True)
EXPORT = Rule(perms=(Perm.EXPORT_DATA,), or_own_scope=True)
REPORTS = Rule(perms=(Perm.VIEW_REPORTS,))
ADMIN = Rule(perms=(Perm.MANAGE_ORG,))
WEBHOOKS = ADMIN  # a company administrator manages its subscriptions
HANDLER = {"perms": (Perm.VIEW_REPORTS,)}  # the record's consultant, or a manager there
IMPORT_FILE = {
    "perms": (Perm.UNMASK_PERSONAL_DATA, Perm.REASSIGN_CUSTOMERS),
    "or_owner": "created_by_id",
    "refused": 404,
    "note": "the uploaded file holds full phone numbers",
}

REVEAL = {  # customers.services.may_reveal, the one rule (issue 9 item 1)
    "perms": (Perm.UNMASK_PERSONAL_DATA,),
    "or_owner": "owner_id",
    "note": "the phone also for the holder of an open follow-up task about the customer",
}
PRIVACY = (Perm.PERSONAL_DATA_REQUESTS, Perm.REQUEST_ERASURE)  # privacy_selectors: else 404
DECIDE = {  # approve / reject an erasure request: a second person who handles PIPL requests
    "perms": (Perm.PERSONAL_DATA_REQUESTS,),
    "shown_to": PRIVACY,
    "note": "privacy_services._require_decider",
}
PACKAGE = {  # privacy_services.data_package_open: the requester only, others 404
    "perms": (Perm.PERSONAL_DATA_REQUESTS,),
    "only_owner": "created_by_id",
    "refused": 404,
    "note": "a data package holds everything about a person",
}
PACKAGE_JOB = Obj("core.Job", filter={"kind": "customer_data_package"})
IMPORT_JOB = Obj("core.Job", filter={"kind": "customer_import"})
EXPORT_JOB = Obj("core.Job", filter={"kind": "export"})
EXPORT_FILE = {  # core.export_jobs.export_open: the requester only, others 404
    "only_owner": "created_by_id",
    "refused": 404,
    "note": "the file is the requester's, masked for him",
}

PARAMS = {
    "company_id": Obj("org.Company"),
    "project_id": Obj("org.Project"),
    "building_id": Obj("inventory.Building"),
    "unit_id": Obj("inventory.Unit"),
    "customer_id": Obj("customers.Customer", filter={"merged_into__isnull": True}),
    "relation_id": Obj("customers.CustomerRelation", parent=("customer_id", "customer_id")),
    "phone": Obj(
        "customers.Customer",
        filter={"merged_into__isnull": True},
        attr="phone",
        also={"company_id": "company_id"},  # users of the whole group name the company
    ),
    "call_id": Obj("reception.PhoneCall"),
    "visit_id": Obj("reception.Visit"),
    "task_id": Obj("reception.FollowUpTask", filter={"status": "open"}),
    "opportunity_id": Obj("reception.Opportunity", filter={"stage__in": ["contact", "needs"]}),
    "job_id": Obj("core.Job"),
    "token_id": Obj("core.ApiToken", filter={"revoked_at__isnull": True}, owner="user_id"),
    "request_id": Obj("customers.ErasureRequest"),
    "staff_id": Obj("org.User"),
    "assignment_id": Obj("org.RoleAssignment", parent=("staff_id", "user_id")),
    "subscription_id": Obj("webhooks.WebhookSubscription"),
    "delivery_id": Obj("webhooks.WebhookDelivery", parent=("subscription_id", "subscription_id")),
    "fmt": Value("csv"),
    "field": Value("phone"),
    "what": Value("calls"),
}

# Parameters that mean something narrower on some URLs.
PARAMS_FOR = {
    "customer_import:detail": {"job_id": Obj("core.Job", filter={"kind": "customer_import"})},
    "customer_import:start": {"job_id": Obj("core.Job", filter={"kind": "customer_import"})},
    "customer_import:errors": {"job_id": Obj("core.Job", filter={"kind": "customer_import"})},
    "privacy:package_download": {"job_id": PACKAGE_JOB},
    "GET /data-packages/{job_id}": {"job_id": PACKAGE_JOB},
    "GET /data-packages/{job_id}/download": {"job_id": PACKAGE_JOB},
    "GET /customer-imports/{job_id}": {"job_id": IMPORT_JOB},
    "POST /customer-imports/{job_id}/start": {"job_id": IMPORT_JOB},
    "GET /customer-imports/{job_id}/errors": {"job_id": IMPORT_JOB},
    "GET /customer-imports/{job_id}/errors.csv": {"job_id": IMPORT_JOB},
    "GET /exports/{job_id}/download": {"job_id": EXPORT_JOB},
}

REQUIRES = {
    # --- project level, kernel ---------------------------------------------------------------
    "home": OPEN,
    "login": PUBLIC,
    "logout": PUBLIC,
    "set_language": PUBLIC,
    "healthz": Rule(public=True, may_answer=(503,), note="health check: 503 when a check fails"),
    "profile": OPEN,
    "password_change": OPEN,
    "token_revoke": POST,
    "jobs:list": OPEN,
    "jobs:detail": OPEN,
    "jobs:progress": OPEN,
    "access_log:list": Rule(perms=(Perm.VIEW_ACCESS_LOG,)),
    "access_log:export": Rule(perms=(Perm.VIEW_ACCESS_LOG, Perm.EXPORT_DATA)),
    "api:openapi-json": PUBLIC,
    "api:openapi-view": PUBLIC,
    "api:api-root": PUBLIC,
    "api/docs": PUBLIC,
    # No login: Prometheus scrapes it. Answered only to allowed networks or the bearer token,
    # 404 to anyone else (core/metrics.py); the test client's 127.0.0.1 is allowed.
    "metrics": PUBLIC,
    # --- inventory ----------------------------------------------------------------------------
    "inventory:index": OPEN,
    "inventory:board": OPEN,
    "inventory:unit": OPEN,
    # --- customers ----------------------------------------------------------------------------
    "customers:list": OPEN,
    "customers:create": OPEN,
    "customers:reassign_all": Rule(perms=(Perm.REASSIGN_CUSTOMERS,)),
    "customers:data_quality": OPEN,
    "customers:sources": REPORTS,
    "customers:detail": OPEN,
    "customers:edit": OPEN,
    "customers:reveal": Rule(**REVEAL, post_only=True),
    "customers:claim": Rule(post_only=True, note="consultants only; checked by the service"),
    "customers:hand_over": Rule(perms=(Perm.REASSIGN_CUSTOMERS,), post_only=True),
    "customers:set_status": POST,
    "customers:phone_add": POST,
    "customers:merge": Rule(perms=(Perm.REASSIGN_CUSTOMERS,)),
    "customers:relation_add": POST,
    "customers:note_add": Rule(post_only=True, body={"text": "matrix"}),
    "customers:relation_remove": POST,
    "customer_import:upload": Rule(
        perms=(Perm.REASSIGN_CUSTOMERS,), or_roles=(Role.SALES_CONSULTANT, Role.KEY_ACCOUNT_REP)
    ),
    "customer_import:template": OPEN,
    "customer_import:template_xlsx": OPEN,
    "customer_import:export": EXPORT,
    "customer_import:detail": Rule(**IMPORT_FILE),
    "customer_import:start": Rule(**IMPORT_FILE, post_only=True),
    "customer_import:errors": Rule(**IMPORT_FILE),
    # --- PIPL (customers/privacy_views.py) -----------------------------------------------------
    "privacy:requests": Rule(shown_to=PRIVACY, refused=404),
    "privacy:request_new": Rule(perms=(Perm.REQUEST_ERASURE,), refused=404),
    "privacy:package_start": Rule(perms=(Perm.PERSONAL_DATA_REQUESTS,), post_only=True),
    "privacy:approve": Rule(
        **DECIDE, not_owner="requested_by_id", post_only=True, body={"note": "matrix"}
    ),
    "privacy:reject": Rule(**DECIDE, post_only=True, body={"note": "matrix"}),
    "privacy:package_download": Rule(**PACKAGE),
    "privacy:retention": Rule(
        perms=(Perm.PERSONAL_DATA_REQUESTS,),
        post_only=True,
        body={"is_enabled": "on", "lead_retention_days": "1095"},
    ),
    # --- reception ----------------------------------------------------------------------------
    "reception:index": OPEN,
    "reception:calls": OPEN,
    "reception:call_new": Rule(perms=(Perm.LOG_CALLS,)),
    "reception:call_detail": OPEN,
    "reception:visits": OPEN,
    "reception:visit_new": Rule(perms=(Perm.LOG_VISITS,)),
    "reception:visit_detail": OPEN,
    "reception:desk": OPEN,
    "reception:risk_factors": OPEN,
    "reception:tasks": OPEN,
    "reception:team_tasks": REPORTS,
    "reception:task_detail": OPEN,
    "reception:task_complete": Rule(**HANDLER, or_owner="assignee_id", post_only=True),
    "reception:task_cancel": Rule(
        **HANDLER, or_owner="assignee_id", post_only=True, body={"reason": "matrix"}
    ),
    "reception:opportunities": OPEN,
    "reception:opportunity_new": OPEN,
    "reception:win_loss": OPEN,
    "reception:reasons": REPORTS,
    "reception:opportunity_detail": OPEN,
    "reception:opportunity_stage": Rule(
        **HANDLER, or_owner="consultant_id", post_only=True, body={"stage": "proposal"}
    ),
    "reception:opportunity_close": Rule(
        **HANDLER, or_owner="consultant_id", post_only=True, get_status=302
    ),
    "reception:metrics": REPORTS,
    "reception:pipeline": OPEN,
    "reception:customer_task_add": Rule(
        post_only=True, body={"title": "matrix", "due_date": "2099-01-01", "kind": "call"}
    ),
    "reception:pipeline_move": Rule(
        **HANDLER, or_owner="consultant_id", post_only=True, body={"stage": "proposal"}
    ),
    "reception:followup_rules": REPORTS,
    "reception:export": EXPORT,
    # --- API (paths below /api/v1) -------------------------------------------------------------
    "GET /companies": OPEN,
    "GET /companies/{company_id}": OPEN,
    "GET /projects": OPEN,
    "GET /source-channels": OPEN,
    "GET /projects/{project_id}": OPEN,
    "GET /buildings": OPEN,
    "GET /buildings/{building_id}/board": OPEN,
    "GET /units": OPEN,
    "GET /units/{unit_id}": OPEN,
    "POST /units/{unit_id}/price": Rule(
        perms=(Perm.MANAGE_INVENTORY,), body={"list_price": "1000000", "reason": "matrix"}
    ),
    "POST /customers": OPEN,
    "GET /customers": OPEN,
    "POST /customers/search": Rule(note="the phone in the body; scope as GET /customers"),
    "POST /customers/lookup": Rule(note="company_id in the body: get_visible_or_404"),
    "GET /customers/{customer_id}": OPEN,
    "PATCH /customers/{customer_id}": Rule(body={}),
    "POST /customers/{customer_id}/claim": Rule(note="consultants only; checked by the service"),
    "POST /customers/{customer_id}/reveal/{field}": Rule(**REVEAL),
    "POST /calls": Rule(perms=(Perm.LOG_CALLS,), note="reception.services: require_perm"),
    "GET /calls": OPEN,
    "GET /calls/{call_id}": OPEN,
    "POST /visits": Rule(perms=(Perm.LOG_VISITS,), note="reception.services: require_perm"),
    "GET /visits": OPEN,
    "GET /visits/{visit_id}": OPEN,
    "GET /risk-factors": OPEN,
    "GET /tasks": OPEN,
    "GET /tasks/{task_id}": OPEN,
    "POST /tasks/{task_id}/complete": Rule(
        **HANDLER, or_owner="assignee_id", body={"outcome": "matrix"}
    ),
    "POST /tasks/{task_id}/cancel": Rule(**HANDLER, or_owner="assignee_id", body={"reason": "x"}),
    "POST /opportunities": OPEN,
    "GET /opportunities": OPEN,
    "GET /opportunities/{opportunity_id}": OPEN,
    "POST /opportunities/{opportunity_id}/stage": Rule(
        **HANDLER, or_owner="consultant_id", body={"stage": "proposal"}
    ),
    "POST /opportunities/{opportunity_id}/close": Rule(
        **HANDLER, or_owner="consultant_id", body={"won": False, "reason_id": 1}
    ),
    "GET /opportunity-reasons": OPEN,
    "GET /access-log": Rule(perms=(Perm.VIEW_ACCESS_LOG,)),
    "GET /customers/{customer_id}/timeline": OPEN,
    # staff and roles (org/staff_api.py, issue 8 item 3): administrators
    "GET /staff": ADMIN,
    "POST /staff": ADMIN,
    "GET /staff/{staff_id}": ADMIN,
    "PATCH /staff/{staff_id}": Rule(perms=(Perm.MANAGE_ORG,), body={}),
    "POST /staff/{staff_id}/deactivate": ADMIN,
    "POST /staff/{staff_id}/reactivate": ADMIN,
    "GET /staff/{staff_id}/roles": ADMIN,
    "POST /staff/{staff_id}/roles": Rule(
        perms=(Perm.MANAGE_ORG,), body={"role": "service_agent", "company_id": 1}
    ),
    "DELETE /staff/{staff_id}/roles/{assignment_id}": ADMIN,
    "GET /roles": Rule(note="the role catalogue of core/roles.py, for every signed-in user"),
    # PIPL (customers/privacy_api.py)
    "POST /customers/{customer_id}/data-package": Rule(perms=(Perm.PERSONAL_DATA_REQUESTS,)),
    "GET /data-packages/{job_id}": Rule(only_owner="created_by_id", refused=404),
    "GET /data-packages/{job_id}/download": Rule(**PACKAGE),
    "POST /customers/{customer_id}/erasure-requests": Rule(
        perms=(Perm.REQUEST_ERASURE,), body={"reason": "matrix"}
    ),
    "GET /erasure-requests": Rule(note="an empty list for roles without PRIVACY permissions"),
    "GET /erasure-requests/{request_id}": Rule(shown_to=PRIVACY),
    "POST /erasure-requests/{request_id}/approve": Rule(
        **DECIDE, not_owner="requested_by_id", body={"note": "matrix"}
    ),
    "POST /erasure-requests/{request_id}/reject": Rule(**DECIDE, body={"note": "matrix"}),
    # webhooks (issue 8 item 4, INT-2): a company's administrators
    "GET /webhooks/verbs": OPEN,
    "GET /webhooks/subscriptions": WEBHOOKS,
    "POST /webhooks/subscriptions": WEBHOOKS,
    "GET /webhooks/subscriptions/{subscription_id}": WEBHOOKS,
    "PATCH /webhooks/subscriptions/{subscription_id}": Rule(
        perms=(Perm.MANAGE_ORG,), body={"name": "matrix"}
    ),
    "DELETE /webhooks/subscriptions/{subscription_id}": WEBHOOKS,
    "POST /webhooks/subscriptions/{subscription_id}/rotate-secret": WEBHOOKS,
    "POST /webhooks/subscriptions/{subscription_id}/ping": WEBHOOKS,
    "GET /webhooks/subscriptions/{subscription_id}/deliveries": WEBHOOKS,
    "POST /webhooks/subscriptions/{subscription_id}/deliveries/{delivery_id}/redeliver": WEBHOOKS,
    # jobs, import and exports (issue 8 item 3): as the job, import and export pages
    "GET /jobs": OPEN,
    "GET /jobs/{job_id}": Rule(note="job_for, as the job page"),
    "POST /customer-imports": Rule(
        perms=(Perm.REASSIGN_CUSTOMERS,), or_roles=(Role.SALES_CONSULTANT, Role.KEY_ACCOUNT_REP)
    ),
    "GET /customer-imports/{job_id}": Rule(**IMPORT_FILE),
    "POST /customer-imports/{job_id}/start": Rule(**IMPORT_FILE),
    "GET /customer-imports/{job_id}/errors": Rule(**IMPORT_FILE),
    "GET /customer-imports/{job_id}/errors.csv": Rule(**IMPORT_FILE),
    "POST /exports": Rule(
        perms=(Perm.EXPORT_DATA,), or_own_scope=True, body={"kind": "customers", "format": "csv"}
    ),
    "GET /exports/{job_id}/download": Rule(**EXPORT_FILE),
}
