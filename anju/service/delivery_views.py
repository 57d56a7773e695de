"""Pages of delivery and repairs (SVC-7), thin: reads in ``delivery_selectors``, writes in
``delivery``. A role that may not act gets 403 before any input is read; a refused input
re-renders the page with the service's message on its field (400); out of scope is 404.

The inspection page is made for a phone (390 px wide): one room at a time, big buttons, the
camera opens from the defect form.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.forms import submit_step
from anju.core.pagination import paginate
from anju.core.permissions import has_perm
from anju.core.roles import Perm
from anju.core.scope import get_visible_or_404, sees_loaded
from anju.inventory.models import Building, Unit
from anju.org.selectors import projects_visible_to

from . import delivery, delivery_selectors
from .delivery_filters import RepairFilter
from .delivery_forms import (
    AssignForm,
    BatchForm,
    BookForm,
    CancelForm,
    CompleteForm,
    DefectForm,
    FinishForm,
    KeyHandoverForm,
    RejectForm,
    RescheduleForm,
    SignOffForm,
    SlotForm,
)
from .delivery_models import InspectionResult, RepairStatus, Room

DESK, MANAGER = Perm.HANDLE_TICKETS, Perm.MANAGE_SERVICE


def _may(user, perm, obj=None) -> bool:
    if obj is None:
        return has_perm(user, perm)
    project = getattr(obj, "project_id", None)
    return has_perm(user, perm, company=obj.company_id, project=project)


def _require(user, perm, obj=None) -> None:
    """Refuse before reading any input, so a refused role learns nothing from the form."""
    if not _may(user, perm, obj):
        raise NotPermitted()


def _refused(form, exc) -> None:
    if exc.status_code == 403:
        raise exc
    form.add_service_error(exc)


# --- batches and slots ------------------------------------------------------------------------


@login_required
def batch_list(request):
    page = paginate(delivery_selectors.batches_visible_to(request.user), request.GET.get("page"))
    return render(
        request,
        "service/delivery/batch_list.html",
        {"page": page, "may_create": _may(request.user, MANAGER)},
    )


def _batch_form(request, data=None):
    user = request.user
    projects = [p for p in projects_visible_to(user) if _may(user, MANAGER, p)]
    ids = [p.pk for p in projects]
    buildings = (
        Building.objects.visible_to(user)
        .filter(project_id__in=ids)
        .select_related("project")
        .order_by("project__code", "sort_order", "code")
    )
    projects_qs = projects_visible_to(user).filter(pk__in=ids)
    initial = {"project": ids[0]} if len(ids) == 1 else {}
    return BatchForm(data, projects=projects_qs, buildings=buildings, initial=initial)


@login_required
def batch_new(request):
    _require(request.user, MANAGER)
    form = _batch_form(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            batch = delivery.batch_create(
                by=request.user,
                project=data["project"],
                name=data["name"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                buildings=data["buildings"],
                note=data["note"],
            )
        except ApplicationError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Delivery batch created: add its time slots."))
            return redirect("service:delivery_batch", batch.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "service/delivery/batch_new.html", {"form": form}, status=status)


def _batch_page(request, batch, *, slot_form=None, status=200):
    user = request.user
    may_book = _may(user, DESK, batch)
    slots = list(batch.slots.all())
    context = {
        "batch": batch,
        "slots": slots,
        "places": sum(s.capacity for s in slots),
        "booked": sum(s.booked for s in slots),
        "may_manage": _may(user, MANAGER, batch),
        "may_book": may_book,
        "slot_form": slot_form or SlotForm(initial={"day": batch.starts_on}),
    }
    return render(request, "service/delivery/batch_detail.html", context, status=status)


@login_required
def batch_detail(request, batch_id):
    batch = delivery_selectors.batch_detail(request.user, batch_id)
    return _batch_page(request, batch)


@login_required
@require_POST
def slot_add(request, batch_id):
    batch = delivery_selectors.batch_detail(request.user, batch_id)
    _require(request.user, MANAGER, batch)
    form = SlotForm(request.POST)
    if form.is_valid():
        starts_at, ends_at = form.times()
        try:
            delivery.slot_add(
                by=request.user,
                batch=batch,
                starts_at=starts_at,
                ends_at=ends_at,
                capacity=form.cleaned_data["capacity"],
            )
        except ApplicationError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Time slot added."))
            return redirect("service:delivery_batch", batch.pk)
    return _batch_page(request, batch, slot_form=form, status=400)


@login_required
@require_POST
def batch_close(request, batch_id):
    batch = delivery_selectors.batch_detail(request.user, batch_id)
    _require(request.user, MANAGER, batch)
    try:
        delivery.batch_close(by=request.user, batch=batch)
    except ApplicationError as exc:
        if exc.status_code == 403:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The batch is closed for booking."))
    return redirect("service:delivery_batch", batch.pk)


# --- appointments -----------------------------------------------------------------------------


@login_required
def appointment_book(request, batch_id):
    """预约 A signed unit of the batch into a slot with a free place."""
    user = request.user
    batch = delivery_selectors.batch_detail(user, batch_id)
    _require(user, DESK, batch)
    slots = delivery_selectors.open_slots(batch)
    units = delivery_selectors.bookable_units(user, batch)
    posted = request.method == "POST"
    initial = {"slot": request.GET.get("slot")} if not posted else None
    form = BookForm(request.POST if posted else None, slots=slots, units=units, initial=initial)
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            appointment = delivery.appointment_book(
                by=user, slot=data["slot"], unit=data["unit"], note=data["note"]
            )
        except ApplicationError as exc:
            _refused(form, exc)
        else:
            messages.success(
                request,
                _("%(unit)s booked for %(when)s.")
                % {"unit": appointment.unit, "when": appointment.slot},
            )
            return redirect("service:delivery_appointment", appointment.pk)
    return render(
        request,
        "service/delivery/book.html",
        {"batch": batch, "form": form},
        status=400 if posted else 200,
    )


def _appointment_page(request, appointment, *, cancel_form=None, move_form=None, status=200):
    user = request.user
    may_act = _may(user, DESK, appointment)
    inspection = delivery_selectors.inspection_of(appointment)
    others = delivery_selectors.open_slots(appointment.batch).exclude(pk=appointment.slot_id)
    # cancel / reschedule: only a live appointment whose inspection has not begun
    changeable = may_act and appointment.is_live and inspection is None
    context = {
        "appointment": appointment,
        "inspection": inspection,
        "may_act": may_act,
        "live": appointment.is_live,
        "changeable": changeable,
        "cancel_form": cancel_form or CancelForm(),
        "move_form": move_form or RescheduleForm(slots=others),
        "other_slots": changeable and (move_form is not None or others.exists()),
    }
    return render(request, "service/delivery/appointment_detail.html", context, status=status)


@login_required
def appointment_detail(request, appointment_id):
    appointment = delivery_selectors.appointment_detail(request.user, appointment_id)
    return _appointment_page(request, appointment)


def _appointment_step(request, appointment, form, act, *, done, form_name):
    return submit_step(
        request,
        form,
        act,
        done=done,
        success_url=reverse("service:delivery_appointment", args=[appointment.pk]),
        failed_page=lambda form, status: _appointment_page(
            request, appointment, status=status, **{form_name: form}
        ),
    )


@login_required
@require_POST
def appointment_cancel(request, appointment_id):
    appointment = delivery_selectors.appointment_detail(request.user, appointment_id)
    _require(request.user, DESK, appointment)
    return _appointment_step(
        request,
        appointment,
        CancelForm(request.POST),
        lambda data: delivery.appointment_cancel(
            by=request.user, appointment=appointment, reason=data["reason"]
        ),
        done=_("Appointment cancelled; the place is free again."),
        form_name="cancel_form",
    )


@login_required
@require_POST
def appointment_reschedule(request, appointment_id):
    appointment = delivery_selectors.appointment_detail(request.user, appointment_id)
    _require(request.user, DESK, appointment)
    slots = delivery_selectors.open_slots(appointment.batch).exclude(pk=appointment.slot_id)
    return _appointment_step(
        request,
        appointment,
        RescheduleForm(request.POST, slots=slots),
        lambda data: delivery.appointment_reschedule(
            by=request.user, appointment=appointment, slot=data["slot"]
        ),
        done=_("Appointment moved."),
        form_name="move_form",
    )


# --- the inspection, on a phone ----------------------------------------------------------------


@login_required
@require_POST
def inspection_start(request, appointment_id):
    appointment = delivery_selectors.appointment_detail(request.user, appointment_id)
    _require(request.user, DESK, appointment)
    try:
        inspection = delivery.inspection_start(by=request.user, appointment=appointment)
    except ApplicationError as exc:
        if exc.status_code == 403:
            raise
        messages.error(request, exc.message)
        return redirect("service:delivery_appointment", appointment.pk)
    return redirect("service:delivery_inspection", inspection.pk)


ROOMS = list(Room)


def _room_of(request) -> str:
    room = request.GET.get("room") or request.POST.get("room")
    return room if room in Room.values else ROOMS[0].value


def _inspection_page(
    request, inspection, *, room=None, defect_form=None, finish_form=None, status=200
):
    user = request.user
    defects = list(inspection.defects.all())
    counts = {r.value: 0 for r in ROOMS}
    for d in defects:
        counts[d.room] = counts.get(d.room, 0) + 1
    step = "finish" if (request.GET.get("step") == "finish" or finish_form) else "room"
    room = room or _room_of(request)
    index = Room.values.index(room)
    context = {
        "inspection": inspection,
        "defects": defects,
        "room": Room(room),
        "rooms": [(r, counts[r.value]) for r in ROOMS],
        "room_defects": [d for d in defects if d.room == room],
        "previous_room": ROOMS[index - 1] if index > 0 else None,
        "next_room": ROOMS[index + 1] if index + 1 < len(ROOMS) else None,
        "step": step if inspection.is_open else "done",
        "by_room": [(r, [d for d in defects if d.room == r.value]) for r in ROOMS],
        "may_act": _may(user, DESK, inspection),
        "defect_form": defect_form or DefectForm(initial={"room": room}),
        "finish_form": finish_form or FinishForm(initial={"owner_present": True}),
        "accepted": inspection.result == InspectionResult.ACCEPTED,
        "today": _today(),
    }
    return render(request, "service/delivery/inspection.html", context, status=status)


@login_required
def inspection(request, inspection_id):
    found = delivery_selectors.inspection_detail(request.user, inspection_id)
    return _inspection_page(request, found)


@login_required
@require_POST
def defect_add(request, inspection_id):
    found = delivery_selectors.inspection_detail(request.user, inspection_id)
    _require(request.user, DESK, found)
    form = DefectForm(request.POST, request.FILES)
    room = _room_of(request)
    if form.is_valid():
        data = form.cleaned_data
        try:
            repair = delivery.defect_record(
                by=request.user,
                inspection=found,
                room=data["room"],
                description=data["description"],
                photos=[data["photo"]] if data.get("photo") else [],
            )
        except ApplicationError as exc:
            _refused(form, exc)
        else:
            messages.success(
                request, _("Defect recorded: repair order %(number)s.") % {"number": repair}
            )
            url = reverse("service:delivery_inspection", args=[found.pk])
            return redirect(f"{url}?room={data['room']}")
    return _inspection_page(request, found, room=room, defect_form=form, status=400)


@login_required
@require_POST
def inspection_finish(request, inspection_id):
    found = delivery_selectors.inspection_detail(request.user, inspection_id)
    _require(request.user, DESK, found)
    form = FinishForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            delivery.inspection_finish(
                by=request.user,
                inspection=found,
                result=data["result"],
                owner_present=data["owner_present"],
                attended_by=data["attended_by"],
                note=data["note"],
            )
        except ApplicationError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Inspection finished."))
            return redirect("service:delivery_inspection", found.pk)
    return _inspection_page(request, found, finish_form=form, status=400)


@login_required
def photo(request, photo_id):
    """A defect photo, to who sees its inspection only (the file lies where no URL serves)."""
    row = delivery_selectors.photo_for(request.user, photo_id)
    try:
        handle = row.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404("not found") from exc
    response = FileResponse(handle, content_type=row.content_type)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- repair orders ----------------------------------------------------------------------------


def _query(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
def repair_list(request):
    filterset = RepairFilter(request.GET, user=request.user)
    rows = filterset.rows()
    if rows is None:
        rows = filterset.queryset.none()
    page = paginate(rows, request.GET.get("page"))
    query = _query(request)
    return render(
        request,
        "service/delivery/repair_list.html",
        {
            "page": page,
            "form": filterset.form,
            "extra_query": query + "&" if query else "",
            "today": _today(),
        },
    )


def _today():
    return timezone.localdate()


HISTORY_LABELS = {
    "delivery.repair_opened": gettext_lazy("opened at the inspection"),
    "delivery.repair_assigned": gettext_lazy("assigned"),
    "delivery.repair_completed": gettext_lazy("marked repaired"),
    "delivery.repair_signed_off": gettext_lazy("signed off by the owner"),
    "delivery.repair_rejected": gettext_lazy("rejected by the owner, back to repair"),
}

# Which action forms the repair page shows in each status.
SHOWN_FORMS = {
    RepairStatus.OPEN: ("assign",),
    RepairStatus.ASSIGNED: ("assign", "complete"),
    RepairStatus.REPAIRED: ("sign_off", "reject"),
    RepairStatus.SIGNED_OFF: (),
}

REPAIR_FORMS = {
    "assign": AssignForm,
    "complete": CompleteForm,
    "sign_off": SignOffForm,
    "reject": RejectForm,
}


def _repair_page(request, repair, *, failed=None, status=200):
    user = request.user
    forms = {name: form_class() for name, form_class in REPAIR_FORMS.items()}
    if repair.status != RepairStatus.OPEN:
        forms["assign"] = AssignForm(
            initial={
                "contractor": repair.contractor,
                "contractor_phone": repair.contractor_phone,
                "due_on": repair.due_on,
            }
        )
    shown = set(SHOWN_FORMS[repair.status]) if _may(user, DESK, repair) else set()
    banner = []
    if failed is not None:
        forms[failed[0]] = failed[1]
        if failed[0] not in shown:  # e.g. signed off meanwhile: say why on top
            banner = list(failed[1].non_field_errors())
    history = list(delivery_selectors.history_of(repair))
    for event in history:
        event.label = HISTORY_LABELS.get(event.verb, event.verb)
    context = {
        "repair": repair,
        "defect": repair.defect,
        "history": history,
        "today": _today(),
        "may_act": _may(user, DESK, repair),
        "forms": forms,
        "banner": banner,
        "statuses": RepairStatus,
    }
    return render(request, "service/delivery/repair_detail.html", context, status=status)


@login_required
def repair_detail(request, repair_id):
    repair = delivery_selectors.repair_detail(request.user, repair_id)
    return _repair_page(request, repair)


def _repair_action(request, repair_id, name, act, done):
    repair = delivery_selectors.repair_detail(request.user, repair_id)
    _require(request.user, DESK, repair)
    return submit_step(
        request,
        REPAIR_FORMS[name](request.POST),
        lambda data: act(repair, data),
        done=done,
        success_url=reverse("service:delivery_repair", args=[repair.pk]),
        failed_page=lambda form, status: _repair_page(
            request, repair, failed=(name, form), status=status
        ),
    )


@login_required
@require_POST
def repair_assign(request, repair_id):
    def act(repair, data):
        delivery.repair_assign(
            by=request.user,
            repair=repair,
            contractor=data["contractor"],
            contractor_phone=data["contractor_phone"],
            due_on=data["due_on"],
        )

    return _repair_action(request, repair_id, "assign", act, _("Contractor assigned."))


@login_required
@require_POST
def repair_complete(request, repair_id):
    def act(repair, data):
        delivery.repair_complete(by=request.user, repair=repair, note=data["note"])

    return _repair_action(
        request, repair_id, "complete", act, _("Marked repaired: the owner signs it off next.")
    )


@login_required
@require_POST
def repair_sign_off(request, repair_id):
    def act(repair, data):
        delivery.repair_sign_off(by=request.user, repair=repair, note=data["note"])

    return _repair_action(request, repair_id, "sign_off", act, _("Signed off by the owner."))


@login_required
@require_POST
def repair_reject(request, repair_id):
    def act(repair, data):
        delivery.repair_reject(
            by=request.user, repair=repair, reason=data["reason"], due_on=data["due_on"]
        )

    return _repair_action(request, repair_id, "reject", act, _("Sent back for repair."))


# --- a unit: its delivery, its keys, its repair history -----------------------------------------


def _unit(request, unit_id):
    return get_visible_or_404(
        Unit.objects.select_related("building", "project"), request.user, pk=unit_id
    )


@login_required
def unit_delivery(request, unit_id):
    """维修记录 The unit's delivery (appointment, inspection, keys) and its repair history."""
    unit = _unit(request, unit_id)
    state = delivery_selectors.unit_delivery(request.user, unit)
    repairs = list(delivery_selectors.unit_repairs(request.user, unit)[:200])
    return render(
        request,
        "service/delivery/unit.html",
        {
            "unit": unit,
            **state,
            "repairs": repairs,
            "today": _today(),
            "may_act": _may(request.user, DESK, unit),
        },
    )


@login_required
def key_handover(request, unit_id):
    """钥匙交接 Keys and cards to the owner who accepted the unit; the unit becomes 交付."""
    unit = _unit(request, unit_id)
    _require(request.user, DESK, unit)
    posted = request.method == "POST"
    form = KeyHandoverForm(request.POST if posted else None)
    accepted = delivery.accepted_inspection(unit.pk)
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            delivery.key_handover_record(
                by=request.user,
                unit=unit,
                received_by=data["received_by"],
                keys=data["keys"] or 0,
                smart_cards=data["smart_cards"] or 0,
                door_cards=data["door_cards"] or 0,
                mailbox_keys=data["mailbox_keys"] or 0,
                other_items=data["other_items"],
                note=data["note"],
            )
        except ApplicationError as exc:
            _refused(form, exc)
        else:
            unit.refresh_from_db(fields=["status"])
            messages.success(
                request,
                _("Keys handed over; the unit is %(status)s.")
                % {"status": unit.get_status_display()},
            )
            return redirect("service:delivery_unit", unit.pk)
    if not posted and accepted is not None:
        # the owner's name only to who may open his file (elsewhere it is shown masked)
        owner = accepted.customer.name if sees_loaded(request.user, accepted.customer) else ""
        form.initial["received_by"] = accepted.attended_by or owner
    return render(
        request,
        "service/delivery/keys.html",
        {"unit": unit, "form": form, "accepted": accepted},
        status=400 if posted else 200,
    )
