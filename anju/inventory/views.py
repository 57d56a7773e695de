"""Inventory pages: projects with their buildings, and the sales-control board (销控表)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from anju.org.selectors import projects_visible_to

from . import selectors
from .hooks import unit_deals, unit_panels
from .models import UnitStatus


@login_required
def index(request):
    user = request.user
    buildings = list(selectors.buildings_visible_to(user))
    counts = selectors.status_counts_by_building(user, [b.pk for b in buildings])
    by_project: dict = {}
    for b in buildings:
        b.counts = counts[b.pk]
        b.total = sum(b.counts.values())
        by_project.setdefault(b.project_id, []).append(b)
    projects = [p for p in projects_visible_to(user) if p.pk in by_project]
    for p in projects:
        p.building_list = by_project[p.pk]
    return render(request, "inventory/index.html", {"projects": projects, "statuses": UnitStatus})


@login_required
def board(request, building_id):
    board = selectors.sales_board(request.user, building_id)
    status_filter = request.GET.get("status")
    if status_filter not in UnitStatus.values:
        status_filter = None
    return render(
        request,
        "inventory/board.html",
        {"board": board, "statuses": UnitStatus, "status_filter": status_filter},
    )


@login_required
def unit_panel(request, unit_id):
    unit = selectors.unit_detail(request.user, unit_id)
    unit.deal = unit_deals(request.user, [unit]).get(unit.pk)
    unit.panels = unit_panels(request, unit)
    template = "inventory/_unit_panel.html" if request.htmx else "inventory/unit_detail.html"
    return render(request, template, {"unit": unit})
