"""``GET /api/v1/access-log``: the personal-data access log (SEC-2, issue 7 item 10).

The same selector and filters as the page; 403 for roles without ``Perm.VIEW_ACCESS_LOG``.
"""

from datetime import date, datetime
from typing import Annotated

from ninja import Field, Router, Schema
from ninja.pagination import paginate

from .access_log import TARGET_CODE_MAX, access_log_visible_to, target_label
from .api_types import Id, Pagination
from .models import PersonalDataAccess

router = Router(tags=["personal data"])

CustomerCode = Annotated[str, Field(max_length=TARGET_CODE_MAX, description="customer code")]


class AccessLogOut(Schema):
    id: int
    created_at: datetime
    user_id: int
    user_name: str
    company_id: int | None
    action: str
    action_display: str
    target_type: str | None
    target_id: int | None
    target: str = Field(description="customer code if you may see the customer, else kind #id")
    fields: str
    record_count: int
    description: str
    ip_address: str | None

    @staticmethod
    def resolve_user_name(obj):
        return str(obj.user)

    @staticmethod
    def resolve_action_display(obj):
        return str(obj.get_action_display())

    @staticmethod
    def resolve_target_type(obj):
        return obj.target_type.model if obj.target_type_id else None

    @staticmethod
    def resolve_target(obj):
        return target_label(obj)


@router.get("/access-log", response=list[AccessLogOut])
@paginate(Pagination)
def list_access_log(
    request,
    user_id: Id | None = None,
    company_id: Id | None = None,
    action: PersonalDataAccess.Action | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    target: CustomerCode | None = None,
):
    """Who saw or exported whose personal data, newest first."""
    return access_log_visible_to(
        request.user,
        user_id=user_id,
        company_id=company_id,
        action=action,
        date_from=date_from,
        date_to=date_to,
        target=target,
    )
