"""The HTTP API (django-ninja) at /api/v1, OpenAPI docs at /api/docs.

Each app contributes a router built on its own selectors and services, so the API and the
pages follow the same scope and permission rules (SEC-1).
"""

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import ValidationError

from anju.core.api_auth import session_auth, token_auth
from anju.core.errors import ApplicationError
from anju.customers.api import router as customers_router
from anju.customers.privacy_api import router as privacy_router
from anju.inventory.api import router as inventory_router
from anju.org.api import router as org_router
from anju.reception.api import router as reception_router

api = NinjaAPI(
    title="Anju API",
    version="1",
    description="Anju CRM for property developers. Authenticate with a browser session or "
    "`Authorization: Bearer <token>` (create tokens on your profile page).",
    auth=[token_auth, session_auth],
    urls_namespace="api",
)


@api.exception_handler(ApplicationError)
def application_error(request, exc: ApplicationError):
    body = {"detail": str(exc.message), "code": exc.code}
    if exc.field:
        body["field"] = exc.field
    return api.create_response(request, body, status=exc.status_code)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    return api.create_response(
        request, {"detail": _("Some fields are not valid."), "errors": exc.errors}, status=422
    )


api.add_router("/", org_router)
api.add_router("/", inventory_router)
api.add_router("/", customers_router)
api.add_router("/", reception_router)
api.add_router("/", privacy_router)
api.add_router("/", "anju.core.access_log_api.router")  # issue 7 item 10
api.add_router("/", "anju.core.jobs_api.router")  # issue 8 item 3: job status
api.add_router("/", "anju.customers.import_api.router")  # issue 8 item 3: import
api.add_router("/", "anju.core.exports_api.router")  # issue 8 item 3: exports as jobs
