"""ORG-2: a role covers only where it is held, whether asked with objects or with ids."""

import pytest

from anju.core.permissions import has_perm
from anju.core.roles import Perm


@pytest.mark.parametrize("as_id", [False, True])
def test_company_role_covers_only_its_own_companys_projects(world, as_id):
    management = world.users["management"]  # 深圳公司 management

    def project(code):
        p = world.projects[code]
        return p.pk if as_id else p

    assert world.projects["haiwan"].company == world.companies["zh"]
    assert has_perm(management, Perm.MANAGE_INVENTORY, project=project("binhai"))
    assert has_perm(management, Perm.MANAGE_INVENTORY, project=project("yunjing"))
    assert not has_perm(management, Perm.MANAGE_INVENTORY, project=project("haiwan"))


def test_project_role_by_id_covers_only_its_project(world):
    manager = world.users["manager"]
    assert has_perm(manager, Perm.MANAGE_INVENTORY, project=world.projects["binhai"].pk)
    assert not has_perm(manager, Perm.MANAGE_INVENTORY, project=world.projects["haiwan"].pk)


def test_unknown_project_id_is_covered_by_no_company_role(world):
    assert not has_perm(world.users["management"], Perm.MANAGE_INVENTORY, project=10**9)
