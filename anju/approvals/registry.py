"""The kinds of approval apps register (SEAMS.md: a contract other apps code against).

An app registers each kind once, from ``AppConfig.ready()``::

    register_approval_kind(ApprovalKind(
        name="membership.tier_change", label=_("Tier change"), perm=Perm.APPROVE_TIER_CHANGE,
        on_approved=apply_tier_change,   # fn(*, by, request), inside the deciding transaction
        on_rejected=None, describe=None, target_url=None))

``perm`` is what a decider must hold where the request is (its company/project);
``on_approved``/``on_rejected``/``on_withdrawn`` run inside the same transaction as the
decision, so an exception they raise rolls the decision back; ``describe(request) -> str``
is the line the queue shows (default: the request's summary); ``target_url(request) ->
str | None`` links the queue to the thing the request is about.
"""

from collections.abc import Callable
from dataclasses import dataclass

_KINDS: dict[str, "ApprovalKind"] = {}


@dataclass(frozen=True)
class ApprovalKind:
    name: str
    label: str
    perm: str
    on_approved: Callable | None = None
    on_rejected: Callable | None = None
    describe: Callable | None = None
    target_url: Callable | None = None
    on_withdrawn: Callable | None = None  # fn(*, by, request): e.g. release a held unit


def register_approval_kind(kind: ApprovalKind) -> ApprovalKind:
    """Register ``kind`` (idempotent for the same object; a different one under a taken name
    is a programming error)."""
    existing = _KINDS.get(kind.name)
    if existing is not None and existing != kind:
        raise ValueError(f"approval kind {kind.name!r} is already registered")
    _KINDS[kind.name] = kind
    return kind


def unregister_approval_kind(name: str) -> None:
    """For tests that register a kind of their own."""
    _KINDS.pop(name, None)


def approval_kind(name: str) -> ApprovalKind | None:
    return _KINDS.get(name)


def approval_kinds() -> list[ApprovalKind]:
    return list(_KINDS.values())
