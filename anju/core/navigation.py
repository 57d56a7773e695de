"""The navigation menu: which areas a user's roles open. Apps add their entries here.

Menus only hide what is useless to a role; the real checks are in selectors and services.
An entry may carry a badge, ``badge(user) -> int`` (e.g. the approvals waiting for him):
it is computed only when the menu is rendered, at most once per request (the context
processor keeps the menu on the request), so it must be one cheap query.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .permissions import user_roles
from .roles import Role

ALL_ROLES = frozenset(Role.values)
SALES = frozenset(
    {
        Role.SALES_CONSULTANT,
        Role.SALES_MANAGER,
        Role.COMPANY_MANAGEMENT,
        Role.GROUP_CENTRE,
        Role.ADMINISTRATOR,
        Role.DATA_STEWARD,
        Role.KEY_ACCOUNT_REP,
        Role.CALLCENTRE_AGENT,
    }
)


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset
    icon: str = ""
    badge: Callable | None = None  # badge(user) -> int, shown next to the label when > 0


class LazyBadge:
    """The badge's number, counted when a template first asks for it, then remembered.

    A template calls a callable without arguments: ``{% if item.badge %}{{ item.badge }}``
    counts once; a page whose templates never show the menu (an htmx fragment) counts never.
    """

    def __init__(self, fn, user):
        self._fn, self._user, self._value = fn, user, None

    def __call__(self) -> int:
        if self._value is None:
            self._value = int(self._fn(self._user) or 0)
        return self._value


NAV_ITEMS: list[NavItem] = [
    NavItem(_("Home"), "home", ALL_ROLES),
    NavItem(_("Units"), "inventory:index", ALL_ROLES),
]


def register_nav(item: NavItem, *, after: str | None = None) -> None:
    """Apps call this from AppConfig.ready() to add their menu entry."""
    if any(i.url_name == item.url_name for i in NAV_ITEMS):
        return
    index = next((n + 1 for n, i in enumerate(NAV_ITEMS) if i.url_name == after), len(NAV_ITEMS))
    NAV_ITEMS.insert(index, item)


# The menu's sections, by the URL namespace of an entry. Company management opens some 25
# areas: side by side they pushed the bar past a 1280-pixel screen, a label a character
# per line. A section with two or more of the user's entries is one drop-down; with one,
# that entry stands alone. Entries of other namespaces (home, units, approvals with its
# badge) stay on the bar.
SECTIONS = {
    "customers": pgettext_lazy("menu section", "Customers"),
    "privacy": pgettext_lazy("menu section", "Customers"),  # personal-data requests (PIPL)
    "access_log": pgettext_lazy("menu section", "Customers"),  # who saw personal data
    "reception": pgettext_lazy("menu section", "Sales"),
    "deals": pgettext_lazy("menu section", "Deals"),
    "membership": pgettext_lazy("menu section", "Club"),
    "club_events": pgettext_lazy("menu section", "Club"),
    "messaging": pgettext_lazy("menu section", "Messages"),
    "campaigns": pgettext_lazy("menu section", "Messages"),
    "service": pgettext_lazy("menu section", "Service"),
    "surveys": pgettext_lazy("menu section", "Service"),  # satisfaction (SUR-*)
}


def nav_for(user, current_path: str = "") -> list[dict]:
    """The menu: links ``{label, url, active, badge}`` and sections ``{label, links,
    active}`` in the order their first entry was registered. ("links", not "items": a
    template reads ``entry.items`` as the dict's method.)"""
    roles = ALL_ROLES if user.is_superuser else user_roles(user)
    entries, sections = [], {}
    for item in NAV_ITEMS:
        if not roles & item.roles:
            continue
        url = reverse(item.url_name)
        active = current_path == url if url == "/" else current_path.startswith(url)
        badge = LazyBadge(item.badge, user) if item.badge is not None else None
        link = {"label": item.label, "url": url, "active": active, "badge": badge}
        section = SECTIONS.get(item.url_name.split(":")[0])
        if section is None:
            entries.append(link)
        elif str(section) in sections:
            sections[str(section)]["links"].append(link)
        else:
            sections[str(section)] = {"label": section, "links": [link]}
            entries.append(sections[str(section)])
    return [_one_or_section(e) for e in entries]


def _one_or_section(entry: dict) -> dict:
    links = entry.get("links")
    if links is None:
        return entry
    if len(links) == 1:
        return links[0]
    return {**entry, "active": any(link["active"] for link in links)}


def nav_links(menu: list[dict]) -> list[dict]:
    """Every link of the menu, sections opened."""
    return [link for e in menu for link in e.get("links", [e])]
