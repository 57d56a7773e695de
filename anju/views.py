"""Project-level pages that compose several apps (the home page, the workbench 工作台)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from anju.core.permissions import has_perm
from anju.core.roles import Perm, Role
from anju.inventory.models import UnitStatus
from anju.inventory.selectors import status_counts, units_visible_to
from anju.org.selectors import projects_visible_to
from anju.reception import workbench
from anju.reception.selectors import my_tasks, team_task_summary

SALES_DESK = {Role.SALES_CONSULTANT, Role.KEY_ACCOUNT_REP}
WORKBENCH_TASKS = 8  # tasks listed per bucket; the rest behind "All tasks"


def _roles(user) -> set:
    return {a.role for a in user.role_assignments.all()}


@login_required
def home(request):
    """What a user needs first thing in the morning: his tasks, his team, his projects.

    A consultant's home is his workbench (SAL-6): today's booked visits and calls, due and
    overdue tasks to complete in one click, quick entry, his month in figures. A manager sees
    the team's month, one row per consultant of his projects.
    """
    user = request.user
    counts = status_counts(units_visible_to(user))
    tasks = my_tasks(user)
    is_manager = has_perm(user, Perm.VIEW_REPORTS)
    roles = _roles(user)
    context = {
        "projects": list(projects_visible_to(user)),
        "unit_stats": [(s.value, s.label, counts[s.value]) for s in UnitStatus],
        "tasks": tasks,
        "team": [],
        "workbench": bool(roles & SALES_DESK) or is_manager,
        "is_manager": is_manager,
        "task_limit": WORKBENCH_TASKS,
    }
    if is_manager:  # managers follow their team; others need not
        team = [r for r in team_task_summary(user) if r["assignee_id"] != user.pk]
        context["team"] = team[:10]
        context["team_overdue"] = sum(r["overdue"] for r in team)  # = the team tasks page
        context["team_rows"], context["team_total"] = workbench.team_month(user)
    elif roles & SALES_DESK:
        context["my_month"] = workbench.my_month(user)
    if context["workbench"]:
        booked, context["booked_url"] = workbench.booked_visits_today(user)
        context["booked"] = list(booked[:10])
        context["booked_count"] = (
            booked.count() if len(context["booked"]) == 10 else len(context["booked"])
        )
        calls, context["calls_url"] = workbench.calls_today(user)
        context["calls_today"] = calls.count()
    return render(request, "home.html", context)
