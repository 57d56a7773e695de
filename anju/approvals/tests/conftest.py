"""A test-only kind of approval, registered for each test and unregistered after.

It stands in for the real kinds (membership tier changes, discounts, sales changes): the
mechanism is exercised without building any of them. Its handlers write down what they
were called with, and can be told to raise.
"""

from types import SimpleNamespace

import pytest

from anju.approvals.registry import ApprovalKind, register_approval_kind, unregister_approval_kind
from anju.core.roles import Perm

KIND = "test.discount"


@pytest.fixture
def test_kind():
    calls = SimpleNamespace(approved=[], rejected=[], withdrawn=[], fail_with=None)

    def on_approved(*, by, request):
        calls.approved.append((by, request.pk, request.status))
        if calls.fail_with is not None:
            raise calls.fail_with

    def on_rejected(*, by, request):
        calls.rejected.append((by, request.pk, request.status))

    def on_withdrawn(*, by, request):
        calls.withdrawn.append((by, request.pk))

    kind = register_approval_kind(
        ApprovalKind(
            name=KIND,
            label="Test discount",
            perm=Perm.APPROVE_DISCOUNT,
            on_approved=on_approved,
            on_rejected=on_rejected,
            on_withdrawn=on_withdrawn,
            describe=lambda request: f"Discount {request.payload.get('rate', '?')}%",
            target_url=lambda request: f"/inventory/?unit={request.target_id}",
        )
    )
    calls.kind = kind
    yield calls
    unregister_approval_kind(KIND)


@pytest.fixture
def ask(world, test_kind):
    """ask(by=..., project=..., target_id=...) → a pending request of the test kind."""
    from anju.approvals.services import approval_request

    counter = iter(range(1, 10_000))

    def _ask(*, by=None, company=None, project="binhai", target_id=None, **extra):
        by = by or world.users["consultant"]
        project = world.projects[project] if isinstance(project, str) else project
        company = company or (project.company if project is not None else by.company)
        return approval_request(
            by=by,
            kind=KIND,
            company=company,
            project=project,
            target_id=target_id or next(counter),
            payload=extra.pop("payload", {"rate": "5.00"}),
            summary=extra.pop("summary", "Extra 5% discount for unit 1-1203"),
        )

    return _ask


@pytest.fixture(autouse=True)
def _no_demo_requests(request):
    """These tests count queues and badges from nothing: the demo's own pending requests
    (a subscription price beyond authority, issue 12) are set aside first."""
    if "world" not in request.fixturenames:
        return
    request.getfixturevalue("world")
    from anju.approvals.models import ApprovalRequest

    ApprovalRequest.objects.unscoped("tests start from an empty queue").all().delete()
