"""Simultaneous requests for the same login name or the same role: one succeeds, the others
get a Conflict (409 ``duplicate``), never a server error (issue 8 item 3, SEC-4).

Real threads, each with its own PostgreSQL connection; a barrier after the "is it free?"
check lets every thread pass it before any writes, so the unique constraint decides.
"""

import pytest

from anju.core.errors import Conflict
from anju.core.testing import requires_postgres, run_at_once
from anju.org import services
from anju.org.models import RoleAssignment, User

THREADS = 4


def _race(target, check):
    """``target(n)`` in THREADS threads released together, each waiting after ``check`` (an
    ``(owner, name)`` pair) for the others: (done, conflicts, errors)."""
    done, refused, errors = run_at_once(target, range(THREADS), pause_after=[check])
    conflicts = [exc for exc in refused if isinstance(exc, Conflict)]
    return done, conflicts, errors + [exc for exc in refused if not isinstance(exc, Conflict)]


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

    done, conflicts, errors = _race(create, (services, "_check_username_free"))
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

    done, conflicts, errors = _race(assign, (services, "check_role_place"))
    assert not errors, errors
    assert len(done) == 1 and len(conflicts) == THREADS - 1
    assert RoleAssignment.objects.filter(user=user, role="data_steward").count() == 1
