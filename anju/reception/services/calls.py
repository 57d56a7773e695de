"""Phone inquiries: log a call (来电, SAL-1) and generate its follow-up tasks (SAL-2).

A colleague's protected customer calling (撞单) is logged on that customer for his owner; the
caller learns only that the number is protected (issue 7 item 1).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from anju.core.errors import ApplicationError
from anju.core.events import record_event
from anju.core.masking import mask_name
from anju.core.roles import Perm
from anju.core.validation import validate_fields
from anju.customers.models import Customer, Gender, Source
from anju.customers.phones import normalise_phone
from anju.customers.services import customer_record_activity

from .. import followup_rules
from ..models import PhoneCall
from ._common import (
    _aware,
    _consultant_for,
    _form_opened_at,
    _not_in_future,
    _optional_count,
    _register_customer,
    _require_project,
    _require_reception,
)
from .tasks import _create_or_fold_call_tasks, timing_for

MAX_RINGS_RECORDED = 99
MAX_CALL_RECORDED = 24 * 3600


@dataclass(frozen=True)
class CallResult:
    call: PhoneCall
    customer: object
    tasks: list = field(default_factory=list)
    message: str = ""
    protected_elsewhere: bool = False  # a colleague's customer: the page warns, not congratulates


def _event_details(**values):
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in values.items()}


# --- calls (SAL-1, SAL-2) ----------------------------------------------------------------------


@transaction.atomic
def call_log(
    *,
    by,
    project,
    rings=None,
    answer_seconds=None,
    duration_seconds=None,
    called_at=None,
    form_opened_at=None,
    phone: str = "",
    name: str = "",
    gender: str = Gender.UNKNOWN,
    source: str = Source.HOTLINE,
    details_declined: bool = False,
    questions: str = "",
    visit_wanted: bool = False,
    visit_booked_for=None,
    consultant=None,
) -> CallResult:
    """Log a phone inquiry (来电, SAL-1) and generate its follow-up tasks (SAL-2).

    The caller becomes (or is found as) a customer unless he declined to give details; the
    call is a repeat call if the same number called this project before. ``rings``,
    ``answer_seconds`` and ``duration_seconds`` are what the consultant entered; None means
    not recorded, which the metrics show as missing (issue 9 item 6), never as met.
    """
    now = timezone.now()
    _require_project(by, project)
    _require_reception(by, project, Perm.LOG_CALLS)
    consultant = _consultant_for(by, project, consultant)
    called_at = _aware(called_at, field_name="called_at") or now
    _not_in_future(called_at, field_name="called_at", now=now)
    form_opened_at = _form_opened_at(form_opened_at, now=now)
    rings = _optional_count(rings, field_name="rings", maximum=MAX_RINGS_RECORDED)
    answer_seconds = _optional_count(answer_seconds, field_name="answer_seconds", maximum=3600)
    duration_seconds = _optional_count(
        duration_seconds, field_name="duration_seconds", maximum=MAX_CALL_RECORDED
    )
    visit_booked_for = _aware(visit_booked_for, field_name="visit_booked_for")
    if visit_booked_for is not None:
        if visit_booked_for <= called_at:
            raise ApplicationError(
                _("The booked visit must be after the call."), field="visit_booked_for"
            )
        if visit_booked_for > called_at + timedelta(days=366):
            raise ApplicationError(
                _("The booked visit is more than a year away."), field="visit_booked_for"
            )
        visit_wanted = True
    name = (name or "").strip()
    phone = (phone or "").strip()
    customer = None
    message = ""
    followed_up_by = consultant
    hidden_from_caller = False
    if details_declined:
        if visit_booked_for is not None:
            raise ApplicationError(
                _("A booked visit needs the caller's name and number."), field="details_declined"
            )
        name = ""
        phone = normalise_phone(phone) if phone else ""
    else:
        if not phone:
            raise ApplicationError(
                _("Enter the caller's number, or tick “declined to give details”."),
                field="phone",
            )
        if not name:
            raise ApplicationError(
                _("Enter the caller's name, or tick “declined to give details”."), field="name"
            )
        customer, message, protected = _register_or_find_protected(
            by=by,
            project=project,
            consultant=consultant,
            phone=phone,
            name=name,
            gender=gender,
            source=source,
        )
        if protected:
            # 撞单: a colleague's protected customer called. The call is still logged (SAL-1),
            # on that customer, and his follow-ups go to his owner; ownership stays (CUS-4).
            # The caller learns only that the number is protected, never the customer, the
            # expiry or the owner's tasks.
            followed_up_by = customer.owner
            hidden_from_caller = True
            message = protected_call_message(customer.owner)
        phone = normalise_phone(phone)
    is_repeat = bool(phone) and (
        PhoneCall.objects.unscoped("repeat-call flag")
        .filter(project=project, phone=phone, called_at__lte=called_at)
        .exists()
    )
    call = PhoneCall(
        company_id=project.company_id,
        project=project,
        consultant=consultant,
        customer=customer,
        called_at=called_at,
        form_opened_at=form_opened_at,
        rings=rings,
        answer_seconds=answer_seconds,
        duration_seconds=duration_seconds,
        phone=phone,
        caller_name=name,
        details_declined=details_declined,
        is_repeat=is_repeat,
        questions=(questions or "").strip(),
        visit_wanted=bool(visit_wanted),
        visit_booked_for=visit_booked_for,
    )
    validate_fields(call, ["phone", "caller_name", "questions"])
    call.save()
    if customer is not None:
        customer_record_activity(by=consultant, customer=customer, when=called_at)
    record_event(
        by=by,
        verb="reception.call_logged",
        target=call,
        subject=customer,
        details=_event_details(
            consultant=consultant.pk,
            rings=rings,
            duration_seconds=duration_seconds,
            repeat=is_repeat,
            declined=details_declined,
            visit_booked_for=visit_booked_for,
        ),
    )
    # The follow-ups are the follower's: in his name, in the customer's project (a colleague's
    # protected customer is followed up by his owner there, not where the call came in).
    followup_project = customer.project if hidden_from_caller and customer.project else project
    specs = followup_rules.rules_for_call(
        call,
        customer=customer,
        signer=followed_up_by,
        project=followup_project,
        timing=timing_for(followup_project.company_id),
    )
    # A repeated call the same local day folds into that day's open tasks (issue 9 item 2).
    created, folded = _create_or_fold_call_tasks(
        by=by,
        specs=specs,
        project=followup_project,
        assignee=followed_up_by,
        customer=customer,
        call=call,
    )
    tasks = created + folded
    if hidden_from_caller:
        # The call and the owner's follow-ups are written; the caller gets neither back.
        call.customer_visible = False
        return CallResult(call, None, [], message, protected_elsewhere=True)
    call.customer_visible = customer is not None
    return CallResult(
        call, customer, tasks, " ".join(m for m in (_summary(created, folded), message) if m)
    )


def _summary(created, folded) -> str:
    """What the call did to the follow-ups, in the counts the call page lists."""
    if not created and not folded:
        return _("Call logged; no follow-up task.")
    parts = []
    if created:
        parts.append(
            ngettext(
                "Call logged; %(n)d follow-up task created.",
                "Call logged; %(n)d follow-up tasks created.",
                len(created),
            )
            % {"n": len(created)}
        )
    if folded:
        parts.append(
            _("Open tasks of today that now also cover this call: %(n)d.") % {"n": len(folded)}
        )
    if not created:
        parts.insert(0, _("Call logged."))
    return " ".join(parts)


def _register_or_find_protected(*, by, project, consultant, phone, name, gender, source):
    """The customer of a new caller or visitor: ``(customer, message, protected)``.

    Registered (or found) as ``consultant``'s; or, when the number is a colleague's protected
    customer (撞单), that customer, read for his owner's sake with ``protected`` True: the
    caller may not see him (issue 7 item 1), so nothing of him may reach the caller.
    """
    try:
        registration = _register_customer(
            by=by,
            project=project,
            consultant=consultant,
            phone=phone,
            name=name,
            gender=gender,
            source=source,
        )
    except ApplicationError as exc:
        if exc.code != "protected_by_colleague":
            raise
        return _protected_customer_for_owner(exc.extra["customer_id"]), "", True
    return registration.customer, registration.message, False


def _protected_customer_for_owner(customer_id):
    """SYSTEM READ, unscoped on purpose: the customer a colleague's call is logged on.

    Done for the owner's sake only (the call goes on his customer, his follow-ups are
    created); whatever is read here is never returned or shown to the caller, who may not see
    the customer (issue 7 item 1).
    """
    return (
        Customer.objects.unscoped("log the call for the owner; never shown to the caller")
        .select_related("owner")
        .get(pk=customer_id)
    )


def owner_label_for_caller(owner) -> str:
    """The owner as a caller who cannot see the customer may know him: masked (李娜 → 李*).

    A display name carries a title before '·' (置业顾问·李娜): only the person's name is kept.
    """
    name = str(owner or "").split("·")[-1].strip()
    return mask_name(name)


def protected_call_message(owner) -> str:
    return _(
        "This number is protected by another consultant (%(owner)s). The call is logged and "
        "its follow-ups go to that consultant."
    ) % {"owner": owner_label_for_caller(owner)}
