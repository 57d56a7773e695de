"""Reads of the reception order (接待顺序, issue 9 item 3): the desk board and how evenly
walk-ins were shared. Scoped like every read: the order of a sales office is seen by whoever
works there (its consultants, its managers, company roles)."""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, F, Q
from django.utils import timezone

from .models import DeskDay, DeskTurn, DutyStatus, TurnKind
from .selectors import _period
from .services.calls import owner_label_for_caller as mask_owner

# Turns where the one at the desk seats the customer until his own consultant arrives.
_RECEIVED_KINDS = (TurnKind.ASKED_FOR, TurnKind.RETURNING)
_STATUS_ORDER = {DutyStatus.ON_DUTY: 0, DutyStatus.STEPPED_OUT: 1, DutyStatus.OFF: 2}


@dataclass
class DeskBoard:
    project: object
    day: date
    slots: list = field(default_factory=list)  # on duty in queue order, then out, then off
    turns: list = field(default_factory=list)  # today's book, newest first

    @property
    def next_slot(self):
        return next((s for s in self.slots if s.status == DutyStatus.ON_DUTY), None)

    @property
    def on_duty_ids(self):
        return {s.consultant_id for s in self.slots if s.status != DutyStatus.OFF}


def desk_board(user, project, *, day=None, turns=30, sees_owners=False) -> DeskBoard:
    """Today's order of ``project`` as ``user`` may see it; an empty board if not opened yet.
    Three queries whatever the size: the day, its slots, its latest turns.

    A returning customer's turn names his owner, which tells who owns the customer: the book
    shows that name masked (李*) to anyone but the owner himself, unless ``sees_owners`` (the
    office's managers, who see its customers anyway)."""
    day = day or timezone.localdate()
    board = DeskBoard(project=project, day=day)
    desk_day = DeskDay.objects.visible_to(user).filter(project=project, day=day).first()
    if desk_day is None:
        return board
    slots = list(desk_day.slots.select_related("consultant"))
    slots.sort(key=lambda s: (_STATUS_ORDER[s.status], s.queue_key, s.pk))
    board.slots = slots
    board.turns = list(
        desk_day.turns.select_related("consultant", "received_by").order_by("-at", "-id")[:turns]
    )
    for turn in board.turns:
        masked = (
            turn.kind == TurnKind.RETURNING
            and not sees_owners
            and turn.consultant_id != getattr(user, "pk", None)
        )
        turn.consultant_label = mask_owner(turn.consultant) if masked else str(turn.consultant)
    return board


@dataclass
class FairnessRow:
    consultant_id: int
    name: str
    in_order: int = 0
    asked_for: int = 0
    returning: int = 0  # returning customers looked up at the desk and handed to him
    skipped: int = 0
    received_for_colleague: int = 0
    share: float | None = None  # of the walk-ins handed out in order


def desk_fairness(user, *, project=None, date_from=None, date_to=None) -> list[FairnessRow]:
    """Per consultant, over a period: walk-ins given in order, customers who asked for him,
    returning customers the desk handed to him, skips, and customers he received for a
    colleague (asked-for or returning, seated until the hand-over). Two aggregate queries
    whatever the size."""
    turns = DeskTurn.objects.visible_to(user)
    if project:
        turns = turns.filter(project=project)
    turns = _period(turns, "at", date_from, date_to)
    rows: dict[int, FairnessRow] = {}

    def row(r, key, prefix):
        name = r[f"{prefix}__display_name"] or r[f"{prefix}__username"]
        return rows.setdefault(r[key], FairnessRow(consultant_id=r[key], name=name))

    per_consultant = (
        turns.order_by()
        .values("consultant_id", "consultant__display_name", "consultant__username")
        .annotate(
            in_order=Count("id", filter=Q(kind=TurnKind.IN_ORDER)),
            asked_for=Count("id", filter=Q(kind=TurnKind.ASKED_FOR)),
            returning=Count("id", filter=Q(kind=TurnKind.RETURNING)),
            skipped=Count("id", filter=Q(kind=TurnKind.SKIPPED)),
        )
    )
    for r in per_consultant:
        target = row(r, "consultant_id", "consultant")
        target.in_order, target.asked_for, target.returning, target.skipped = (
            r["in_order"],
            r["asked_for"],
            r["returning"],
            r["skipped"],
        )
    received = (
        turns.filter(kind__in=_RECEIVED_KINDS, received_by__isnull=False)
        .exclude(received_by=F("consultant"))  # his own customer: not a favour to a colleague
        .order_by()
        .values("received_by_id", "received_by__display_name", "received_by__username")
        .annotate(n=Count("id"))
    )
    for r in received:
        row(r, "received_by_id", "received_by").received_for_colleague = r["n"]
    total = sum(r.in_order for r in rows.values())
    for r in rows.values():
        r.share = round(100 * r.in_order / total, 1) if total else None
    return sorted(rows.values(), key=lambda r: (-r.in_order, r.name))
