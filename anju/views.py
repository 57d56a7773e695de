"""Project-level pages that compose several apps (the home page)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from anju.core.permissions import has_perm
from anju.core.roles import Perm
from anju.inventory.models import UnitStatus
from anju.inventory.selectors import status_counts, units_visible_to
from anju.org.selectors import projects_visible_to
from anju.reception.selectors import my_tasks, team_task_summary


@login_required
def home(request):
    """What a user needs first thing in the morning: his tasks, his team, his projects."""
    user = request.user
    counts = status_counts(units_visible_to(user))
    tasks = my_tasks(user)
    team = []
    if has_perm(user, Perm.VIEW_REPORTS):  # managers follow their team; others need not
        team = [row for row in team_task_summary(user) if row["assignee_id"] != user.pk]
    return render(
        request,
        "home.html",
        {
            "projects": list(projects_visible_to(user)),
            "unit_stats": [(s.value, s.label, counts[s.value]) for s in UnitStatus],
            "tasks": tasks,
            "team": team[:10],
        },
    )
