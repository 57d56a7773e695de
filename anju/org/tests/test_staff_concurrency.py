"""Simultaneous requests for the same login name or the same role: one succeeds, the others
get a Conflict (409 ``duplicate``), never a server error (issue 8 item 3, SEC-4).

Real threads, each with its own PostgreSQL connection; a barrier after the "is it free?"
check lets every thread pass it before any writes, so the unique constraint decides.
"""

import contextlib
import threading
from unittest import mock

import pytest
from django.db import connection

from anju.core.errors import Conflict
from anju.core.testing import requires_postgres
from anju.org import services
from anju.org.models import RoleAssignment, User

THREADS = 4


def _race(target, patch_name, real):
    checked = threading.Barrier(THREADS)
    start = threading.Barrier(THREADS)
    done, conflicts, errors = [], [], []

    def check_then_wait(*args, **kwargs):
        result = real(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            checked.wait(timeout=3)
        return result

    def run(n):
        try:
            start.wait(timeout=30)
            try:
                done.append(target(n))
            except Conflict as exc:
                conflicts.append(exc)
            finally:
                connection.close()
        except Exception as exc:  # noqa: BLE001 — asserted below
            errors.append(exc)

    with mock.patch.object(*patch_name, check_then_wait):
        threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    return done, conflicts, errors


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_one_login_name_taken_twice_at_once(world):
    admin, sz = world.users["admin"], world.companies["sz"]

    def create(n):
        return services.staff_create(
            by=admin,
            username="racer",
            password="Binhai-Garden-2026!",
            display_name=f"选手{n}",
            company=sz,
        )

    done, conflicts, errors = _race(
        create, (services, "_check_username_free"), services._check_username_free
    )
    assert not errors, errors
    assert len(done) == 1 and len(conflicts) == THREADS - 1
    assert {c.code for c in conflicts} == {"duplicate"}
    assert User.objects.filter(username="racer").count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_one_role_given_twice_at_once(world):
    admin, user = world.users["admin"], world.users["service"]

    def assign(_n):
        return services.role_assign(
            by=admin, user=user, role="data_steward", company=world.companies["sz"]
        )

    done, conflicts, errors = _race(
        assign, (services, "check_role_place"), services.check_role_place
    )
    assert not errors, errors
    assert len(done) == 1 and len(conflicts) == THREADS - 1
    assert RoleAssignment.objects.filter(user=user, role="data_steward").count() == 1
