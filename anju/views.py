"""Project-level pages that compose several apps (the home page)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from anju.inventory.models import UnitStatus
from anju.inventory.selectors import status_counts, units_visible_to
from anju.org.selectors import projects_visible_to


@login_required
def home(request):
    user = request.user
    projects = list(projects_visible_to(user))
    counts = status_counts(units_visible_to(user))
    unit_stats = [(s.value, s.label, counts[s.value]) for s in UnitStatus]
    return render(
        request,
        "home.html",
        {"projects": projects, "unit_stats": unit_stats},
    )
