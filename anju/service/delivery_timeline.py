"""Delivery and repairs on other apps' pages (SVC-7): the customer's 360° timeline (his
appointments, inspections, repair orders and key handovers) and the unit's panel on the
sales-control board (its delivery and repair history). Each reads through ``visible_to``
with a constant number of queries."""

from django.db.models import (
    CharField,
    Count,
    DateTimeField,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat, NullIf
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.customers.timeline import TimelineEntry, merged_ids

from . import delivery_selectors
from .delivery_models import (
    OPEN_REPAIR_STATUSES,
    AppointmentStatus,
    Defect,
    DeliveryAppointment,
    Inspection,
    InspectionResult,
    InspectionStatus,
    KeyHandover,
    RepairOrder,
    RepairStatus,
    Room,
)

COVERS = ("delivery.",)
COLUMNS = tuple(
    f"t_{name}"
    for name in ("kind", "id", "when", "at", "unit", "state", "room", "note", "n1", "n2", "n3")
) + ("t_actor",)


def _text(value):
    return Value(value, output_field=CharField())


def _int(value=None):
    return Cast(Value(value), output_field=IntegerField())


def _name(path):
    """The staff member's display name, else his login name."""
    return Coalesce(NullIf(F(f"{path}__display_name"), _text("")), F(f"{path}__username"))


def _unit():
    return Concat(
        F("unit__building__name"), _text("-"), F("unit__number"), output_field=CharField()
    )


def _row(qs, **columns):
    """``qs`` reduced to the shared columns, in the shared order (a UNION needs both)."""
    defaults = {
        "t_at": Cast(Value(None), output_field=DateTimeField()),
        "t_room": _text(""),
        "t_note": _text(""),
        "t_n1": _int(),
        "t_n2": _int(),
        "t_n3": _int(),
        "t_actor": _text(""),
    }
    return qs.order_by().annotate(**(defaults | columns)).values(*COLUMNS)


def _streams(user, ids):
    defects = (
        Defect.objects.filter(inspection=OuterRef("pk"))
        .order_by()
        .values("inspection")
        .annotate(n=Count("pk"))
        .values("n")
    )
    appointments = _row(
        DeliveryAppointment.objects.visible_to(user).filter(customer_id__in=ids),
        t_kind=_text("appointment"),
        t_id=F("pk"),
        t_when=F("created_at"),
        t_at=F("slot__starts_at"),
        t_unit=_unit(),
        t_state=F("status"),
        t_actor=_name("booked_by"),
    )
    inspections = _row(
        Inspection.objects.visible_to(user).filter(
            customer_id__in=ids, status=InspectionStatus.COMPLETED
        ),
        t_kind=_text("inspection"),
        t_id=F("pk"),
        t_when=F("finished_at"),
        t_unit=_unit(),
        t_state=F("result"),
        t_note=F("note"),
        t_n1=Coalesce(Subquery(defects, output_field=IntegerField()), _int(0)),
        t_actor=_name("inspector"),
    )
    repairs = _row(
        RepairOrder.objects.visible_to(user).filter(customer_id__in=ids),
        t_kind=_text("repair"),
        t_id=F("pk"),
        t_when=F("created_at"),
        t_unit=_unit(),
        t_state=F("status"),
        t_room=F("defect__room"),
        t_note=F("defect__description"),
        t_n1=F("number"),
    )
    handovers = _row(
        KeyHandover.objects.visible_to(user).filter(customer_id__in=ids),
        t_kind=_text("keys"),
        t_id=F("unit_id"),
        t_when=F("handed_at"),
        t_unit=_unit(),
        t_state=_text(""),
        t_n1=F("keys"),
        t_n2=F("smart_cards"),
        t_n3=F("door_cards"),
        t_actor=_name("handed_by"),
    )
    return appointments, inspections, repairs, handovers


def delivery_timeline(user, customer, limit):
    """The owner's appointments, inspections, repair orders and key handovers, newest
    first: one query (a UNION ALL of the four, each read through ``visible_to``)."""
    appointments, inspections, repairs, handovers = _streams(user, merged_ids(customer))
    rows = appointments.union(inspections, repairs, handovers, all=True).order_by(
        "-t_when", "-t_id"
    )
    for row in rows[:limit]:
        yield _entry(row)


def _entry(row) -> TimelineEntry:
    kind, unit = row["t_kind"], row["t_unit"]
    if kind == "appointment":
        title = _("Delivery appointment · %(unit)s · %(when)s (%(status)s)") % {
            "unit": unit,
            "when": timezone.localtime(row["t_at"]).strftime("%Y-%m-%d %H:%M"),
            "status": AppointmentStatus(row["t_state"]).label,
        }
        url, body = reverse("service:delivery_appointment", args=[row["t_id"]]), ""
    elif kind == "inspection":
        title = _("Inspection · %(unit)s · %(result)s · %(n)s defects") % {
            "unit": unit,
            "result": InspectionResult(row["t_state"]).label,
            "n": row["t_n1"],
        }
        url, body = reverse("service:delivery_inspection", args=[row["t_id"]]), row["t_note"]
    elif kind == "repair":
        title = _("Repair order %(number)s · %(unit)s %(room)s (%(status)s)") % {
            "number": f"WX{row['t_n1']:06d}",
            "unit": unit,
            "room": Room(row["t_room"]).label,
            "status": RepairStatus(row["t_state"]).label,
        }
        url, body = reverse("service:delivery_repair", args=[row["t_id"]]), row["t_note"]
    else:
        title = _(
            "Keys handed over · %(unit)s · %(keys)s keys, %(smart)s smart cards, "
            "%(door)s door cards"
        ) % {"unit": unit, "keys": row["t_n1"], "smart": row["t_n2"], "door": row["t_n3"]}
        url, body = reverse("service:delivery_unit", args=[row["t_id"]]), ""
    return TimelineEntry(
        when=row["t_when"],
        kind="repair" if kind == "repair" else "delivery",
        title=title,
        body=body,
        url=url,
        actor=row["t_actor"],
    )


def unit_panel(request, unit) -> str:
    """The board's unit panel: where its delivery stands and its latest repairs."""
    user = request.user
    state = delivery_selectors.unit_delivery(user, unit)
    repairs = delivery_selectors.unit_repairs(user, unit)
    counts = repairs.aggregate(
        total=Count("pk"), open=Count("pk", filter=Q(status__in=OPEN_REPAIR_STATUSES))
    )
    if not counts["total"] and not any(state.values()):
        return ""
    return render_to_string(
        "service/delivery/_unit_panel.html",
        {
            "unit": unit,
            **state,
            "repairs": list(repairs[:5]),
            "counts": counts,
            "today": timezone.localdate(),
        },
        request=request,
    )
