"""Reception's part of PIPL (SEC-2, issue 7 items 13–14): calls, visits, follow-up tasks and
opportunities in a customer's data package, and their erasure.

Registered from ``ReceptionConfig.ready()``. System reads on purpose: the customers services
checked the requester before calling (see ``anju/customers/privacy.py``).
"""

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from anju.core.events import record_event
from anju.customers.privacy import (
    Erasure,
    model_rows,
    register_erasure_handler,
    register_personal_data_provider,
)
from anju.customers.privacy_customers import person_ids, person_phones

from .models import OPEN_STAGES, FollowUpTask, Opportunity, PhoneCall, Stage, TaskStatus, Visit


def _calls(customer):
    """The person's calls, and calls from his numbers that were never linked to him."""
    return PhoneCall.objects.unscoped("PIPL: one person's calls").filter(
        Q(customer_id__in=person_ids(customer))
        | Q(company_id=customer.company_id, phone__in=person_phones(customer) or ["-"])
    )


def call_rows(customer):
    calls = _calls(customer).select_related("project", "consultant", "customer")
    return model_rows(calls.order_by("called_at", "pk"), exclude={"company"})


def visit_rows(customer):
    visits = (
        Visit.objects.unscoped("PIPL: one person's visits")
        .filter(customer_id__in=person_ids(customer))
        .select_related("project", "consultant", "customer")
        .prefetch_related("risk_factors_disclosed")
        .order_by("arrived_at", "pk")
    )
    rows = model_rows(visits, exclude={"company"})
    for row, visit in zip(rows, visits, strict=True):
        row["risk_factors_disclosed"] = "、".join(
            f.title for f in visit.risk_factors_disclosed.all()
        )
    return rows


def task_rows(customer):
    tasks = (
        FollowUpTask.objects.unscoped("PIPL: one person's tasks")
        .filter(customer_id__in=person_ids(customer))
        .select_related("project", "assignee", "customer")
        .order_by("due_date", "pk")
    )
    return model_rows(tasks, exclude={"company", "source_type", "source_id"})


def opportunity_rows(customer):
    opportunities = (
        Opportunity.objects.unscoped("PIPL: one person's opportunities")
        .filter(customer_id__in=person_ids(customer))
        .select_related("project", "consultant", "customer", "win_reason", "loss_reason")
        .order_by("created_at", "pk")
    )
    return model_rows(opportunities, exclude={"company"})


def _scrub_rows(erasure, model, rows, fields, *, blank=()):
    """Replace the person in ``fields`` of ``rows``; ``blank`` fields are emptied."""
    changed = []
    for row in rows:
        before = [getattr(row, f) for f in fields]
        for f in fields:
            setattr(row, f, "" if f in blank else erasure.scrub(getattr(row, f)))
        if before != [getattr(row, f) for f in fields]:
            changed.append(row)
    model.objects.unscoped("PIPL erasure").bulk_update(changed, list(fields), batch_size=500)
    return len(changed)


def erase_reception_rows(erasure: Erasure) -> None:
    """Rows stay (call counts, visit metrics, task and opportunity reports stay right);
    the caller's number and name are emptied, free text loses the person, SMS texts go."""
    ids = erasure.customer_ids
    calls = list(
        PhoneCall.objects.unscoped("PIPL erasure").filter(
            Q(customer_id__in=ids)
            | Q(company_id=erasure.company_id, phone__in=sorted(erasure.phones) or ["-"])
        )
    )
    erasure.touch(PhoneCall, [c.pk for c in calls], {"phone", "caller_name", "questions"})
    erasure.count(
        "calls",
        _scrub_rows(
            erasure,
            PhoneCall,
            calls,
            ("phone", "caller_name", "questions"),
            blank=("phone", "caller_name"),
        ),
    )

    visits = list(Visit.objects.unscoped("PIPL erasure").filter(customer_id__in=ids))
    erasure.touch(Visit, [v.pk for v in visits], {"products_shown", "next_step"})
    erasure.count("visits", _scrub_rows(erasure, Visit, visits, ("products_shown", "next_step")))

    tasks = list(FollowUpTask.objects.unscoped("PIPL erasure").filter(customer_id__in=ids))
    erasure.touch(FollowUpTask, [t.pk for t in tasks], {"message", "title", "outcome"})
    erasure.count(
        "tasks",
        _scrub_rows(
            erasure, FollowUpTask, tasks, ("title", "message", "outcome"), blank=("message",)
        ),
    )

    _end_open_work(erasure, tasks)
    opportunities = list(Opportunity.objects.unscoped("PIPL erasure").filter(customer_id__in=ids))
    erasure.touch(
        Opportunity, [o.pk for o in opportunities], {"products_of_interest", "close_note"}
    )
    erasure.count(
        "opportunities",
        _scrub_rows(erasure, Opportunity, opportunities, ("products_of_interest", "close_note")),
    )
    _close_open_opportunities(erasure, opportunities)


def _end_open_work(erasure: Erasure, tasks) -> None:
    """Open follow-ups of an erased person are cancelled by the system (issue 7 item 14):
    nobody may call, text or visit him any more, and a "done" would revive the record."""
    reason = gettext("The customer's personal data was erased.")
    now = timezone.now()
    open_tasks = [t for t in tasks if t.status == TaskStatus.OPEN]
    for task in open_tasks:
        task.status, task.done_at, task.outcome = TaskStatus.CANCELLED, now, reason
        task.updated_at = now
    FollowUpTask.objects.unscoped("PIPL erasure").bulk_update(
        open_tasks, ["status", "done_at", "outcome", "updated_at"], batch_size=500
    )
    for task in open_tasks:
        record_event(
            by=None,
            verb="reception.task_cancelled",
            target=task,
            subject=task.customer,
            details={"reason": reason, "erasure": True},
        )
    erasure.count("tasks_cancelled", len(open_tasks))


def _close_open_opportunities(erasure: Erasure, opportunities) -> None:
    """Open opportunities are closed as lost by the system (issue 7 item 14).

    Why lost: an open opportunity sits in the consultant's pipeline and the forecast, yet no
    one may contact the person again, so the chance is gone. Why without a loss reason: no
    reason of the company's managed list is true here, and picking one would distort the
    loss-reason report; the closing note says why instead (reports show an empty reason).
    """
    note = gettext("Closed: the customer's personal data was erased.")
    now = timezone.now()
    still_open = [o for o in opportunities if o.stage in OPEN_STAGES]
    befores = {o.pk: o.stage for o in still_open}
    for opportunity in still_open:
        opportunity.stage, opportunity.closed_at = Stage.LOST, now
        opportunity.updated_at = now
        opportunity.win_reason, opportunity.loss_reason = None, None
        opportunity.close_note = note
    Opportunity.objects.unscoped("PIPL erasure").bulk_update(
        still_open,
        ["stage", "closed_at", "win_reason", "loss_reason", "close_note", "updated_at"],
        batch_size=500,
    )
    for opportunity in still_open:
        record_event(
            by=None,
            verb="reception.opportunity_lost",
            target=opportunity,
            subject=opportunity.customer,
            details={"from": befores[opportunity.pk], "reason": None, "erasure": True},
        )
    erasure.count("opportunities_closed", len(still_open))


def register() -> None:
    register_personal_data_provider("calls", call_rows, label=_("Calls"), model=PhoneCall)
    register_personal_data_provider(
        "visits",
        visit_rows,
        label=_("Visits"),
        model=Visit,
        titles={
            "risk_factors_total": _("Number of risk factors to disclose"),
            "risk_factors_disclosed_count": _("Number of risk factors disclosed"),
        },
    )
    register_personal_data_provider(
        "tasks", task_rows, label=_("Follow-up tasks"), model=FollowUpTask
    )
    register_personal_data_provider(
        "opportunities", opportunity_rows, label=_("Opportunities"), model=Opportunity
    )
    register_erasure_handler(erase_reception_rows)
