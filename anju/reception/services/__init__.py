"""Reception writes (SAL-1 … SAL-5). Every function takes the acting user as ``by``.

A call or a visit registers (or finds) the customer through ``customer_register`` and counts
as a logged follow-up (``customer_record_activity``, which renews the owner's protection).
Follow-up tasks come only from ``followup_rules``; each state change writes an event whose
subject is the customer, so the customer's timeline finds it.

The package is split by what is written; each module holds its own private helpers, the ones
shared by several live in ``_common``:

- ``calls``: phone inquiries (SAL-1, SAL-2)
- ``visits``: visits and risk-factor disclosure (SAL-3)
- ``tasks``: follow-up tasks and revisits (SAL-2, SAL-5)
- ``desk``: the reception order (接待顺序): who greets the next walk-in (issue 9 item 3)
- ``opportunities``: opportunities and their stages (SAL-4)
- ``managed_lists``: risk factors, win and loss reasons

Import from the package (``from anju.reception.services import call_log``); to patch a name in
a test, patch it in the module that looks it up (e.g. ``anju.reception.services.calls``).
"""

from .calls import CallResult, call_log, owner_label_for_caller, protected_call_message
from .desk import (
    DeskWalkIn,
    company_consultants,
    desk_asked_for,
    desk_consultants,
    desk_set_order,
    desk_set_status,
    desk_skip,
    desk_take_next,
    desk_walk_in,
)
from .managed_lists import (
    reason_create,
    reason_set_active,
    risk_factor_create,
    risk_factor_set_active,
)
from .opportunities import opportunity_advance, opportunity_close, opportunity_open
from .tasks import (
    followup_settings_update,
    schedule_revisit,
    task_add,
    task_cancel,
    task_complete,
    task_visit_in_person,
    tasks_after_loss,
    tasks_after_visit,
    timing_for,
)
from .visits import VisitResult, project_layouts, protected_visit_message, visit_register

__all__ = [
    "CallResult",
    "VisitResult",
    "call_log",
    "company_consultants",
    "DeskWalkIn",
    "desk_asked_for",
    "desk_consultants",
    "desk_set_order",
    "desk_set_status",
    "desk_skip",
    "desk_take_next",
    "desk_walk_in",
    "followup_settings_update",
    "opportunity_advance",
    "opportunity_close",
    "opportunity_open",
    "owner_label_for_caller",
    "project_layouts",
    "protected_visit_message",
    "protected_call_message",
    "reason_create",
    "reason_set_active",
    "risk_factor_create",
    "risk_factor_set_active",
    "schedule_revisit",
    "task_add",
    "task_cancel",
    "task_complete",
    "task_visit_in_person",
    "tasks_after_loss",
    "tasks_after_visit",
    "timing_for",
    "visit_register",
]
