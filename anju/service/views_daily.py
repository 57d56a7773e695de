"""每日盘点, the daily open-ticket list page (SVC-5): thin, the reads are in daily.py."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from anju.core.pagination import paginate

from . import daily, sla_status


@login_required
def daily_list(request):
    """One's own open tickets, most urgent first; an overseer starts on everyone's and may
    pick a person (or himself)."""
    viewer, now = request.user, timezone.now()
    person = daily.person_for(viewer, request.GET.get("person"))
    page = paginate(daily.open_list(viewer, person), request.GET.get("page"))
    for ticket in page.object_list:
        ticket.late = sla_status.is_late(ticket, now)
    may_pick = daily.may_pick_person(viewer)
    everyone = person is None
    return render(
        request,
        "service/daily.html",
        {
            "page": page,
            "person": person,
            "everyone": everyone,
            "everyone_value": daily.EVERYONE,
            "own": not everyone and person.pk == viewer.pk,
            "late": daily.late_count(viewer, person, now=now),
            "may_pick": may_pick,
            "people": daily.people_with_open_tickets(viewer, now=now) if may_pick else [],
            "today": timezone.localdate(),
            "extra_query": f"person={daily.EVERYONE if everyone else person.pk}&",
        },
    )
