"""Panels later apps add to the customer's 360° page (deals: his queue numbers and
subscriptions), so customers imports none of them. ``panel(request, customer)`` returns the
panel's HTML, or "" when it has nothing to show the viewer."""

from collections.abc import Callable

CustomerPanel = Callable[[object, object], str]

_PANELS: list[CustomerPanel] = []


def register_customer_panel(panel: CustomerPanel) -> None:
    if panel not in _PANELS:
        _PANELS.append(panel)


def customer_panels(request, customer) -> list[str]:
    """The HTML of every registered panel for this customer page (empty ones left out)."""
    return [html for panel in list(_PANELS) if (html := panel(request, customer))]
