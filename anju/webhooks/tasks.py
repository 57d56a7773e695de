"""Webhook background work (INT-2): thin wrappers around ``delivery``.

``webhooks_fan_out`` is enqueued after the commit of a publishable event (``delivery``
explains why); it makes the deliveries and enqueues one ``webhooks_deliver`` each, so one
slow receiver never holds up another. ``webhooks_dispatch_due`` runs every minute: retries
whose time has come, and the sweep of events the on-commit path missed.
"""

from functools import partial

from django.db import transaction
from django_tasks import task

from anju.core.scheduling import periodic


@task()
def webhooks_fan_out(event_ids: list[int]) -> int:
    from .delivery import fan_out

    made = fan_out(event_ids)
    for delivery_id in made:
        transaction.on_commit(partial(webhooks_deliver.enqueue, delivery_id), robust=True)
    return len(made)


@task()
def webhooks_deliver(delivery_id: int) -> bool | None:
    """One attempt of one delivery, if it is still due and no other worker holds it."""
    from .delivery import deliver_now

    return deliver_now(delivery_id)


@periodic(cron="* * * * *")
@task()
def webhooks_dispatch_due() -> int:
    from .delivery import dispatch_due, sweep_missed

    sweep_missed()
    return dispatch_due()
