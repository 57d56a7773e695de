"""Scheduled care in the API (MSG-4): what the company's care sends this week."""

from datetime import date, datetime

from ninja import Field, Query, Router, Schema

from anju.core.api_types import Id
from anju.core.permissions import require_perm
from anju.core.roles import Perm
from anju.core.scope import get_visible_or_404
from anju.org.models import Company

from . import care
from .care_models import Occasion

router = Router(tags=["messaging"])


class UpcomingQuery(Schema):
    company_id: Id


class UpcomingOut(Schema):
    occasion: Occasion
    label: str
    on_date: date
    send_at: datetime = Field(description="the company's send hour that day (Asia/Shanghai)")
    recipients: int = Field(
        description="customers (or booked visits) you see it would go to, counted up to "
        "10,001 (more: 10,000+); opted-out numbers are counted, they get no greeting"
    )


@router.get("/care/upcoming", response=list[UpcomingOut])
def care_upcoming(request, query: Query[UpcomingQuery]):
    """The company's enabled greetings and visit reminders of the next 7 days, soonest first
    (needs MANAGE_TEMPLATES in the company; not paged: at most a few entries a day)."""
    company = get_visible_or_404(Company, request.user, pk=query.company_id)
    require_perm(request.user, Perm.MANAGE_TEMPLATES, company=company)
    return care.care_upcoming(request.user, company)
