"""Reception background work: offering a thank-you SMS to the messaging hook (SAL-2)."""

from django.utils.translation import gettext as _
from django_tasks import task


@task()
def offer_sms_task(task_id: int) -> bool:
    """Hand the SMS follow-up to the registered senders; mark it done if one sent it."""
    from . import hooks, services
    from .models import FollowUpTask, TaskKind, TaskStatus

    followup = (
        FollowUpTask.objects.unscoped("background task")
        .select_related("customer", "project", "assignee")
        .filter(pk=task_id, kind=TaskKind.SMS, status=TaskStatus.OPEN)
        .first()
    )
    if followup is None or not hooks.send_sms_for_task(followup):
        return False
    services.task_complete(by=None, task=followup, outcome=_("SMS sent by the system"))
    return True
