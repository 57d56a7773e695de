"""The HTTP API (django-ninja) at /api/v1, OpenAPI docs at /api/docs (INT-1).

Each app contributes a router built on its own selectors and services, so the API and the
pages follow the same scope and permission rules (SEC-1).

This module is the one place where errors become answers (issue 8 item 1): every
exception turns into the shape of ``core/api_errors.py`` with the status of its class
(``core/errors.py``), and the OpenAPI document lists, for every operation, each error
status it can answer with that shape (item 2). An operation that can also answer 409 or
429 says so with ``openapi_extra=may_answer(409)``.
"""

import logging
from datetime import datetime

from django.http import Http404
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

from anju.core.api_auth import session_auth, token_auth
from anju.core.api_deprecation import document_deprecations
from anju.core.api_errors import (
    STATUS_CODES,
    ErrorOut,
    error_body,
    field_errors_from_pydantic,
    status_message,
)
from anju.core.api_types import ERRORS_EXTENSION
from anju.core.errors import ApplicationError, RateLimited
from anju.customers.api import router as customers_router
from anju.customers.privacy_api import router as privacy_router
from anju.inventory.api import router as inventory_router
from anju.org.api import router as org_router
from anju.reception.api import router as reception_router

log = logging.getLogger("anju.api")


class LocalTimeEncoder(NinjaJSONEncoder):
    """Every time in Asia/Shanghai with its offset (2026-11-25T10:30:00+08:00), whichever
    zone the database handed it back in: one convention for every answer (docs/api.md)."""

    def default(self, o):
        if isinstance(o, datetime) and timezone.is_aware(o):
            o = timezone.localtime(o)
            text = o.isoformat()
            return text[:23] + text[26:] if o.microsecond else text  # milliseconds
        return super().default(o)


class LocalTimeRenderer(JSONRenderer):
    encoder_class = LocalTimeEncoder
    json_dumps_params = {"ensure_ascii": False}


class AnjuAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        document_errors(schema)
        document_deprecations(schema)
        return schema


api = AnjuAPI(
    title="Anju API",
    version="1",
    description="Anju CRM for property developers. Authenticate with a browser session or "
    "`Authorization: Bearer <token>` (create tokens on your profile page). Every error is "
    "`ErrorOut`: a stable `code`, a `detail` in the user's language, and `field`/`errors` "
    "for invalid values. Guide: docs/api.md.",
    auth=[token_auth, session_auth],
    urls_namespace="api",
    renderer=LocalTimeRenderer(),
)


def _answer(request, status: int, body: dict, headers: dict | None = None):
    response = api.create_response(request, body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


@api.exception_handler(ApplicationError)
def application_error(request, exc: ApplicationError):
    body = error_body(exc.code, exc.message, field=exc.field)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    return _answer(request, exc.status_code, body, headers)


@api.exception_handler(Http404)
def not_found(request, exc):
    return _answer(request, 404, error_body("not_found", status_message(404)))


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    errors = field_errors_from_pydantic(exc.errors, wrappers=_PARAMETER_NAMES)
    # One problem: say it at the top as well, as a form would next to its field.
    field, detail = (errors[0]["field"], errors[0]["detail"]) if len(errors) == 1 else (None, None)
    body = error_body("invalid", detail or status_message(422), field=field, errors=errors)
    return _answer(request, 422, body)


@api.exception_handler(AuthenticationError)
def not_authenticated(request, exc):
    return _answer(request, 401, error_body("not_authenticated", status_message(401)))


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    # ninja's own refusals, e.g. "Cannot parse request body" (400): say it in our words.
    status = exc.status_code
    headers = None
    if status == 429:
        headers = {"Retry-After": str(getattr(exc, "wait", None) or 60)}
    body = error_body(STATUS_CODES.get(status, "error"), status_message(status))
    return _answer(request, status, body, headers)


@api.exception_handler(Exception)
def server_error(request, exc):
    log.exception("API %s %s failed", request.method, request.path)
    return _answer(request, 500, error_body("server_error", status_message(500)))


# The names API handlers give their schema parameters (``payload: X``, ``filters: Query[Y]``):
# they are not fields, so a validation error's location leaves them out.
_PARAMETER_NAMES = {"payload", "filters", "data", "params"}


# --- OpenAPI: every error status each operation can answer (issue 8 item 2) ---------------

ERROR_DESCRIPTIONS = {
    400: "The request could not be read (malformed JSON, a NUL character).",
    401: "Not signed in, or the API token is missing, expired or revoked.",
    403: "Your role or scope does not allow this (also: a read-only token writing).",
    404: "Not found, or outside your scope (never told apart).",
    409: "Conflicts with the current state: protected by a colleague, a duplicate, "
    "already done, an illegal transition.",
    413: "The upload is too large.",
    422: "Invalid values: `field` and `errors` say which and why.",
    429: "Too many requests: wait `Retry-After` seconds.",
}


def document_errors(schema: dict) -> None:
    """Add the error responses each operation can give, all with the ``ErrorOut`` schema."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(_error_schemas())
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            extra = operation.pop(ERRORS_EXTENSION, [])
            responses = {str(k): v for k, v in operation["responses"].items()}
            operation["responses"] = responses
            for status in sorted(_error_statuses(path, operation, components) | set(extra)):
                responses.setdefault(
                    str(status),
                    {
                        "description": ERROR_DESCRIPTIONS[status],
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ErrorOut"}
                            }
                        },
                    },
                )


def _error_statuses(path: str, operation: dict, components: dict) -> set[int]:
    # Any request can be unreadable (400), unauthenticated (401), refused (403, also a
    # read-only token) and carry invalid values (422).
    statuses = {400, 401, 403, 422}
    names = [p.get("name", "") for p in operation.get("parameters", [])]
    body = operation.get("requestBody", {}).get("content", {})
    for media in body.values():
        names += list(_properties(media.get("schema", {}), components))
    if "{" in path or any(n == "id" or n.endswith("_id") or n.endswith("_ids") for n in names):
        statuses.add(404)  # a named row may be missing or out of scope
    return statuses


def _properties(schema: dict, components: dict) -> list[str]:
    if not isinstance(schema, dict):
        return []
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        schema = components.get(ref.rsplit("/", 1)[-1], {})
    return list(schema.get("properties", {}))


def _error_schemas() -> dict:
    generated = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions = generated.pop("$defs", {})
    return {"ErrorOut": generated, **definitions}


api.add_router("/", org_router)
api.add_router("/", inventory_router)
api.add_router("/", customers_router)
api.add_router("/", reception_router)
api.add_router("/", privacy_router)
api.add_router("/", "anju.core.access_log_api.router")  # issue 7 item 10
api.add_router("/", "anju.org.staff_api.router")  # issue 8 item 3
api.add_router("/", "anju.customers.timeline_api.router")  # issue 8 item 3
api.add_router("/", "anju.webhooks.api.router")  # issue 8 item 4, INT-2
api.add_router("/", "anju.core.jobs_api.router")  # issue 8 item 3: job status
api.add_router("/", "anju.deals.sales_api.router")  # issue 12: queue numbers, subscriptions
api.add_router("/", "anju.customers.import_api.router")  # issue 8 item 3: import
api.add_router("/", "anju.core.exports_api.router")  # issue 8 item 3: exports as jobs
api.add_router("/", "anju.membership.api.router")  # issue 11: the customer club (MEM-1 … MEM-3)
api.add_router("/", "anju.approvals.api.router")  # issue 12 item 6: one approval mechanism
api.add_router("/", "anju.membership.events_api.router")  # issue 11 item 3: club events
api.add_router("/", "anju.messaging.api.router")  # issue 11: templates, messages, consent
# issue 11 item 11: what SMS providers push (delivery reports, replies); a shared secret, no login
api.add_router("/messaging/callbacks", "anju.messaging.gateways.callbacks_api.router")
api.add_router("/", "anju.messaging.care_api.router")  # MSG-4 scheduled care
api.add_router("/", "anju.messaging.campaign_api.router")  # issue 11 item 5: campaigns (MSG-2)
api.add_router(
    "/", "anju.deals.api.router"
)  # issue 12: signing, payments (SUB-4), sales changes (SUB-5)
api.add_router("/", "anju.core.notifications_api.router")  # issue 13 item 7: staff notices
api.add_router("/", "anju.service.api.router")  # issue 13 item 8: service tickets (SVC-1 … SVC-5)
api.add_router("/", "anju.service.delivery_api.router")  # issue 13 item 8: delivery, repairs
api.add_router("/", "anju.surveys.api.router")  # SUR-1 … SUR-4: surveys, phone answers, figures
