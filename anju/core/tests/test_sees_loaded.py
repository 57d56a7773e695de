"""``sees_loaded`` decides from a loaded row what ``visible_to`` decides in the database
(issue 9 item 4: links only where the viewer may follow them, without a query per row)."""

import pytest
from django.apps import apps

from anju.core.scope import sees_loaded

pytestmark = pytest.mark.django_db

MODELS = (
    "customers.Customer",
    "reception.PhoneCall",
    "reception.Visit",
    "reception.FollowUpTask",
    "reception.Opportunity",
    "org.Project",
)


@pytest.mark.parametrize("label", MODELS)
def test_it_agrees_with_visible_to_for_every_demo_user(world, label):
    model = apps.get_model(label)
    rows = list(model._base_manager.order_by("pk")[:100]) + list(
        model._base_manager.order_by("-pk")[:100]
    )
    assert rows
    for user in world.users.values():
        visible = set(
            model.objects.visible_to(user)
            .filter(pk__in=[r.pk for r in rows])
            .values_list("pk", flat=True)
        )
        decided = {r.pk for r in rows if sees_loaded(user, r)}
        assert decided == visible, (label, user.username)
