import datetime

import pytest
from django.utils import timezone


@pytest.fixture
def desk(world):
    """The 深圳 service desk: the agent, the manager, management, the binhai engineer."""
    u = world.users
    return u["service"], u["servicemgr"], u["management"], u["engineer"]


@pytest.fixture
def receive(world, make_customer):
    """receive(**overrides) → a complaint about 滨海花园 received by the service agent."""
    from anju.service.services import ticket_receive

    def _receive(**kwargs):
        params = {
            "by": world.users["service"],
            "project": world.projects["binhai"],
            "ticket_type": "complaint",
            "channel": "hotline",
            "category": "quality",
            "subject": "卫生间渗水",
            "description": "主卫天花板渗水，楼上业主称未装修。",
            "demand": "尽快维修并赔偿损失",
        }
        if "customer" not in kwargs:
            params["customer"] = make_customer(name="投诉业主", grade="B")
        params.update(kwargs)
        return ticket_receive(**params)

    return _receive


def local(*args) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))
