"""A URLconf with one deprecated operation, for test_api_deprecation.py."""

from datetime import date

from django.urls import path
from ninja import Router

from anju.core.api_deprecation import deprecated
from anju.core.api_errors import error_body
from anju.core.errors import NotFound

router = Router()


@router.get("/old-ping", auth=None)
@deprecated(since=date(2027, 1, 1), sunset=date(2027, 7, 1), use_instead="GET /ping")
def old_ping(request, fail: bool = False):
    if fail:
        raise NotFound("gone")
    return {"pong": True}


def _api():
    from anju.api import AnjuAPI

    api = AnjuAPI(title="deprecation test", urls_namespace="deprecation_test")

    @api.exception_handler(NotFound)
    def not_found(request, exc):
        return api.create_response(request, error_body("not_found", exc.message), status=404)

    api.add_router("/", router)
    return api


api = _api()
urlpatterns = [path("api/test/", api.urls)]
