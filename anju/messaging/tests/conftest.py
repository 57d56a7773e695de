import datetime
from contextvars import ContextVar

import pytest
from django.utils import timezone

from .aliyun_fake import aliyun_server  # noqa: F401 – the local dysmsapi server (gateway tests)
from .smtp_fake import smtp_server  # noqa: F401 – the local SMTP server (gateway tests)


@pytest.fixture(autouse=True)
def _messaging_var_dir(settings, tmp_path):
    """Each test's development gateway writes its own file."""
    settings.VAR_DIR = tmp_path


@pytest.fixture(autouse=True)
def _demo_messages_not_due(request):
    """The demo world leaves messages of its own in the outbox (membership's event notices, a
    held member-day SMS). A messaging test counts what one outbox pass sends, so inside the
    test (its transaction rolls back) those are put aside as sent."""
    if "world" not in request.fixturenames:
        return
    request.getfixturevalue("world")
    from anju.messaging.models import PENDING_STATUSES, Message, Status

    Message.objects.unscoped("test set-up: the demo's own messages").filter(
        status__in=PENDING_STATUSES
    ).update(status=Status.SENT)


@pytest.fixture
def customer(world):
    from anju.customers.models import Customer

    return (
        Customer.objects.unscoped("test set-up")
        .filter(project=world.projects["binhai"], merged_into=None, anonymised_at=None)
        .exclude(owner=None)
        .select_related("company", "project", "owner")
        .order_by("pk")
        .first()
    )


@pytest.fixture
def at_local(monkeypatch):
    """Set the messaging clock to a local (Asia/Shanghai) time: at_local(23, 0)."""

    def _set(hour, minute=0, day=datetime.date(2026, 5, 12)):
        moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))
        monkeypatch.setattr("anju.messaging.clock._fixed", ContextVar("t", default=moment))
        return moment

    return _set
