"""Reads of club events (MEM-4), scoped: events by company/project, registrations also by the
customer's consultant (a consultant sees his own customers on an event's lists)."""

from django.db.models import Count, Q
from django.utils import timezone

from anju.core.scope import can_see, get_visible_or_404
from anju.customers.filters import API_NAMES, CustomerFilter
from anju.customers.models import Customer
from anju.customers.selectors import _search_q

from .events_models import SEATED, ClubEvent, EventRegistration, RegistrationStatus

S = RegistrationStatus
LIST_STATUSES = {
    "registered": (S.REGISTERED,),
    "waiting": (S.WAITING,),
    "invited": (S.INVITED,),
    "attended": (S.ATTENDED,),
    "declined": (S.DECLINED, S.CANCELLED),
}
CHECK_IN_RESULTS = 20


def _with_counts(qs):
    """Each event's list sizes in the same query (no query per row on list pages)."""
    registrations = "registrations__status"
    return qs.annotate(
        registered_count=Count("registrations", filter=Q(**{f"{registrations}__in": SEATED})),
        waiting_count=Count("registrations", filter=Q(**{registrations: S.WAITING})),
        attended_count=Count("registrations", filter=Q(**{registrations: S.ATTENDED})),
        invited_count=Count("registrations", filter=Q(**{registrations: S.INVITED})),
    )


def event_list(user, *, when: str = "", project=None):
    """The events ``user`` may see: upcoming first by start, or past newest first."""
    qs = ClubEvent.objects.visible_to(user).select_related("project")
    now = timezone.now()
    if project is not None:
        qs = qs.filter(project=project)
    if when == "upcoming":
        return _with_counts(qs.filter(ends_at__gt=now)).order_by("starts_at", "id")
    if when == "past":
        qs = qs.filter(ends_at__lte=now)
    return _with_counts(qs).order_by("-starts_at", "-id")


def event_detail(user, event_id) -> ClubEvent:
    """One event with its list sizes (404 out of scope)."""
    qs = _with_counts(ClubEvent.objects.visible_to(user).select_related("project", "company"))
    return get_visible_or_404(qs, user, pk=event_id)


def event_registrations(user, event, *, statuses=None):
    """The event's registrations ``user`` may see, in list order (the waiting list first
    come first)."""
    qs = (
        EventRegistration.objects.visible_to(user)
        .filter(event=event)
        .select_related("customer", "customer__owner", "checked_in_by", "feedback")
    )
    if statuses:
        qs = qs.filter(status__in=statuses)
    if statuses and set(statuses) == {S.WAITING}:
        return qs.order_by("waiting_since", "id")
    return qs.order_by("-answered_at", "-id")


def registration_detail(user, event, registration_id) -> EventRegistration:
    qs = EventRegistration.objects.filter(event=event).select_related("customer", "event")
    return get_visible_or_404(qs, user, pk=registration_id)


def registration_of(user, event, customer) -> EventRegistration | None:
    return (
        EventRegistration.objects.visible_to(user)
        .filter(event=event, customer=customer)
        .select_related("customer")
        .first()
    )


def check_in_search(user, event, text: str):
    """签到 search: the event's registrants and the walk-in candidates (customers of the
    event's company ``user`` sees who are not on its lists) matching a name, pinyin or the
    last 4 digits of the mobile. Returns ``(registrants, walk_ins)``.

    One search per submit: the customers' own search (``_search_q``: phone searches are
    logged, prefixes refused to roles that see numbers masked, counted against
    ANJU_PHONE_SEARCHES_PER_HOUR) runs once, and its matches answer both lists. Why it is
    still a search of the customer base, logged, and not a free look-up among the event's
    own registrants: the same answer lists walk-ins, who may be any customer of the company,
    so the door would otherwise be a way to probe numbers without a trace. One submit is one
    log row, so a lecture's 60 arrivals stay far below the hourly limit.
    Raises ApplicationError for a refused search."""
    matching = Customer.objects.filter(_search_q(text, user)).values("pk")
    registrants = list(
        event_registrations(user, event)
        .filter(customer_id__in=matching)
        .order_by("customer__name", "id")[:CHECK_IN_RESULTS]
    )
    on_list = EventRegistration.objects.filter(event=event).values("customer_id")
    walk_ins = list(
        Customer.objects.visible_to(user)
        .filter(
            pk__in=matching,
            company_id=event.company_id,
            merged_into__isnull=True,
            archived_at__isnull=True,
        )
        .exclude(pk__in=on_list)
        .order_by("name", "pk")[:10]
    )
    return registrants, walk_ins


# Filters that narrow the customer list: an invitation needs at least one (inviting "every
# customer" by one click is not an invitation, it is a mistake).
NARROWING_FILTERS = frozenset(CustomerFilter.base_filters) - {"include_archived"}


def invite_filter_values(customer_filter) -> dict:
    """The filter's given values by the list's own names (the API's ``owner_id`` → ``owner``)."""
    if hasattr(customer_filter, "dict"):
        customer_filter = customer_filter.dict(exclude_none=True)
    return {
        API_NAMES.get(k, k): v
        for k, v in (customer_filter or {}).items()
        if v not in (None, "", [], False)
    }


def has_narrowing_filter(customer_filter) -> bool:
    return any(k in NARROWING_FILTERS for k in invite_filter_values(customer_filter))


def invite_selection(user, event, customer_filter):
    """The customers an invitation by ``customer_filter`` selects: the customer list's own
    ``CustomerFilter`` (the same scope, searches and logging), limited to the event's company,
    merged and erased records left out."""
    rows = CustomerFilter.from_api(customer_filter, user=user).rows_or_error(API_NAMES)
    return rows.filter(
        company_id=event.company_id, merged_into__isnull=True, anonymised_at__isnull=True
    ).order_by()


def invite_preview(user, event, customer_filter) -> tuple[int, int]:
    """How many an invitation would put on the list, and how many are on it already (the
    confirmation before inviting)."""
    selected = invite_selection(user, event, customer_filter).values("pk")
    already = (
        EventRegistration.objects.unscoped("the preview counts the event its manager opened")
        .filter(event=event, customer_id__in=selected)
        .count()
    )
    return selected.count() - already, already


def event_recipients(user, event, statuses=SEATED):
    """The customers on ``event``'s lists with these statuses, as a customer queryset the
    user may see: a recipient source for campaigns (MSG-2 "an event's list"). An event the
    user cannot see gives nobody."""
    if not can_see(user, event):
        return Customer.objects.none()
    on_list = EventRegistration.objects.filter(event=event, status__in=list(statuses)).values(
        "customer_id"
    )
    return Customer.objects.visible_to(user).filter(
        pk__in=on_list, merged_into__isnull=True, anonymised_at__isnull=True
    )


def customer_registrations(user, customer, limit):
    """A customer's events for his 360° page: whoever may see the customer sees them."""
    from anju.customers.timeline import merged_ids

    if not can_see(user, customer, remember=True):
        return EventRegistration.objects.none()
    return (
        EventRegistration.objects.unscoped("checked above: the user sees the customer")
        .filter(customer_id__in=merged_ids(customer))
        .select_related("event")
        .only(
            "company_id",
            "project_id",
            "status",
            "invited_at",
            "answered_at",
            "checked_in_at",
            "cancelled_at",
            "created_at",
            "walk_in",
            "event__id",
            "event__title",
            "event__venue",
            "event__company_id",
            "event__project_id",
            "event__starts_at",
        )
        .order_by("-created_at", "-id")[:limit]
    )
