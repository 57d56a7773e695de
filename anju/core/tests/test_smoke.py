def test_demo_world_has_every_role(world):
    from anju.core.roles import Role
    from anju.org.models import RoleAssignment

    assert set(RoleAssignment.objects.values_list("role", flat=True)) == set(Role.values)
