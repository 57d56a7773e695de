"""The scope mechanism itself (ORG-2), on hand-made grants."""

from anju.core.roles import ROLE_SCOPE, Role, ScopeLevel
from anju.core.scope import Grant, ScopeSpec, scope_filter


class FakeUser:
    is_authenticated = True
    is_active = True
    is_superuser = False
    pk = 7

    def __init__(self, grants):
        self._anju_grants = grants


def sql_of(q):
    return str(q)


def test_all_level_sees_everything():
    user = FakeUser([Grant(ScopeLevel.ALL, None, None)])
    assert scope_filter(ScopeSpec(project="project", owner="owner"), user) is None


def test_own_level_sees_owned_rows_only_where_model_has_owner():
    user = FakeUser([Grant(ScopeLevel.OWN, 1, 10)])
    with_owner = sql_of(scope_filter(ScopeSpec(project="project", owner="owner"), user))
    assert "owner" in with_owner and "project__in" not in with_owner
    without_owner = sql_of(scope_filter(ScopeSpec(project="project"), user))
    assert "project__in" in without_owner and "owner" not in without_owner


def test_project_level_on_company_only_model_falls_back_to_company():
    user = FakeUser([Grant(ScopeLevel.PROJECT, 1, 10)])
    q = sql_of(scope_filter(ScopeSpec(company="company"), user))
    assert "company__in" in q


def test_no_grants_sees_nothing():
    q = scope_filter(ScopeSpec(project="project"), FakeUser([]))
    assert "pk__in" in sql_of(q)


def test_every_role_has_a_scope_level():
    assert set(ROLE_SCOPE) == set(Role)
