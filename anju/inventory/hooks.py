"""Seams for later apps: the deals app tells the sales-control board who holds each unit,
so inventory imports nothing of deals (the dependencies point one way)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class UnitDeal:
    """What the board shows of a unit's live deal: buyer masked, price, since when, link."""

    buyer: str
    price: Decimal
    since: datetime
    status: str
    url: str = ""  # only when the viewer may open the deal


UnitDealProvider = Callable[[object, list], dict]

_PROVIDERS: list[UnitDealProvider] = []


def register_unit_deal_provider(provider: UnitDealProvider) -> None:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def unit_deals(user, units) -> dict[int, UnitDeal]:
    """{unit id: UnitDeal} for the units that have a live deal (one query per provider)."""
    found: dict[int, UnitDeal] = {}
    for provider in list(_PROVIDERS):
        found.update(provider(user, units))
    return found


# Panels later apps add under a unit on the board (service: its delivery and repair history,
# SVC-7). ``panel(request, unit)`` returns the panel's HTML, or "" when it has nothing to show
# the viewer; it reads through its own scoped selectors.
UnitPanel = Callable[[object, object], str]

_PANELS: list[UnitPanel] = []


def register_unit_panel(panel: UnitPanel) -> None:
    if panel not in _PANELS:
        _PANELS.append(panel)


def unit_panels(request, unit) -> list[str]:
    """The HTML of every registered panel for this unit (empty ones left out)."""
    return [html for panel in list(_PANELS) if (html := panel(request, unit))]
