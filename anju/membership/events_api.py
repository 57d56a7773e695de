"""Club events API (MEM-4): events, invitations, RSVP, check-in, registrations, satisfaction.

The same selectors and services as the pages (SEC-1): an event outside the caller's scope is
404, running an event needs ``MANAGE_EVENTS`` (403), a duplicate RSVP is 409 with a code.
"""

from datetime import datetime
from typing import Literal

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from anju.core.api_types import (
    Count,
    Flag,
    Id,
    Input,
    IsoDateTime,
    Pagination,
    RefId,
    may_answer,
    model_text,
)
from anju.core.errors import ApplicationError
from anju.core.masking import mask_phone
from anju.core.scope import get_visible_or_404
from anju.customers.api import CustomerSearchIn
from anju.customers.selectors import customer_detail
from anju.org.models import Project

from . import events_satisfaction, events_selectors, events_services
from .events_models import (
    MAX_CAPACITY,
    MAX_EVENT_POINTS,
    MAX_REMINDER_HOURS,
    AnswerChannel,
    ClubEvent,
    EventKind,
    RegistrationStatus,
)

router = Router(tags=["club events"])

ListName = Literal[tuple(events_selectors.LIST_STATUSES)]


class EventOut(Schema):
    id: int
    project_id: Id
    title: str
    kind: EventKind
    description: str
    venue: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    attendance_points: int
    reminder_hours: int
    registered_count: int = Field(description="seats taken: registered and attended")
    waiting_count: int
    attended_count: int
    invited_count: int = Field(description="invited, no answer yet")
    cancelled_at: datetime | None = Field(None, description="set when the event was called off")
    cancel_reason: str = ""


class EventIn(Input):
    """A new event. Rules beyond the schema: it ends after it starts, within 7 days."""

    project_id: RefId
    title: model_text(ClubEvent, "title", required=True)
    kind: EventKind = EventKind.LECTURE
    description: model_text(ClubEvent, "description") = ""
    venue: model_text(ClubEvent, "venue", required=True)
    starts_at: IsoDateTime
    ends_at: IsoDateTime
    capacity: Count(1, MAX_CAPACITY)
    attendance_points: Count(0, MAX_EVENT_POINTS) = 0
    reminder_hours: Count(1, MAX_REMINDER_HOURS) = 24


class EventPatch(Input):
    """Change an event: only the fields given. A new time or place is reminded again to
    those who signed up; the capacity may not drop below the seats taken."""

    title: model_text(ClubEvent, "title", required=True) | None = None  # not blank
    kind: EventKind | None = None
    description: model_text(ClubEvent, "description") | None = None
    venue: model_text(ClubEvent, "venue", required=True) | None = None  # not blank
    starts_at: IsoDateTime | None = None
    ends_at: IsoDateTime | None = None
    capacity: Count(1, MAX_CAPACITY) | None = None
    attendance_points: Count(0, MAX_EVENT_POINTS) | None = None
    reminder_hours: Count(1, MAX_REMINDER_HOURS) | None = None


class EventCancelIn(Input):
    reason: model_text(ClubEvent, "cancel_reason", required=True)


class EventQuery(Schema):
    when: Literal["upcoming", "past"] | None = Field(None, description="default: all")


class EventRegistrationOut(Schema):
    id: int
    event_id: int
    customer_id: int
    customer_name: str
    customer_phone: str = Field(description="masked")
    status: RegistrationStatus
    walk_in: bool
    invited_at: datetime | None
    answered_at: datetime | None
    answered_via: str
    waiting_since: datetime | None
    checked_in_at: datetime | None
    reminded_at: datetime | None

    @staticmethod
    def resolve_customer_name(obj):
        return obj.customer.name

    @staticmethod
    def resolve_customer_phone(obj):
        return mask_phone(obj.customer.phone)


class RegistrationQuery(Schema):
    list: ListName | None = Field(None, description="which list; default: every row")


class InviteIn(Input):
    """Invite a list of customers (``customer_ids``) or a segment (``filter``: the customer
    list's filters, as ``POST /customers/search``); exactly one of the two."""

    customer_ids: list[RefId] | None = Field(None, max_length=events_services.MAX_INVITES)
    filter: CustomerSearchIn | None = None


class InviteOut(Schema):
    invited: int
    already: int = Field(description="already on the event's lists: left as they were")


class RsvpIn(Input):
    """A customer's answer. Yes: registered while seats are free, else the waiting list
    (``status`` says which). No: declined; a registered customer's seat goes to the first
    waiting. The same answer twice → 409 (``already_registered`` …)."""

    customer_id: RefId
    attending: Flag
    via: AnswerChannel = AnswerChannel.API


class RsvpOut(Schema):
    registration: EventRegistrationOut
    message: str
    promoted: list[int] = Field(description="registrations moved up from the waiting list")


class CheckInIn(Input):
    """签到: a registration of the event (``registration_id``), or a walk-in customer not on
    the list (``customer_id``); exactly one. Walk-ins need a free seat (409 ``event_full``).
    Only on the event's day (409 ``not_event_day``)."""

    registration_id: RefId | None = None
    customer_id: RefId | None = None


class FeedbackIn(Input):
    overall: Count(1, 5)
    usefulness: Count(1, 5) | None = None
    comment: model_text(events_satisfaction.EventFeedback, "comment") = ""


class FeedbackOut(Schema):
    id: int
    registration_id: int
    overall: int
    usefulness: int | None
    comment: str


@router.get("/events", response=list[EventOut])
@paginate(Pagination, page_size=50)
def list_events(request, filters: Query[EventQuery]):
    """Club events you may see: upcoming ones by start, or past ones newest first."""
    return events_selectors.event_list(request.user, when=filters.when or "")


@router.post("/events", response={201: EventOut})
def create_event(request, payload: EventIn):
    project = get_visible_or_404(Project, request.user, pk=payload.project_id)
    event = events_services.event_create(
        by=request.user, project=project, **payload.dict(exclude={"project_id"})
    )
    return Status(201, events_selectors.event_detail(request.user, event.pk))


@router.get("/events/{int:event_id}", response=EventOut)
def get_event(request, event_id: Id):
    return events_selectors.event_detail(request.user, event_id)


@router.patch("/events/{int:event_id}", response=EventOut, openapi_extra=may_answer(409))
def update_event(request, event_id: Id, payload: EventPatch):
    event = events_selectors.event_detail(request.user, event_id)
    events_services.require_manager(request.user, event)
    changes = payload.dict(exclude_unset=True)
    nulls = sorted(k for k, v in changes.items() if v is None)
    if nulls:
        raise ApplicationError(_("Leave a field out rather than sending null."), field=nulls[0])
    if changes:
        events_services.event_update(by=request.user, event=event, **changes)
    return events_selectors.event_detail(request.user, event_id)


@router.post("/events/{int:event_id}/cancel", response=EventOut, openapi_extra=may_answer(409))
def cancel_event(request, event_id: Id, payload: EventCancelIn):
    """Call the event off: registered and waiting customers get a service SMS; nothing more
    is recorded on it (409 ``event_cancelled``)."""
    event = events_selectors.event_detail(request.user, event_id)
    events_services.event_cancel(by=request.user, event=event, reason=payload.reason)
    return events_selectors.event_detail(request.user, event_id)


@router.get("/events/{int:event_id}/registrations", response=list[EventRegistrationOut])
@paginate(Pagination, page_size=50)
def list_registrations(request, event_id: Id, filters: Query[RegistrationQuery]):
    """The event's lists (the rows you may see: a consultant his own customers)."""
    event = events_selectors.event_detail(request.user, event_id)
    statuses = events_selectors.LIST_STATUSES.get(filters.list) if filters.list else None
    return events_selectors.event_registrations(request.user, event, statuses=statuses)


@router.post("/events/{int:event_id}/invite", response=InviteOut, openapi_extra=may_answer(409))
def invite(request, event_id: Id, payload: InviteIn):
    event = events_selectors.event_detail(request.user, event_id)
    events_services.require_manager(request.user, event)
    if (payload.customer_ids is None) == (payload.filter is None):
        raise ApplicationError(_("Give either customer_ids or filter."), field="customer_ids")
    result = events_services.event_invite(
        by=request.user,
        event=event,
        customers=payload.customer_ids or (),
        customer_filter=payload.filter,
    )
    return {"invited": result.invited, "already": result.already}


@router.post("/events/{int:event_id}/rsvp", response=RsvpOut, openapi_extra=may_answer(409))
def rsvp(request, event_id: Id, payload: RsvpIn):
    event = events_selectors.event_detail(request.user, event_id)
    customer = customer_detail(request.user, payload.customer_id)
    result = events_services.event_rsvp(
        by=request.user,
        event=event,
        customer=customer,
        attending=payload.attending,
        via=payload.via,
    )
    return {
        "registration": result.registration,
        "message": result.message,
        "promoted": [r.pk for r in result.promoted],
    }


@router.post(
    "/events/{int:event_id}/registrations/{int:registration_id}/cancel",
    response=RsvpOut,
    openapi_extra=may_answer(409),
)
def cancel_registration(request, event_id: Id, registration_id: Id):
    event = events_selectors.event_detail(request.user, event_id)
    registration = events_selectors.registration_detail(request.user, event, registration_id)
    result = events_services.registration_cancel(by=request.user, registration=registration)
    return {
        "registration": result.registration,
        "message": result.message,
        "promoted": [r.pk for r in result.promoted],
    }


@router.post(
    "/events/{int:event_id}/check-in", response=EventRegistrationOut, openapi_extra=may_answer(409)
)
def check_in(request, event_id: Id, payload: CheckInIn):
    event = events_selectors.event_detail(request.user, event_id)
    events_services.require_manager(request.user, event)
    if (payload.registration_id is None) == (payload.customer_id is None):
        raise ApplicationError(
            _("Give either registration_id or customer_id."), field="registration_id"
        )
    if payload.registration_id is not None:
        registration = events_selectors.registration_detail(
            request.user, event, payload.registration_id
        )
        return events_services.event_check_in(by=request.user, registration=registration)
    customer = customer_detail(request.user, payload.customer_id)
    return events_services.event_check_in_walk_in(by=request.user, event=event, customer=customer)


@router.post(
    "/events/{int:event_id}/registrations/{int:registration_id}/feedback",
    response={201: FeedbackOut},
    openapi_extra=may_answer(409),
)
def record_feedback(request, event_id: Id, registration_id: Id, payload: FeedbackIn):
    event = events_selectors.event_detail(request.user, event_id)
    registration = events_selectors.registration_detail(request.user, event, registration_id)
    feedback = events_satisfaction.feedback_record(
        by=request.user, registration=registration, **payload.dict()
    )
    return Status(201, feedback)
