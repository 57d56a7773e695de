"""Revisits after the deal's key moments (SAL-5), through reception's follow-up tasks.

The day counts are the company's (reception's ``FollowUpSettings``: 3 days after a
subscription, 7 after a signing by default, on the follow-up rules page); the task is the
deal consultant's, and its result (outcome, satisfaction, needs changed) is recorded when he
completes it (``reception.services.task_complete``).
"""


def schedule_deal_revisit(*, by, subscription, after: str, source, when):
    """The revisit ``after`` "subscription" or "signing" of ``subscription``'s buyer; once per
    ``source`` record (a second call returns the task already scheduled)."""
    from anju.reception.services import schedule_revisit

    return schedule_revisit(
        by=by,
        customer=subscription.customer,
        after=after,
        when=when,
        project=subscription.project,
        assignee=subscription.consultant,
        source=source,
    )
