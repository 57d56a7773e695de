"""Scheduled care at a million customers (MSG-4): today's birthdays and tomorrow's booked
visits are index reads, never a walk of the company's customers or calls."""

import datetime
import re

import pytest
from django.db import connection, transaction

from anju.core.testing import requires_postgres
from anju.customers.models import Customer
from anju.messaging import care
from anju.messaging.care_models import Audience, CareSettings, Occasion


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # With sequential scans priced out, the planner still picks one when no index can
        # serve the query: its presence means a missing index.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _first_batch(queryset):
    return queryset.filter(pk__gt=0).order_by("pk")[: care.BATCH]


@requires_postgres
@pytest.mark.parametrize("audience", Audience.values)
@pytest.mark.parametrize("month_day", [512, 229])
def test_todays_birthdays_are_read_from_the_birthday_index(world, audience, month_day):
    row = CareSettings(company=world.companies["sz"], audience=audience)
    recipients = care.greeting_recipients(row, Occasion.BIRTHDAY, month_day=month_day)
    with transaction.atomic():
        plan = _plan(_first_batch(recipients))
    assert "cust_birthday" in plan, plan
    assert "Seq Scan on customers_customer" not in plan, plan
    assert not re.search(r"^\s*(->\s*)?Sort\b", plan, re.M), plan


@pytest.mark.django_db
def test_the_database_computes_month_day_as_the_query_expects(world):
    """5 May → 505 on the database itself, PostgreSQL and SQLite alike."""
    customer = Customer.objects.unscoped("test").filter(company=world.companies["sz"]).first()
    Customer.objects.unscoped("test set-up").filter(pk=customer.pk).update(
        birth_date=datetime.date(1990, 5, 5), status="owner", archived_at=None
    )
    row = CareSettings(company=world.companies["sz"], audience=Audience.ALL)
    found = care.greeting_recipients(row, Occasion.BIRTHDAY, month_day=505)
    assert customer.pk in set(found.values_list("pk", flat=True))
    assert not care.greeting_recipients(row, Occasion.BIRTHDAY, month_day=506).filter(
        pk=customer.pk
    )


@requires_postgres
def test_tomorrows_booked_visits_are_read_from_their_index(world):
    row = CareSettings(company=world.companies["sz"])
    with transaction.atomic():
        plan = _plan(_first_batch(care.booked_visits(row, datetime.date(2026, 5, 13))))
    assert "call_booked_for" in plan, plan
    assert "Seq Scan on reception_phonecall" not in plan, plan


def test_the_birthday_query_uses_the_index_on_sqlite_too(world):
    """SQLite matches the index expression as written; the same query must hit it."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's planner")
    row = CareSettings(company=world.companies["sz"], audience=Audience.ALL)
    qs = _first_batch(care.greeting_recipients(row, Occasion.BIRTHDAY, month_day=512))
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = "\n".join(str(r) for r in cursor.fetchall())
    assert "cust_birthday" in plan, plan
