"""What a delivery POSTs (INT-2): the envelope and the event's ``data``.

    {"id": "<delivery uuid>", "event": "reception.call_logged",
     "occurred_at": "2026-11-25T21:30:05.123456+08:00", "company_id": 1,
     "data": {"target": {"type": "reception.phonecall", "id": 7},
              "subject": {"type": "customers.customer", "id": 42},
              "project_id": 3, "actor_id": 5, "details": {...},
              "customer": {"id": 42, "code": "SZ0000042", "name": "王*", "phone": "139****5678", ...},
              "call": {...}}}

Built at each attempt from the event row and the rows it names (nothing personal is stored
in the delivery log); personal data (names, phones, ID numbers, and any mobile or ID number
inside the event's details) is masked as on screen unless the subscription ``may_unmask``.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from anju.core.masking import mask_id_number, mask_in, mask_name, mask_phone

from .registry import verb_data_builder


def iso(dt) -> str | None:
    """An aware time as ISO 8601 in Asia/Shanghai (the project's TIME_ZONE)."""
    return timezone.localtime(dt).isoformat() if dt is not None else None


def _row(content_type_id, pk):
    """The row an event names, or None if it is gone (a system read for the delivery)."""
    if content_type_id is None or pk is None:
        return None, None
    from django.contrib.contenttypes.models import ContentType

    ct = ContentType.objects.get_for_id(content_type_id)
    model = ct.model_class()
    label = f"{ct.app_label}.{ct.model}"
    if model is None:
        return label, None
    return label, model._base_manager.filter(pk=pk).first()


def customer_block(customer, *, unmask: bool) -> dict:
    return {
        "id": customer.pk,
        "code": customer.code,
        "name": customer.name if unmask else mask_name(customer.name),
        "phone": customer.phone if unmask else mask_phone(customer.phone),
        "id_number": customer.id_number if unmask else mask_id_number(customer.id_number),
        "status": customer.status,
        "source": customer.source,
        "grade": customer.grade,
        "owner_id": customer.owner_id,
        "project_id": customer.project_id,
        "anonymised": customer.anonymised_at is not None,
    }


def _is_customer(row) -> bool:
    return row is not None and row._meta.label_lower == "customers.customer"


def event_data(event, *, unmask: bool) -> tuple[dict, object]:
    """(``data`` for ``event``, the customer shown in full or None)."""
    target_label, target = _row(event.target_type_id, event.target_id)
    subject_label, subject = _row(event.subject_type_id, event.subject_id)
    details = event.details or {}
    data = {
        "target": {"type": target_label, "id": event.target_id},
        "subject": {"type": subject_label, "id": event.subject_id} if subject_label else None,
        "project_id": event.project_id,
        "actor_id": event.actor_id,
        "details": details if unmask else mask_in(details),
    }
    customer = subject if _is_customer(subject) else None
    if customer is None and _is_customer(target):
        customer = target
    if customer is not None:
        data["customer"] = customer_block(customer, unmask=unmask)
    builder = verb_data_builder(event.verb)
    if builder is not None and target is not None:
        data.update(builder(event, target, unmask))
    revealed = customer if unmask and customer is not None else None
    return data, revealed


def build_payload(delivery) -> tuple[dict, object]:
    """(the envelope for ``delivery``, the customer whose data goes out in full or None)."""
    subscription = delivery.subscription
    if delivery.event_id is None:
        occurred_at = delivery.created_at
        data = {"subscription_id": subscription.pk, "message": "ping"}
        revealed = None
    else:
        occurred_at = delivery.event.created_at
        data, revealed = event_data(delivery.event, unmask=subscription.may_unmask)
    envelope = {
        "id": str(delivery.uuid),
        "event": delivery.verb,
        "occurred_at": iso(occurred_at),
        "company_id": delivery.company_id,
        "data": data,
    }
    return envelope, revealed


def encode(payload: dict) -> bytes:
    """The exact bytes POSTed and signed: compact UTF-8 JSON."""
    return json.dumps(
        payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")


# --- the built-in verbs' own blocks ------------------------------------------------------------


def call_data(event, call, unmask: bool) -> dict:
    return {
        "call": {
            "id": call.pk,
            "called_at": iso(call.called_at),
            "consultant_id": call.consultant_id,
            "customer_id": call.customer_id,
            "phone": call.phone if unmask else mask_phone(call.phone),
            "caller_name": call.caller_name if unmask else mask_name(call.caller_name),
            "rings": call.rings,
            "duration_seconds": call.duration_seconds,
            "is_repeat": call.is_repeat,
            "details_declined": call.details_declined,
            "visit_wanted": call.visit_wanted,
            "visit_booked_for": iso(call.visit_booked_for),
        }
    }


def visit_data(event, visit, unmask: bool) -> dict:
    return {
        "visit": {
            "id": visit.pk,
            "arrived_at": iso(visit.arrived_at),
            "reception_started_at": iso(visit.reception_started_at),
            "waiting_seconds": visit.waiting_seconds,
            "party_size": visit.party_size,
            "consultant_id": visit.consultant_id,
            "customer_id": visit.customer_id,
            "club_invited": visit.club_invited,
        }
    }


def opportunity_data(event, opportunity, unmask: bool) -> dict:
    return {
        "opportunity": {
            "id": opportunity.pk,
            "stage": opportunity.stage,
            "consultant_id": opportunity.consultant_id,
            "customer_id": opportunity.customer_id,
            "expected_value": opportunity.expected_value,
            "expected_close": opportunity.expected_close,
            "closed_at": iso(opportunity.closed_at),
            "win_reason_id": opportunity.win_reason_id,
            "loss_reason_id": opportunity.loss_reason_id,
        }
    }
