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
EVENTS = Rule(perms=(Perm.MANAGE_EVENTS,))  # running club events (MEM-4)
WEBHOOKS = ADMIN  # a company administrator manages its subscriptions
MESSAGING = Rule(perms=(Perm.RUN_CAMPAIGNS,))  # messaging staff (every such role runs campaigns)
TEMPLATES = Rule(perms=(Perm.MANAGE_TEMPLATES,))
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
RUN_CAMPAIGN = Rule(perms=(Perm.RUN_CAMPAIGNS,))
APPROVE_CAMPAIGN = {  # campaign_services.campaign_decide: four eyes
    "perms": (Perm.APPROVE_CAMPAIGN,),
    "not_owner": "prepared_by_id",
    "note": "nor whoever generated the list (generated_by)",
}
# Approvals (issue 12 item 6): deciding needs the request's *kind's* permission where the
# request is; the matrix files requests of its own kind, "matrix.approval", which needs
# APPROVE_DISCOUNT (test_authz_matrix._approval_rows). Never the requester (four eyes).
MATRIX_APPROVAL_KIND = "matrix.approval"
APPROVAL_DECIDE = {
    "perms": (Perm.APPROVE_DISCOUNT,),
    "not_owner": "requested_by_id",
    "note": "approvals.services._require_decider: the kind's perm there, not the requester",
}
APPROVAL_WITHDRAW = {"only_owner": "requested_by_id", "note": "approval_withdraw: requester only"}
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
    "event_id": Obj("membership.ClubEvent"),
    "registration_id": Obj("membership.EventRegistration", parent=("event_id", "event_id")),
    "token_id": Obj("core.ApiToken", filter={"revoked_at__isnull": True}, owner="user_id"),
    "request_id": Obj("customers.ErasureRequest"),
    "staff_id": Obj("org.User"),
    "assignment_id": Obj("org.RoleAssignment", parent=("staff_id", "user_id")),
    "webhook_id": Obj("webhooks.WebhookSubscription"),
    "delivery_id": Obj("webhooks.WebhookDelivery", parent=("webhook_id", "subscription_id")),
    # deals (issue 12)
    "subscription_id": Obj("deals.Subscription"),
    "ticket_id": Obj("deals.QueueTicket"),
    "service_ticket_id": Obj("service.Ticket"),
    # service desk pages (svcpages): a group case; a ticket's photo, named by its token
    "service_case_id": Obj("service.ServiceCase"),
    "attachment_token": Obj("service.TicketAttachment", attr="token"),
    "launch_id": Obj("deals.LaunchDay"),
    "approval_id": Obj("approvals.ApprovalRequest", filter={"kind": MATRIX_APPROVAL_KIND}),
    "entry_id": Obj("membership.PointsEntry"),
    "gift_id": Obj("membership.Gift"),
    "redemption_id": Obj("membership.Redemption", filter={"returned_at__isnull": True}),
    "message_id": Obj("messaging.Message"),
    "template_id": Obj("messaging.MessageTemplate"),
    "campaign_id": Obj("messaging.Campaign"),
    "contract_id": Obj("deals.Contract"),
    "payment_id": Obj("deals.Payment"),
    "fmt": Value("csv"),
    "company_code": Value("sz"),  # the public form's /s/<company code>/ (issue 13 item 6)
    "survey_id": Obj("surveys.Survey"),
    "response_id": Obj("surveys.SurveyResponse", filter={"status": "invited"}),
    "token": Value("not-a-survey-link-token-0000000000"),  # a survey link (SUR-2): 404
    "touchpoint": Value("sales"),  # a questionnaire to revise (SUR-1): group-wide, unscoped
    "field": Value("phone"),
    "kind": Value("agreement"),
    "what": Value("calls"),
}

# A deal's subscription (issue 12) in a given state: signing needs a subscribed deal;
# payments a subscribed or signed one.
SIGNABLE_DEAL = Obj("deals.Subscription", filter={"status": "subscribed"})
PAYABLE_DEAL = Obj("deals.Subscription", filter={"status__in": ["subscribed", "signed"]})

# Parameters that mean something narrower on some URLs.
# Sales changes (SUB-5): ``subscription_id`` names a deal here (elsewhere a webhook
# subscription); ``change_id`` a sales change (in PARAMS once the demo world has some).
_DEAL = Obj("deals.Subscription", filter={"status__in": ["subscribed", "signed"]})
_CHANGE = Obj("deals.SalesChange")

PARAMS_FOR = {
    "deals:export": {"what": Value("subscriptions")},
    "deals:contract_sign": {"subscription_id": SIGNABLE_DEAL},
    "deals:payment_record": {"subscription_id": PAYABLE_DEAL},
    "POST /subscriptions/{subscription_id}/contract": {"subscription_id": SIGNABLE_DEAL},
    "POST /subscriptions/{subscription_id}/payments": {"subscription_id": PAYABLE_DEAL},
    "deals:change_request": {"subscription_id": _DEAL},
    "deals:change_detail": {"change_id": _CHANGE},
    "POST /subscriptions/{subscription_id}/changes": {"subscription_id": _DEAL},
    "GET /sales-changes/{change_id}": {"change_id": _CHANGE},
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
    "messaging:message_retry": {
        "message_id": Obj("messaging.Message", filter={"status": "failed"})
    },
    "POST /messages/{message_id}/retry": {
        "message_id": Obj("messaging.Message", filter={"status": "failed"})
    },
    # a staff member's own notice (issue 13 item 7): nobody else's, whatever the role
    "notifications:open": {"notification_id": Obj("core.Notification", owner="user_id")},
    # The demo has no uncertain message: a failed one shows the refusals (403 before 422).
    "messaging:message_mark_sent": {
        "message_id": Obj("messaging.Message", filter={"status": "failed"})
    },
    "POST /messages/{message_id}/mark-sent": {
        "message_id": Obj("messaging.Message", filter={"status": "failed"})
    },
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
    # --- the customer club (issue 11, MEM-1 … MEM-3) -------------------------------------------
    "membership:members": OPEN,
    "membership:member": OPEN,
    "membership:join": Rule(perms=(Perm.REDEEM_POINTS,), post_only=True),
    "membership:redeem_gift": Rule(perms=(Perm.REDEEM_POINTS,), post_only=True),
    "membership:redeem_offset": Rule(perms=(Perm.REDEEM_POINTS,), post_only=True),
    "membership:adjust": Rule(perms=(Perm.MANAGE_MEMBERSHIP,), post_only=True),
    "membership:tier_request": Rule(perms=(Perm.REDEEM_POINTS,), post_only=True),
    "membership:entry_reverse": Rule(
        perms=(Perm.MANAGE_MEMBERSHIP,), post_only=True, body={"reason": "matrix"}
    ),
    "membership:visit_join": Rule(perms=(Perm.REDEEM_POINTS,), post_only=True),
    "membership:redemption_return": Rule(
        perms=(Perm.MANAGE_MEMBERSHIP,), post_only=True, body={"reason": "matrix"}
    ),
    "membership:settings": Rule(
        perms=(Perm.MANAGE_MEMBERSHIP,), note="changes need MANAGE_MEMBERSHIP group-wide"
    ),
    "membership:gifts": OPEN,
    "membership:gift_new": Rule(perms=(Perm.MANAGE_MEMBERSHIP,), post_only=True),
    "membership:gift_edit": Rule(perms=(Perm.MANAGE_MEMBERSHIP,), post_only=True),
    # --- approvals (issue 12 item 6) -----------------------------------------------------------
    "approvals:queue": Rule(note="what the user may decide; an empty list for the others"),
    "approvals:mine": Rule(note="the user's own requests"),
    "approvals:detail": OPEN,
    "approvals:decide": Rule(
        **APPROVAL_DECIDE, post_only=True, body={"decision": "approve", "comment": "matrix"}
    ),
    "approvals:withdraw": Rule(**APPROVAL_WITHDRAW, post_only=True),
    # --- deals: signing and payments (issue 12, SUB-4) ----------------------------------------
    "deals:contract_sign": Rule(perms=(Perm.SELL_UNITS,)),
    "deals:payment_record": Rule(
        perms=(Perm.RECORD_PAYMENTS,),
        post_only=True,
        body={"direction": "payment", "amount": "1", "method": "cash", "paid_on": "2026-01-01"},
    ),
    "deals:contract_detail": OPEN,
    "deals:overdue": REPORTS,
    "deals:overdue_export": Rule(perms=(Perm.VIEW_REPORTS, Perm.EXPORT_DATA)),
    "deals:reminder_settings": Rule(perms=(Perm.MANAGE_PRICING,)),
    # --- sales changes (SUB-5): asked by the sales team, decided on the approvals pages --------
    "deals:change_request": Rule(perms=(Perm.SELL_UNITS,)),
    "deals:change_list": OPEN,
    "deals:change_export": EXPORT,
    "deals:change_detail": OPEN,
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
    # --- club events (MEM-4, issue 11 item 3) ---------------------------------------------------
    "club_events:list": OPEN,
    "club_events:new": EVENTS,
    "club_events:detail": OPEN,
    "club_events:find": POST,
    "club_events:rsvp": Rule(post_only=True, note="the event's staff or the customer's consultant"),
    "club_events:invite": Rule(perms=(Perm.MANAGE_EVENTS,), post_only=True),
    "club_events:remind": Rule(perms=(Perm.MANAGE_EVENTS,), post_only=True),
    "club_events:check_in": EVENTS,
    "club_events:check_in_search": Rule(perms=(Perm.MANAGE_EVENTS,), post_only=True),
    "club_events:check_in_tap": Rule(perms=(Perm.MANAGE_EVENTS,), post_only=True),
    "club_events:cancel": Rule(
        perms=(Perm.MANAGE_EVENTS,), or_owner="consultant_id", post_only=True
    ),
    "club_events:feedback": EVENTS,
    "club_events:edit": EVENTS,
    "club_events:call_off": Rule(perms=(Perm.MANAGE_EVENTS,), post_only=True),
    "club_events:uninvite": Rule(perms=(Perm.MANAGE_EVENTS,), post_only=True),
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
    # --- messaging (issue 11: MSG-1, MSG-3, MSG-5) ----------------------------------------------
    "messaging:index": OPEN,
    "messaging:outbox": OPEN,
    "messaging:retry_failed": Rule(perms=(Perm.RUN_CAMPAIGNS,), post_only=True),
    "messaging:message_detail": OPEN,
    "messaging:message_retry": Rule(perms=(Perm.RUN_CAMPAIGNS,), post_only=True),
    "messaging:message_mark_sent": Rule(perms=(Perm.RUN_CAMPAIGNS,), post_only=True),
    "messaging:templates": MESSAGING,
    "messaging:template_new": TEMPLATES,
    "messaging:template_edit": TEMPLATES,
    "messaging:template_preview": Rule(
        perms=(Perm.MANAGE_TEMPLATES,), post_only=True, body={"body": "{称呼}您好"}
    ),
    "messaging:consent": MESSAGING,
    "messaging:settings": TEMPLATES,
    "messaging:care": TEMPLATES,  # MSG-4 scheduled care
    "messaging:dev_outbox": MESSAGING,
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
    # club events (membership/events_api.py, MEM-4)
    "GET /events": OPEN,
    "POST /events": EVENTS,
    "GET /events/{event_id}": OPEN,
    "GET /events/{event_id}/registrations": OPEN,
    "POST /events/{event_id}/invite": EVENTS,
    "PATCH /events/{event_id}": Rule(perms=(Perm.MANAGE_EVENTS,), body={}),
    "POST /events/{event_id}/cancel": Rule(perms=(Perm.MANAGE_EVENTS,), body={"reason": "matrix"}),
    "POST /events/{event_id}/rsvp": Rule(note="the event's staff or the customer's consultant"),
    "POST /events/{event_id}/check-in": EVENTS,
    "POST /events/{event_id}/registrations/{registration_id}/cancel": Rule(
        perms=(Perm.MANAGE_EVENTS,), or_owner="consultant_id"
    ),
    "POST /events/{event_id}/registrations/{registration_id}/feedback": EVENTS,
    "GET /access-log": Rule(perms=(Perm.VIEW_ACCESS_LOG,)),
    "GET /customers/{customer_id}/timeline": OPEN,
    # deals: signing and payments (deals/api.py, SUB-4)
    "POST /subscriptions/{subscription_id}/contract": Rule(
        perms=(Perm.SELL_UNITS,), body={"payment_plan": "one_off"}
    ),
    "GET /contracts": OPEN,
    "GET /contracts/{contract_id}": OPEN,
    "POST /subscriptions/{subscription_id}/payments": Rule(
        perms=(Perm.RECORD_PAYMENTS,), body={"amount": "1", "method": "cash"}
    ),
    "GET /subscriptions/{subscription_id}/payments": OPEN,
    "GET /instalments/overdue": REPORTS,
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
    # the customer club (issue 11, MEM-1 … MEM-3)
    "GET /membership/tiers": OPEN,
    "GET /membership/members": OPEN,
    "GET /membership/gifts": OPEN,
    "GET /membership/customers/{customer_id}": OPEN,
    "POST /membership/customers/{customer_id}/join": Rule(perms=(Perm.REDEEM_POINTS,), body={}),
    "GET /membership/customers/{customer_id}/points": OPEN,
    "GET /membership/customers/{customer_id}/points/entries": OPEN,
    "GET /membership/customers/{customer_id}/tier-changes": OPEN,
    "POST /membership/customers/{customer_id}/redemptions": Rule(
        perms=(Perm.REDEEM_POINTS,), body={"gift_id": 1}
    ),
    "POST /membership/customers/{customer_id}/offsets": Rule(
        perms=(Perm.REDEEM_POINTS,), body={"points": 1, "reference": "matrix"}
    ),
    "POST /membership/customers/{customer_id}/adjustments": Rule(
        perms=(Perm.MANAGE_MEMBERSHIP,), body={"points": 1, "note": "matrix"}
    ),
    "POST /membership/customers/{customer_id}/tier-change-requests": Rule(
        perms=(Perm.REDEEM_POINTS,), body={"tier_id": 1, "reason": "matrix"}
    ),
    # deals pages (issue 12)
    "deals:queue": OPEN,
    # --- customer service (issue 13, SVC-*) ---
    "service:tickets": OPEN,
    "service:ticket_detail": OPEN,
    # --- the public web form (issue 13 item 6, helper "publicform"): no login, throttled per
    # address and phone, the phone proved by a code; ``company_code`` is PARAMS' sample.
    # --- satisfaction surveys (SUR-*) ---
    "surveys:list": Rule(perms=(Perm.TAKE_SURVEYS,)),
    "surveys:new": Rule(perms=(Perm.RUN_SURVEYS,)),
    "surveys:figures": REPORTS,
    "surveys:figures_export": Rule(perms=(Perm.VIEW_REPORTS, Perm.EXPORT_DATA)),
    "surveys:templates": Rule(perms=(Perm.TAKE_SURVEYS,)),
    "surveys:revise": Rule(perms=(Perm.MANAGE_QUESTIONNAIRES,)),
    "surveys:detail": Rule(perms=(Perm.TAKE_SURVEYS,)),
    "surveys:open": Rule(perms=(Perm.RUN_SURVEYS,), post_only=True, get_status=405),
    "surveys:close": Rule(perms=(Perm.RUN_SURVEYS,), post_only=True),
    "surveys:take": Rule(perms=(Perm.TAKE_SURVEYS,)),
    "surveys:outcome": Rule(
        perms=(Perm.TAKE_SURVEYS,), post_only=True, body={"outcome": "no_answer"}
    ),
    "survey_public:answer": PUBLIC,
    "service_public:form": PUBLIC,
    "service_public:code": PUBLIC,  # POST only: GET is 405
    "service_public:lookup": PUBLIC,
    # --- the service desk's pages (svcpages, issue 13, SVC-1 … SVC-5) ---
    # the desk (HANDLE_TICKETS where the ticket is) receives, judges, assigns, revisits,
    # closes and corrects; the responsible person works his own ticket whatever his role.
    "service:ticket_export": EXPORT,
    "service:ticket_new": Rule(perms=(Perm.HANDLE_TICKETS,)),
    "service:ticket_judge": Rule(
        perms=(Perm.HANDLE_TICKETS,), post_only=True, body={"judge-valid": "1"}
    ),
    "service:ticket_assign": Rule(perms=(Perm.HANDLE_TICKETS,), post_only=True),
    "service:ticket_cause": Rule(
        perms=(Perm.HANDLE_TICKETS,),
        or_owner="responsible_id",
        post_only=True,
        body={"cause-cause": "matrix"},
    ),
    "service:ticket_solution": Rule(
        perms=(Perm.HANDLE_TICKETS,),
        or_owner="responsible_id",
        post_only=True,
        body={"solution-kind": "explain", "solution-description": "matrix"},
    ),
    "service:ticket_implement": Rule(
        perms=(Perm.HANDLE_TICKETS,), or_owner="responsible_id", post_only=True, body={}
    ),
    "service:ticket_revisit": Rule(
        perms=(Perm.HANDLE_TICKETS,),
        post_only=True,
        body={"revisit-satisfaction": "satisfied"},
    ),
    "service:ticket_close": Rule(
        perms=(Perm.HANDLE_TICKETS,), post_only=True, body={"close-summary": "matrix"}
    ),
    "service:ticket_reclassify": Rule(
        perms=(Perm.HANDLE_TICKETS,),
        post_only=True,
        body={"reclassify-category": "other", "reclassify-severity": "normal"},
    ),
    "service:ticket_photos": Rule(
        perms=(Perm.HANDLE_TICKETS,), or_owner="responsible_id", post_only=True
    ),
    "service:attachment": Rule(note="streamed only to who sees the ticket; 404 otherwise"),
    "service:sla": Rule(perms=(Perm.MANAGE_SERVICE,)),
    "service:desk_settings": Rule(perms=(Perm.MANAGE_SERVICE,), post_only=True),
    "service:cases": OPEN,
    "service:case_open": Rule(perms=(Perm.HANDLE_TICKETS,), post_only=True),
    "service:case_detail": OPEN,
    # --- service: the monthly complaint report (issue 13 SVC-6, svcreport) ---
    "service:report": REPORTS,
    "service:report_data": REPORTS,
    "service:report_export": Rule(perms=(Perm.VIEW_REPORTS, Perm.EXPORT_DATA)),
    "deals:queue_new": Rule(perms=(Perm.SELL_UNITS,)),
    "deals:queue_detail": OPEN,
    "deals:queue_cancel": Rule(perms=(Perm.SELL_UNITS,), post_only=True, body={"reason": "matrix"}),
    "deals:subscription_new": Rule(perms=(Perm.SELL_UNITS,)),
    "deals:subscriptions": OPEN,
    "deals:export": EXPORT,
    "deals:subscription_detail": OPEN,
    "deals:subscription_confirm": Rule(perms=(Perm.SELL_UNITS,), post_only=True),
    "deals:subscription_release": Rule(
        perms=(Perm.SELL_UNITS,), post_only=True, body={"reason": "matrix"}
    ),
    "deals:agreement_pdf": OPEN,
    "deals:queue_receipt": OPEN,
    "deals:payment_receipt": OPEN,
    "deals:document_template": Rule(perms=(Perm.MANAGE_PRICING,)),
    "deals:launch_index": OPEN,
    "deals:launch": OPEN,
    "deals:launch_next": Rule(perms=(Perm.SELL_UNITS,), post_only=True),
    "deals:launch_recall": Rule(perms=(Perm.SELL_UNITS,), post_only=True, body={"ticket": "1"}),
    "deals:launch_choose": Rule(perms=(Perm.SELL_UNITS,), post_only=True, body={"unit": "1"}),
    "deals:launch_close": Rule(perms=(Perm.SELL_UNITS,), post_only=True),
    # deals (issue 12): selling needs SELL_UNITS where the project is
    "POST /queue-numbers": Rule(
        perms=(Perm.SELL_UNITS,), body={"project_id": 1, "customer_id": 1}, note="queue.py"
    ),
    "GET /queue-numbers": OPEN,
    "GET /queue-numbers/{ticket_id}": OPEN,
    "POST /queue-numbers/{ticket_id}/cancel": Rule(
        perms=(Perm.SELL_UNITS,), body={"reason": "matrix"}
    ),
    "POST /subscriptions": Rule(perms=(Perm.SELL_UNITS,), body={"unit_id": 1, "customer_id": 1}),
    "GET /subscriptions": OPEN,
    "GET /subscriptions/{subscription_id}": OPEN,
    "PUT /subscriptions/{subscription_id}/terms": Rule(perms=(Perm.SELL_UNITS,), body={}),
    "POST /subscriptions/{subscription_id}/confirm": Rule(perms=(Perm.SELL_UNITS,)),
    "POST /subscriptions/{subscription_id}/release": Rule(
        perms=(Perm.SELL_UNITS,), body={"reason": "matrix"}
    ),
    # approvals (issue 12 item 6)
    "GET /approvals/pending": Rule(note="what the user may decide; empty for the others"),
    "GET /approvals/mine": Rule(note="the user's own requests"),
    "GET /approvals/{approval_id}": OPEN,
    "POST /approvals/{approval_id}/approve": Rule(**APPROVAL_DECIDE, body={"comment": "matrix"}),
    "POST /approvals/{approval_id}/reject": Rule(**APPROVAL_DECIDE, body={"comment": "matrix"}),
    "POST /approvals/{approval_id}/withdraw": Rule(**APPROVAL_WITHDRAW),
    # sales changes (SUB-5): asked by the sales team, decided under /approvals
    "POST /subscriptions/{subscription_id}/changes": Rule(
        perms=(Perm.SELL_UNITS,),
        body={"kind": "cancellation", "reason": "matrix", "refund_amount": "0"},
    ),
    "GET /sales-changes": OPEN,
    "GET /sales-changes/{change_id}": OPEN,
    # webhooks (issue 8 item 4, INT-2): a company's administrators
    "GET /webhooks/verbs": OPEN,
    "GET /webhooks/subscriptions": WEBHOOKS,
    "POST /webhooks/subscriptions": WEBHOOKS,
    "GET /webhooks/subscriptions/{webhook_id}": WEBHOOKS,
    "PATCH /webhooks/subscriptions/{webhook_id}": Rule(
        perms=(Perm.MANAGE_ORG,), body={"name": "matrix"}
    ),
    "DELETE /webhooks/subscriptions/{webhook_id}": WEBHOOKS,
    "POST /webhooks/subscriptions/{webhook_id}/rotate-secret": WEBHOOKS,
    "POST /webhooks/subscriptions/{webhook_id}/ping": WEBHOOKS,
    "GET /webhooks/subscriptions/{webhook_id}/deliveries": WEBHOOKS,
    "POST /webhooks/subscriptions/{webhook_id}/deliveries/{delivery_id}/redeliver": WEBHOOKS,
    # SMS gateway callbacks (issue 11 item 11): a provider's push proves the shared secret
    # (messaging/gateways/callbacks.py); no login, never a 5xx
    "POST /messaging/callbacks/aliyun/sms-report": Rule(public=True, note="shared secret"),
    "POST /messaging/callbacks/aliyun/sms-up": Rule(public=True, note="shared secret"),
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
    # messaging (issue 11): templates for their managers, the outbox as its rows' scope,
    # consent: any staff may record an opt-out, opting in and the history need RUN_CAMPAIGNS
    "GET /message-templates/fields": MESSAGING,
    "GET /care/upcoming": TEMPLATES,  # MSG-4 scheduled care
    "GET /message-templates": MESSAGING,
    "POST /message-templates": Rule(
        perms=(Perm.MANAGE_TEMPLATES,), body={"name": "matrix", "body": "{称呼}您好"}
    ),
    "POST /message-templates/preview": Rule(
        perms=(Perm.RUN_CAMPAIGNS,), body={"body": "{称呼}您好"}
    ),
    "GET /message-templates/{template_id}": MESSAGING,
    "PATCH /message-templates/{template_id}": Rule(
        perms=(Perm.MANAGE_TEMPLATES,), body={"name": "matrix"}
    ),
    "GET /messages": OPEN,
    "GET /messages/{message_id}": OPEN,
    "POST /messages/{message_id}/retry": Rule(perms=(Perm.RUN_CAMPAIGNS,)),
    "POST /messages/{message_id}/mark-sent": Rule(perms=(Perm.RUN_CAMPAIGNS,)),
    "POST /consent/opt-out": Rule(
        body={"channel": "sms", "address": "13900000000"}, note="any staff member"
    ),
    "POST /consent/opt-in": Rule(
        perms=(Perm.RUN_CAMPAIGNS,),
        body={"channel": "sms", "address": "13900000000", "note": "matrix"},
    ),
    "POST /consent/history": Rule(
        perms=(Perm.RUN_CAMPAIGNS,), body={"channel": "sms", "address": "13900000000"}
    ),
    # campaigns (issue 11 item 5, MSG-2): whoever sees the campaign reads it; running needs
    # RUN_CAMPAIGNS where it is, approving APPROVE_CAMPAIGN and not being its preparer
    "campaigns:list": OPEN,
    "campaigns:new": RUN_CAMPAIGN,
    "campaigns:detail": OPEN,
    "campaigns:edit": RUN_CAMPAIGN,
    "campaigns:generate": Rule(perms=(Perm.RUN_CAMPAIGNS,), post_only=True, get_status=405),
    "campaigns:submit": Rule(perms=(Perm.RUN_CAMPAIGNS,), post_only=True),
    "campaigns:decide": Rule(**APPROVE_CAMPAIGN, post_only=True, body={"decision": "approve"}),
    "campaigns:send": Rule(perms=(Perm.RUN_CAMPAIGNS,), post_only=True),
    "campaigns:retry": Rule(perms=(Perm.RUN_CAMPAIGNS,), post_only=True),
    "campaigns:recipients": OPEN,
    "campaigns:messages": OPEN,
    "GET /campaigns": OPEN,
    "POST /campaigns": RUN_CAMPAIGN,
    "GET /campaigns/{campaign_id}": OPEN,
    "POST /campaigns/{campaign_id}/generate": RUN_CAMPAIGN,
    "POST /campaigns/{campaign_id}/submit": RUN_CAMPAIGN,
    "POST /campaigns/{campaign_id}/approve": Rule(**APPROVE_CAMPAIGN, body={"approve": True}),
    "POST /campaigns/{campaign_id}/send": RUN_CAMPAIGN,
    "POST /campaigns/{campaign_id}/retry": RUN_CAMPAIGN,
    "GET /campaigns/{campaign_id}/messages": OPEN,
    # --- customer service API, staff notifications, 每日盘点 (issue 13, svcapi) -----------------
    # The desk (HANDLE_TICKETS where the ticket is) receives, judges, assigns, revisits and
    # closes; analyse/propose/implement also the ticket's responsible (services.may_work).
    "POST /service/tickets": Rule(
        perms=(Perm.HANDLE_TICKETS,),
        body={
            "project_id": 1,
            "ticket_type": "consultation",
            "channel": "hotline",
            "subject": "matrix",
            "description": "matrix",
        },
        note="services.require_desk",
    ),
    "GET /service/tickets": OPEN,
    "GET /service/tickets/{service_ticket_id}": OPEN,
    "POST /service/tickets/{service_ticket_id}/transitions": Rule(
        perms=(Perm.HANDLE_TICKETS,),
        body={"action": "close", "summary": "matrix"},
        note="closing is the desk's; analyse/propose/implement also the responsible's",
    ),
    "POST /service/tickets/{service_ticket_id}/revisits": Rule(
        perms=(Perm.HANDLE_TICKETS,), body={"satisfaction": "satisfied"}
    ),
    "GET /service/tickets/{service_ticket_id}/sla": OPEN,
    "GET /service/sla-policies": OPEN,
    "PUT /service/sla-policies": Rule(
        perms=(Perm.MANAGE_SERVICE,),
        body={
            "company_id": 1,
            "ticket_type": "complaint",
            "severity": "normal",
            "first_response_minutes": 60,
            "solution_minutes": 600,
            "closure_minutes": 6000,
        },
    ),
    "service:daily": Rule(note="one's own list; MANAGE_SERVICE/APPROVE_SOLUTION pick a person"),
    "notifications:list": Rule(note="the user's own notices"),
    "notifications:read_all": POST,
    "notifications:open": Rule(post_only=True, note="one's own notice: marked read, then its page"),
    "GET /notifications": Rule(note="the user's own notices"),
    "POST /notifications/read": Rule(body={}, note="the user's own notices"),
}

# --- customer service: delivery and repairs (issue 13 item 5, SVC-7; service/urls_delivery.py).
# Batches and their slots are set up by MANAGE_SERVICE; booking, inspecting, repairs and keys
# need HANDLE_TICKETS where the project is (the desk, engineers, stewards). Reading: whoever
# sees the row.
PARAMS.update(
    {
        "batch_id": Obj("service.DeliveryBatch"),
        "appointment_id": Obj("service.DeliveryAppointment"),
        "inspection_id": Obj("service.Inspection"),
        "photo_id": Obj("service.DefectPhoto"),
        "repair_id": Obj("service.RepairOrder"),
    }
)
_DELIVERY_DESK = (Perm.HANDLE_TICKETS,)
_DELIVERY_SETUP = (Perm.MANAGE_SERVICE,)
REQUIRES.update(
    {
        "service:delivery_batches": OPEN,
        "service:delivery_batch_new": Rule(perms=_DELIVERY_SETUP),
        "service:delivery_batch": OPEN,
        "service:delivery_slot_add": Rule(
            perms=_DELIVERY_SETUP,
            post_only=True,
            body={"day": "2099-01-01", "starts": "09:00", "ends": "12:00", "capacity": "1"},
        ),
        "service:delivery_batch_close": Rule(perms=_DELIVERY_SETUP, post_only=True),
        "service:delivery_book": Rule(perms=_DELIVERY_DESK),
        "service:delivery_appointment": OPEN,
        "service:delivery_appointment_cancel": Rule(
            perms=_DELIVERY_DESK, post_only=True, body={"reason": "matrix"}
        ),
        "service:delivery_appointment_reschedule": Rule(perms=_DELIVERY_DESK, post_only=True),
        "service:delivery_inspection_start": Rule(perms=_DELIVERY_DESK, post_only=True),
        "service:delivery_inspection": OPEN,
        "service:delivery_defect_add": Rule(
            perms=_DELIVERY_DESK,
            post_only=True,
            body={"room": "kitchen", "description": "matrix"},
        ),
        "service:delivery_inspection_finish": Rule(
            perms=_DELIVERY_DESK, post_only=True, body={"result": "refused", "note": "matrix"}
        ),
        "service:delivery_photo": OPEN,
        "service:delivery_repairs": OPEN,
        "service:delivery_repair": OPEN,
        "service:delivery_repair_assign": Rule(
            perms=_DELIVERY_DESK, post_only=True, body={"contractor": "matrix"}
        ),
        "service:delivery_repair_complete": Rule(
            perms=_DELIVERY_DESK, post_only=True, body={"note": "matrix"}
        ),
        "service:delivery_repair_sign_off": Rule(perms=_DELIVERY_DESK, post_only=True),
        "service:delivery_repair_reject": Rule(
            perms=_DELIVERY_DESK, post_only=True, body={"reason": "matrix"}
        ),
        "service:delivery_unit": OPEN,
        "service:delivery_keys": Rule(perms=_DELIVERY_DESK),
        # the API (issue 13 item 8, service/delivery_api.py): reading as the pages; booking,
        # moving, cancelling and the repair steps need HANDLE_TICKETS where the project is
        "GET /delivery/batches": OPEN,
        "GET /delivery/batches/{batch_id}": OPEN,
        "GET /delivery/appointments": OPEN,
        "GET /delivery/appointments/{appointment_id}": OPEN,
        "POST /delivery/appointments": Rule(
            perms=_DELIVERY_DESK, body={"slot_id": 1, "unit_id": 1}, note="delivery.py"
        ),
        "POST /delivery/appointments/{appointment_id}/cancel": Rule(
            perms=_DELIVERY_DESK, body={"reason": "matrix"}
        ),
        "POST /delivery/appointments/{appointment_id}/reschedule": Rule(
            perms=_DELIVERY_DESK, body={"slot_id": 1}
        ),
        "GET /repairs": OPEN,
        "GET /repairs/{repair_id}": OPEN,
        "POST /repairs/{repair_id}/assign": Rule(
            perms=_DELIVERY_DESK, body={"contractor": "matrix"}
        ),
        "POST /repairs/{repair_id}/complete": Rule(perms=_DELIVERY_DESK, body={"note": "matrix"}),
        "POST /repairs/{repair_id}/sign-off": Rule(perms=_DELIVERY_DESK, body={}),
        "POST /repairs/{repair_id}/reject": Rule(perms=_DELIVERY_DESK, body={"reason": "matrix"}),
        "GET /service/report": REPORTS,
        # satisfaction surveys (SUR-*)
        "GET /surveys": Rule(perms=(Perm.TAKE_SURVEYS,)),
        "POST /surveys": Rule(
            perms=(Perm.RUN_SURVEYS,),
            body={
                "company_id": 1,
                "touchpoint": "repair",
                "population": "all_owners",
                "channel": "phone",
                "year": 2031,
            },
        ),
        "GET /surveys/{survey_id}": Rule(perms=(Perm.TAKE_SURVEYS,)),
        "POST /surveys/{survey_id}/open": Rule(perms=(Perm.RUN_SURVEYS,)),
        "POST /surveys/{survey_id}/close": Rule(perms=(Perm.RUN_SURVEYS,)),
        "GET /surveys/{survey_id}/to-call": Rule(perms=(Perm.TAKE_SURVEYS,)),
        "POST /survey-responses/{response_id}/answers": Rule(
            perms=(Perm.TAKE_SURVEYS,), body={"answers": []}
        ),
        "POST /survey-responses/{response_id}/call-outcome": Rule(
            perms=(Perm.TAKE_SURVEYS,), body={"outcome": "no_answer"}
        ),
        "GET /survey-figures": REPORTS,
    }
)
