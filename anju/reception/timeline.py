"""Customer timeline providers (CUS-6): calls, visits, follow-up tasks and opportunities.

Registered from ``ReceptionConfig.ready()``; each provider reads through the scoped
selectors, one query each, so the timeline stays constant in queries.
"""

from django.urls import reverse
from django.utils.translation import gettext as _

from anju.core.scope import sees_loaded
from anju.customers.timeline import TimelineEntry, newest_first

from . import selectors
from .models import FollowUpTask, Opportunity, PhoneCall, TaskStatus, Visit


def _url(user, record, name):
    """The record's page if the viewer may open it, else no link (issue 9 item 4): the 360°
    timeline shows a colleague's call too, but his call page is his. No query per entry."""
    return reverse(name, args=[record.pk]) if sees_loaded(user, record) else ""


def _minutes(seconds):
    return f"{seconds // 60}:{seconds % 60:02d}"


def _call_title(call):
    """'Phone call (rings: 2, duration 4:00)'; a figure nobody noted says so, never a bare '?'."""
    rings = _("rings not recorded") if call.rings is None else _("rings: %(n)s") % {"n": call.rings}
    duration = (
        _("duration not recorded")
        if call.duration_seconds is None
        else _("duration %(d)s") % {"d": _minutes(call.duration_seconds)}
    )
    return _("Phone call (%(rings)s, %(duration)s)") % {"rings": rings, "duration": duration}


def calls_timeline(user, customer, limit):
    for call in selectors.customer_calls(user, customer, limit):
        body = call.questions
        if call.visit_booked_for:
            body = f"{body} · " if body else ""
            body += _("visit booked")
        yield TimelineEntry(
            when=call.called_at,
            kind="call",
            title=_call_title(call),
            body=body,
            url=_url(user, call, "reception:call_detail"),
            actor=str(call.consultant),
            extra={"repeat": call.is_repeat},
            record_id=call.pk,
        )


def visits_timeline(user, customer, limit):
    for visit in selectors.customer_visits(user, customer, limit):
        yield TimelineEntry(
            when=visit.arrived_at,
            kind="visit",
            title=_("Visit to %(project)s") % {"project": visit.project.name},
            body=" · ".join(p for p in (visit.products_shown, visit.next_step) if p),
            url=_url(user, visit, "reception:visit_detail"),
            actor=str(visit.consultant),
            extra={
                "risk_disclosed": visit.risk_factors_disclosed_count,
                "risk_total": visit.risk_factors_total,
            },
            record_id=visit.pk,
        )


def tasks_timeline(user, customer, limit):
    from datetime import datetime, time

    from django.utils import timezone

    def when(task):
        return task.done_at or timezone.make_aware(datetime.combine(task.due_date, time(9)))

    for task in newest_first(selectors.customer_tasks(user, customer, limit), when):
        yield TimelineEntry(
            when=when(task),
            kind="task",
            title=f"{task.title} · {task.get_status_display()}",
            body=task.outcome if task.status != TaskStatus.OPEN else task.message,
            url=_url(user, task, "reception:task_detail"),
            actor=str(task.assignee),
            extra={"status": task.status, "due": task.due_date.isoformat()},
            record_id=task.pk,
        )


def opportunities_timeline(user, customer, limit):
    def when(opp):
        return opp.closed_at or opp.created_at

    for opp in newest_first(selectors.customer_opportunities(user, customer, limit), when):
        yield TimelineEntry(
            when=when(opp),
            kind="opportunity",
            title=_("Opportunity: %(products)s · %(stage)s")
            % {"products": opp.products_of_interest, "stage": opp.get_stage_display()},
            body=str(opp.win_reason or opp.loss_reason or ""),
            url=_url(user, opp, "reception:opportunity_detail"),
            actor=str(opp.consultant),
            extra={"stage": opp.stage, "expected_value": str(opp.expected_value)},
            record_id=opp.pk,
        )


PROVIDERS = (calls_timeline, visits_timeline, tasks_timeline, opportunities_timeline)
# the model each provider shows (the page asks a provider only if it has a row of the customer)
SOURCES = {
    calls_timeline: PhoneCall,
    visits_timeline: Visit,
    tasks_timeline: FollowUpTask,
    opportunities_timeline: Opportunity,
}
