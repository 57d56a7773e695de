"""Shared set-up of the club events tests (MEM-4): an upcoming event of 滨海花园."""

from datetime import timedelta

from django.utils import timezone

from anju.customers.models import Customer
from anju.membership import events_services


def binhai_customers(world, n, *, offset=0):
    return list(
        Customer.objects.filter(
            project=world.projects["binhai"], merged_into__isnull=True, anonymised_at__isnull=True
        ).order_by("pk")[offset : offset + n]
    )


def new_event(world, *, capacity=3, days=5, points=50, by=None, project="binhai", starts=None):
    starts = starts or (timezone.localtime() + timedelta(days=days)).replace(
        hour=14, minute=0, second=0, microsecond=0
    )
    return events_services.event_create(
        by=by or world.users["service"],
        project=world.projects[project],
        title="装修知识讲座",
        venue="销售中心二楼",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        capacity=capacity,
        attendance_points=points,
    )


def on_the_day(event):
    return event.starts_at - timedelta(minutes=10)


def starting_now():
    """An event that starts a minute from now: check-in is open (today)."""
    return timezone.localtime() + timedelta(minutes=1)
