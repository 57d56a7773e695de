"""Issue 12 item 6: two approvers deciding one request at the same moment — exactly one wins.

Real threads, each with its own PostgreSQL connection and transaction. The window between
reading the request and writing the decision is widened with a barrier (every decider waits
there for the others, up to a few seconds): without the row lock all of them would see it
pending and all would "win"; with it the first holds the row, the others wait, then see it
decided and are refused with ``invalid_transition``.
"""

import pytest

from anju.approvals import services
from anju.approvals.models import ApprovalRequest, ApprovalStatus
from anju.core.errors import Conflict
from anju.core.events import events_for
from anju.core.testing import requires_postgres, run_at_once

DECIDERS = ["manager", "management"] * 3  # both hold APPROVE_DISCOUNT in 滨海花园


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_decisions_have_exactly_one_winner(world, ask, test_kind):
    request = ask()

    def decide(n):
        username = DECIDERS[n]
        services.approval_decide(
            by=type(world.users[username]).objects.get(username=username),
            request=ApprovalRequest.objects.get(pk=request.pk),
            approve=n % 2 == 0,
            comment=f"decider {n}",
        )
        return n

    # every decider waits after checking the transition for the others (up to a few seconds)
    won, refused, errors = run_at_once(
        decide, range(len(DECIDERS)), pause_after=[(services, "check_transition")]
    )
    assert not errors, errors
    assert len(won) == 1, won
    assert len(refused) == len(DECIDERS) - 1
    assert {exc.code for exc in refused} == {"invalid_transition"}
    assert all(isinstance(exc, Conflict) for exc in refused)
    fresh = ApprovalRequest.objects.get(pk=request.pk)
    winner = won[0]
    assert fresh.comment == f"decider {winner}"
    expected = ApprovalStatus.APPROVED if winner % 2 == 0 else ApprovalStatus.REJECTED
    assert fresh.status == expected
    assert len(test_kind.approved) + len(test_kind.rejected) == 1  # the handler ran once
    assert events_for(fresh).exclude(verb="approvals.requested").count() == 1
