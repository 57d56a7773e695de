"""Every read of the deals app a user sees, scoped with ``visible_to``."""

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Prefetch

from anju.core.permissions import has_perm
from anju.core.roles import Perm
from anju.core.scope import get_visible_or_404
from anju.inventory.models import Unit, UnitStatus

from .models import (
    CoBuyer,
    LaunchDay,
    LaunchStatus,
    PriceLine,
    QueueStatus,
    QueueTicket,
    Subscription,
)


def queue_tickets_visible_to(user, *, project=None, status=None):
    rows = QueueTicket.objects.visible_to(user).select_related("customer", "consultant", "project")
    if project is not None:
        rows = rows.filter(project=project)
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("project_id", "number")


def queue_ticket_detail(user, pk) -> QueueTicket:
    return get_visible_or_404(
        QueueTicket.objects.select_related("customer", "consultant", "project", "company"),
        user,
        pk=pk,
    )


def subscriptions_visible_to(user, *, project=None, status=None):
    rows = Subscription.objects.visible_to(user).select_related(
        "customer", "consultant", "project", "unit__building"
    )
    if project is not None:
        rows = rows.filter(project=project)
    if status:
        rows = rows.filter(status=status)
    return rows


def subscription_detail(user, pk) -> Subscription:
    """One subscription with its buyers and price lines (three queries)."""
    return get_visible_or_404(
        Subscription.objects.select_related(
            "customer", "consultant", "project", "company", "unit__building", "queue_ticket"
        ).prefetch_related(
            Prefetch("price_lines", queryset=PriceLine.objects.order_by("position")),
            Prefetch("co_buyers", queryset=CoBuyer.objects.select_related("customer")),
        ),
        user,
        pk=pk,
    )


# --- launch day ---------------------------------------------------------------------------------

NEXT_SHOWN = 8


def open_launches_visible_to(user):
    return LaunchDay.objects.visible_to(user).filter(status=LaunchStatus.OPEN)


def launch_selling(project_id, building_id=None) -> LaunchDay | None:
    """The project's running launch (one at most), or None; with ``building_id``, only if it
    sells that building. Its units are held there alone (``subscription_hold`` refuses)."""
    launches = LaunchDay.objects.unscoped(
        "which launch sells a unit the caller already scoped"
    ).filter(project_id=project_id, status=LaunchStatus.OPEN)
    if building_id is not None:
        launches = launches.filter(buildings=building_id)
    return launches.only("pk", "name", "current_id").first()


def units_to_choose(user, ticket):
    """选房 outside a launch: the project's available units the user sees, less those of the
    buildings a running launch sells (chosen there, in the queue's order) unless ``ticket``
    is the number being called. Returns (units, the launch or None, those buildings)."""
    units = (
        Unit.objects.visible_to(user)
        .filter(project=ticket.project_id, status=UnitStatus.AVAILABLE)
        .select_related("building")
        .order_by("building__sort_order", "building__code", "floor", "position")
    )
    launch = launch_selling(ticket.project_id)
    on_launch = []
    if launch is not None and launch.current_id != ticket.pk:
        on_launch = list(launch.buildings.order_by("sort_order", "code"))
        units = units.exclude(building__in=on_launch)
    return units, launch, on_launch


@dataclass
class LaunchBoard:
    """What the launch screen shows: the called number, who comes next, the skipped ones,
    and the units of the buildings on sale as 销控表 grids (a fixed number of queries)."""

    launch: LaunchDay
    current: QueueTicket | None
    upcoming: list
    skipped: list
    buildings: list  # (building, positions, rows of (floor, cells), available count)
    may_sell: bool
    counts: dict = field(default_factory=dict)


def launch_board(user, launch_id) -> LaunchBoard:
    launch = get_visible_or_404(
        LaunchDay.objects.select_related("project", "current__customer"), user, pk=launch_id
    )
    queue = QueueTicket.objects.unscoped("the launch's queue: numbers shown masked to the room")
    queue = queue.filter(project_id=launch.project_id).select_related("customer")
    upcoming = list(queue.filter(status=QueueStatus.WAITING).order_by("number")[:NEXT_SHOWN])
    skipped = list(queue.filter(status=QueueStatus.SKIPPED).order_by("number")[:50])
    buildings = list(launch.buildings.order_by("sort_order", "code"))
    units = (
        Unit.objects.unscoped("the buildings of a launch the user sees")
        .filter(building__in=buildings)
        .order_by("-floor", "position")
    )
    by_building: dict = {}
    for unit in units:
        by_building.setdefault(unit.building_id, []).append(unit)
    grids = [_grid(b, by_building.get(b.pk, [])) for b in buildings]
    counts = Counter(u.status for units_ in by_building.values() for u in units_)
    return LaunchBoard(
        launch=launch,
        current=launch.current,
        upcoming=upcoming,
        skipped=skipped,
        buildings=grids,
        may_sell=has_perm(
            user, Perm.SELL_UNITS, company=launch.company_id, project=launch.project_id
        ),
        counts=dict(counts),
    )


def _grid(building, units):
    positions = sorted({u.position for u in units})
    by_floor: dict = {}
    for u in units:
        by_floor.setdefault(u.floor, {})[u.position] = u
    rows = [
        (floor, [by_floor[floor].get(p) for p in positions])
        for floor in sorted(by_floor, reverse=True)
    ]
    available = sum(1 for u in units if u.status == UnitStatus.AVAILABLE)
    return building, positions, rows, available


def unit_deals(user, units) -> dict:
    """The board's view of each unit's live subscription (inventory.hooks): the buyer's name
    masked and the price, to whoever sees the building; a link only where he may open it."""
    from django.urls import reverse

    from anju.core.masking import mask_name
    from anju.core.scope import sees_loaded
    from anju.inventory.hooks import UnitDeal

    from .models import LIVE_SUBSCRIPTION_STATUSES

    rows = (
        Subscription.objects.unscoped("the board shows each unit's deal masked to its viewers")
        .filter(unit__in=[u.pk for u in units] or [0], status__in=LIVE_SUBSCRIPTION_STATUSES)
        .select_related("customer")
        .order_by()
    )
    return {
        s.unit_id: UnitDeal(
            buyer=mask_name(s.customer.name),
            price=s.final_price,
            since=s.subscribed_at or s.created_at,
            status=s.get_status_display(),
            url=reverse("deals:subscription_detail", args=[s.pk]) if sees_loaded(user, s) else "",
        )
        for s in rows
    }


def signed_units(*, company_id, project_id=None):
    """(customer id, project id, unit id, signed at) of every contract in force of a company
    (or project): who owns what, for a survey's population (SUR-2). A system read: the
    caller has checked who may survey the company."""
    from .models import Contract

    contracts = Contract.objects.unscoped("a survey's population: the company's buyers").filter(
        company_id=company_id, cancelled_at__isnull=True
    )
    if project_id is not None:
        contracts = contracts.filter(project_id=project_id)
    return contracts.values_list(
        "subscription__customer_id", "project_id", "subscription__unit_id", "signed_at"
    ).order_by("signed_at", "id")
