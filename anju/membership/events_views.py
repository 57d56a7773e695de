"""Club events pages (MEM-4): the list, an event with its lists, the check-in page for a phone.

Thin: reads through ``events_selectors``, writes through ``events_services``. Searches for a
customer are POSTs (no phone digits in a URL, SEC-2).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.pagination import paginate
from anju.core.permissions import has_perm, require_perm
from anju.core.roles import Perm
from anju.customers.filters import CustomerFilter
from anju.customers.selectors import customer_detail, customer_list
from anju.org.selectors import projects_visible_to

from . import events_satisfaction, events_selectors, events_services
from .events_forms import EventCancelForm, EventEditForm, EventForm, FeedbackForm
from .events_models import RegistrationStatus

S = RegistrationStatus
SEARCH_MAX = 50
LISTS = [
    ("registered", gettext_lazy("Signed up")),
    ("waiting", gettext_lazy("Waiting list")),
    ("invited", gettext_lazy("Invited")),
    ("attended", gettext_lazy("Attended")),
    ("declined", gettext_lazy("Declined or cancelled")),
]


def _int_or_none(raw):
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _search_text(request):
    q = (request.POST.get("q") or "").strip()
    if not q:
        return "", _("Enter a name, pinyin or the last 4 digits of the mobile number.")
    if len(q) > SEARCH_MAX:
        return "", _("Enter at most %(n)s characters.") % {"n": SEARCH_MAX}
    return q, ""


def _door_search_text(request):
    """The check-in box's text: a few digits are not searched yet (the box searches while
    typing; "8", "86" would be refused prefix searches, each logged and counted)."""
    q, error = _search_text(request)
    digits = q.replace(" ", "").replace("-", "").removeprefix("+")
    if q and digits.isdigit() and len(digits) < 4:
        return "", _("Enter the last 4 digits of the mobile number.")
    return q, error


@login_required
def event_list(request):
    when = request.GET.get("when") if request.GET.get("when") in ("upcoming", "past") else ""
    rows = events_selectors.event_list(request.user, when=when)
    return render(
        request,
        "membership/events/list.html",
        {
            "page": paginate(rows, request.GET.get("page")),
            "when": when,
            "extra_query": f"when={when}&" if when else "",
            "can_create": has_perm(request.user, Perm.MANAGE_EVENTS),
        },
    )


@login_required
def event_new(request):
    if not has_perm(request.user, Perm.MANAGE_EVENTS):
        raise NotPermitted()
    form = EventForm(request.POST or None, projects=projects_visible_to(request.user))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            event = events_services.event_create(by=request.user, **data)
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            form.add_service_error(exc)
        else:
            messages.success(request, _("Event created."))
            return redirect("club_events:detail", event.pk)
    return render(request, "membership/events/form.html", {"form": form})


def _detail_context(request, event, **extra):
    list_name = request.GET.get("list")
    if list_name not in events_selectors.LIST_STATUSES:
        list_name = "registered"
    rows = events_selectors.event_registrations(
        request.user, event, statuses=events_selectors.LIST_STATUSES[list_name]
    )
    may_manage = events_services.may_manage(request.user, event)
    now = timezone.now()
    return {
        "event": event,
        "lists": LISTS,
        "list_name": list_name,
        "page": paginate(rows, request.GET.get("page")),
        "extra_query": f"list={list_name}&",
        "may_manage": may_manage,
        "is_open": now < event.starts_at and not event.is_cancelled,
        "is_over": now >= event.ends_at,
        "may_edit": may_manage and now < event.ends_at and not event.is_cancelled,
        "free_seats": max(event.capacity - event.registered_count, 0),
        "feedback": events_satisfaction.feedback_summary(event) if event.attended_count else None,
        "invite_form": _invite_form(request.user) if may_manage else None,
        "may_answer_all": may_manage,
        **extra,
    }


def _invite_form(user):
    """The customer list's own filters, as the segment to invite."""
    form = CustomerFilter(user=user).form
    for field in form.fields.values():
        field.widget.attrs["class"] = "form-select form-select-sm"
    return form


@login_required
def event_detail(request, event_id):
    event = events_selectors.event_detail(request.user, event_id)
    return render(request, "membership/events/detail.html", _detail_context(request, event))


@login_required
@require_POST
def event_find(request, event_id):
    """Find a customer to record his answer (the staff on the phone, seed 004)."""
    event = events_selectors.event_detail(request.user, event_id)
    q, error = _search_text(request)
    found = []
    if q:
        try:
            found = list(customer_list(request.user, q=q).filter(company_id=event.company_id)[:10])
        except ApplicationError as exc:  # a refused prefix search, too many searches
            error = str(exc.message)
    on_list = {
        r.customer_id: r
        for r in events_selectors.event_registrations(request.user, event).filter(
            customer__in=[c.pk for c in found]
        )
    }
    results = [(customer, on_list.get(customer.pk)) for customer in found]
    return render(
        request,
        "membership/events/_found.html",
        {"event": event, "results": results, "error": error, "q": q},
    )


@login_required
@require_POST
def event_rsvp(request, event_id):
    event = events_selectors.event_detail(request.user, event_id)
    customer = customer_detail(request.user, _int_or_none(request.POST.get("customer")) or 0)
    attending = request.POST.get("attending") == "yes"
    try:
        result = events_services.event_rsvp(
            by=request.user, event=event, customer=customer, attending=attending
        )
    except ApplicationError as exc:
        if exc.status_code == 403:
            raise
        messages.error(request, str(exc.message))
    else:
        messages.success(request, result.message)
    return redirect("club_events:detail", event.pk)


def _invite_filters(request) -> dict:
    return {k: v for k, v in request.POST.items() if k in CustomerFilter.base_filters and v}


@login_required
@require_POST
def event_invite(request, event_id):
    """Invite a segment: the customer list's filters (status, grade, source, project …).
    At least one filter; the first POST shows how many will be invited and asks to confirm,
    the confirmed POST (``confirm=1``, the same filters) invites."""
    event = events_selectors.event_detail(request.user, event_id)
    events_services.require_manager(request.user, event)
    data = _invite_filters(request)
    back = redirect(reverse("club_events:detail", args=[event.pk]) + "?list=invited")
    if not events_selectors.has_narrowing_filter(data):
        messages.error(
            request, _("Choose at least one filter: one click does not invite every customer.")
        )
        return back
    if request.POST.get("confirm") != "1":
        return _invite_confirmation(request, event, data)
    try:
        result = events_services.event_invite(by=request.user, event=event, customer_filter=data)
    except ApplicationError as exc:
        if exc.status_code == 403:
            raise
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("%(n)s customers invited; %(m)s were already on the lists.")
            % {"n": result.invited, "m": result.already},
        )
    return back


def _invite_confirmation(request, event, data):
    try:
        count, already = events_selectors.invite_preview(request.user, event, data)
    except ApplicationError as exc:
        if exc.status_code == 403:
            raise
        messages.error(request, str(exc.message))
        return redirect("club_events:detail", event.pk)
    form = CustomerFilter(data, user=request.user).form
    shown = [
        (form[name].label, _filter_value_label(form, name, value)) for name, value in data.items()
    ]
    return render(
        request,
        "membership/events/invite_confirm.html",
        {"event": event, "data": data, "shown": shown, "count": count, "already": already},
    )


def _filter_value_label(form, name, value):
    """What a filter's value reads as (the choice's label, not its id)."""
    field = form.fields.get(name)
    for choice_value, label in getattr(field, "choices", ()) or ():
        if str(choice_value) == str(value):
            return label
    return value


@login_required
@require_POST
def registration_uninvite(request, event_id, registration_id):
    """Take an invitee who has not answered off the list."""
    event = events_selectors.event_detail(request.user, event_id)
    registration = events_selectors.registration_detail(request.user, event, registration_id)
    events_services.require_manager(request.user, event)
    try:
        events_services.event_uninvite(by=request.user, registration=registration)
    except ApplicationError as exc:
        if exc.status_code == 403:
            raise
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request, _("%(name)s is off the invited list.") % {"name": registration.customer.name}
        )
    return redirect(reverse("club_events:detail", args=[event.pk]) + "?list=invited")


def _event_form_initial(event):
    names = ("title", "kind", "venue", "starts_at", "ends_at", "capacity")
    names += ("attendance_points", "reminder_hours", "description")
    initial = {name: getattr(event, name) for name in names}
    initial["starts_at"] = timezone.localtime(event.starts_at)
    initial["ends_at"] = timezone.localtime(event.ends_at)
    return initial


@login_required
def event_edit(request, event_id):
    """Change an event (time, place, capacity …); a new time or place is reminded again."""
    event = events_selectors.event_detail(request.user, event_id)
    events_services.require_manager(request.user, event)
    form = EventEditForm(request.POST or None, initial=_event_form_initial(event))
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if v != form.initial.get(k)}
        try:
            events_services.event_update(by=request.user, event=event, **changes)
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            form.add_service_error(exc)
        else:
            messages.success(request, _("Event saved."))
            return redirect("club_events:detail", event.pk)
    return render(
        request,
        "membership/events/form.html",
        {"form": form, "event": event, "cancel_form": EventCancelForm()},
    )


@login_required
@require_POST
def event_cancel(request, event_id):
    """Call the event off; its registrants are told by SMS."""
    event = events_selectors.event_detail(request.user, event_id)
    events_services.require_manager(request.user, event)
    form = EventCancelForm(request.POST)
    if form.is_valid():
        try:
            events_services.event_cancel(
                by=request.user, event=event, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Event cancelled; its registrants are told."))
            return redirect("club_events:detail", event.pk)
    else:
        messages.error(request, _("Say why the event is cancelled."))
    return redirect("club_events:edit", event.pk)


@login_required
@require_POST
def event_remind(request, event_id):
    event = events_selectors.event_detail(request.user, event_id)
    try:
        sent = events_services.event_send_reminders(by=request.user, event=event)
    except ApplicationError as exc:
        if exc.status_code == 403:
            raise
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("%(n)s reminders sent.") % {"n": sent})
    return redirect("club_events:detail", event.pk)


@login_required
@require_POST
def registration_cancel(request, event_id, registration_id):
    event = events_selectors.event_detail(request.user, event_id)
    registration = events_selectors.registration_detail(request.user, event, registration_id)
    try:
        result = events_services.registration_cancel(by=request.user, registration=registration)
    except ApplicationError as exc:
        if exc.status_code == 403:
            raise
        messages.error(request, str(exc.message))
    else:
        messages.success(request, result.message)
    return redirect("club_events:detail", event.pk)


@login_required
def registration_feedback(request, event_id, registration_id):
    event = events_selectors.event_detail(request.user, event_id)
    registration = events_selectors.registration_detail(request.user, event, registration_id)
    require_perm(
        request.user, Perm.MANAGE_EVENTS, company=event.company_id, project=event.project_id
    )
    form = FeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            events_satisfaction.feedback_record(
                by=request.user, registration=registration, **form.cleaned_data
            )
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            form.add_service_error(exc)
        else:
            messages.success(request, _("Satisfaction recorded."))
            return redirect(reverse("club_events:detail", args=[event.pk]) + "?list=attended")
    return render(
        request,
        "membership/events/feedback.html",
        {"event": event, "registration": registration, "form": form},
    )


# --- check-in on the day, from a phone ------------------------------------------------------


def _require_check_in(request, event):
    if not events_services.may_manage(request.user, event):
        raise NotPermitted()


@login_required
def event_check_in(request, event_id):
    event = events_selectors.event_detail(request.user, event_id)
    _require_check_in(request, event)
    opens, closes = events_services.check_in_window(event)
    return render(
        request,
        "membership/events/check_in.html",
        {"event": event, "is_open": opens <= timezone.now() < closes},
    )


@login_required
@require_POST
def event_check_in_search(request, event_id):
    """The registrants matching a name or the last 4 digits, and walk-ins not on the list."""
    event = events_selectors.event_detail(request.user, event_id)
    _require_check_in(request, event)
    q, error = _door_search_text(request)
    found, walk_ins = [], []
    if q:
        try:
            found, walk_ins = events_selectors.check_in_search(request.user, event, q)
        except ApplicationError as exc:
            error = str(exc.message)
    return render(
        request,
        "membership/events/_check_in_results.html",
        {"event": event, "found": found, "walk_ins": walk_ins, "error": error, "q": q},
    )


@login_required
@require_POST
def event_check_in_do(request, event_id):
    """One tap: check a registrant (or a walk-in) in; answers the row's new state."""
    event = events_selectors.event_detail(request.user, event_id)
    _require_check_in(request, event)
    registration_id = _int_or_none(request.POST.get("registration"))
    customer_id = _int_or_none(request.POST.get("customer"))
    error, registration = "", None
    try:
        if registration_id:
            registration = events_selectors.registration_detail(
                request.user, event, registration_id
            )
            registration = events_services.event_check_in(
                by=request.user, registration=registration
            )
        elif customer_id:
            customer = customer_detail(request.user, customer_id)
            registration = events_services.event_check_in_walk_in(
                by=request.user, event=event, customer=customer
            )
        else:
            raise Http404("not found")
    except ApplicationError as exc:
        if exc.status_code == 403:
            raise
        error = str(exc.message)
    return render(
        request,
        "membership/events/_check_in_done.html",
        {"event": event, "registration": registration, "error": error},
    )
