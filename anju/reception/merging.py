"""Reception records follow their customer: on a merge of duplicates (CUS-3) and when the
customer changes hands (CUS-4, CUS-5). Registered from ``ReceptionConfig.ready()``; both run
inside the customers service's transaction, and that service records the event.
"""

from .models import OPEN_STAGES, FollowUpTask, Opportunity, PhoneCall, TaskStatus, Visit


def move_reception_records(*, duplicate, survivor) -> dict:
    """Point every call, visit, task and opportunity of ``duplicate`` at ``survivor``."""
    moved = {}
    for model in (PhoneCall, Visit, FollowUpTask, Opportunity):
        moved[model._meta.model_name] = (
            model.objects.unscoped("merge: the service checked both customers")
            .filter(customer=duplicate)
            .update(customer=survivor)
        )
    return moved


def hand_over_open_work(*, customer_ids, from_user, to_user) -> dict:
    """The leaver's open follow-up tasks and open opportunities go to the new owner.

    Done tasks and closed opportunities stay with who did them: they are his record.
    """
    tasks = (
        FollowUpTask.objects.unscoped("hand-over: the service checked the customers")
        .filter(customer_id__in=customer_ids, assignee=from_user, status=TaskStatus.OPEN)
        .update(assignee=to_user)
    )
    opportunities = (
        Opportunity.objects.unscoped("hand-over: the service checked them")
        .filter(customer_id__in=customer_ids, consultant=from_user, stage__in=OPEN_STAGES)
        .update(consultant=to_user)
    )
    return {"open_tasks": tasks, "open_opportunities": opportunities}
