"""``GET /api/v1/access-log``: the personal-data access log (SEC-2, issue 7 item 10).

The same selector and filters as the page; 403 for roles without ``Perm.VIEW_ACCESS_LOG``.
"""

from datetime import datetime

from ninja import Field, Router, Schema
from ninja.pagination import paginate

from .access_log import (
    TARGET_CODE_MAX,
    access_log_visible_to,
    describe,
    fields_label,
    is_refused,
    records_label,
    target_label,
)
from .api_types import Id, Input, IsoDate, Pagination, Text
from .models import PersonalDataAccess

router = Router(tags=["personal data"])

CustomerCode = Text(TARGET_CODE_MAX, description="customer code")


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
    fields: str = Field(description="machine names, e.g. phone, id_number")
    fields_display: str = Field(description="the fields in the caller's language")
    record_count: int
    refused: bool = Field(description="a refused search: nothing was shown")
    records_display: str = Field(description="as the page shows it: a count or 'refused'")
    description: str = Field(description="as stored (English, machine-made)")
    description_display: str = Field(description="the description in the caller's language")
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

    @staticmethod
    def resolve_fields_display(obj):
        return fields_label(obj)

    @staticmethod
    def resolve_refused(obj):
        return is_refused(obj)

    @staticmethod
    def resolve_records_display(obj):
        return records_label(obj)

    @staticmethod
    def resolve_description_display(obj):
        return describe(obj)


class AccessLogFilters(Input):
    """The log's filters in a body (``POST /exports`` kind ``access_log``): the list's names."""

    user_id: Id | None = Field(None, description="the staff member who saw or exported")
    company_id: Id | None = None
    action: PersonalDataAccess.Action | None = None
    date_from: IsoDate | None = Field(None, description="first day, YYYY-MM-DD")
    date_to: IsoDate | None = Field(None, description="last day, YYYY-MM-DD (included)")
    target: CustomerCode | None = None


@router.get("/access-log", response=list[AccessLogOut])
@paginate(Pagination)
def list_access_log(
    request,
    user_id: Id | None = None,
    company_id: Id | None = None,
    action: PersonalDataAccess.Action | None = None,
    date_from: IsoDate | None = None,
    date_to: IsoDate | None = None,
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
