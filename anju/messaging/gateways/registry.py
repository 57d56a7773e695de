"""Which gateway sends which channel: chosen by settings from the environment (MSG-5).

``ANJU_SMS_GATEWAY`` and ``ANJU_EMAIL_GATEWAY`` name a registered gateway (``dev`` by default;
adapters register more names, e.g. ``aliyun`` and ``smtp``) or give the dotted path of a
``Gateway`` subclass (a site's own adapter, or a test's). Credentials are the adapters' own
business and come only from the environment, never from the database or the code.

The rate limit of each channel's gateway is ``ANJU_SMS_RATE`` / ``ANJU_EMAIL_RATE`` messages
per second, shared by every worker (``throttle.py``).
"""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .base import Gateway

_FACTORIES: dict[tuple[str, str], Callable[[], Gateway]] = {}


def register_gateway(*, channel: str, name: str, factory: Callable[[], Gateway]) -> None:
    """Make ``name`` selectable for ``channel`` (call from AppConfig.ready() or import time)."""
    _FACTORIES[(channel, name)] = factory


def registered_gateways() -> list[tuple[str, str]]:
    return sorted(_FACTORIES)


def configured_name(channel: str) -> str:
    names = getattr(settings, "ANJU_MESSAGE_GATEWAYS", {})
    return (names.get(channel) or "dev").strip()


def gateway_for(channel: str) -> Gateway:
    """A fresh gateway for ``channel`` as the settings choose it."""
    name = configured_name(channel)
    factory = _FACTORIES.get((channel, name))
    if factory is None and "." in name:
        try:
            factory = import_string(name)
        except ImportError as exc:
            raise ImproperlyConfigured(f"{channel} gateway {name!r} cannot be imported") from exc
    if factory is None:
        known = ", ".join(n for c, n in registered_gateways() if c == channel)
        raise ImproperlyConfigured(f"{channel} gateway {name!r} is unknown (known: {known})")
    gateway = factory()
    if not isinstance(gateway, Gateway):
        raise ImproperlyConfigured(f"{channel} gateway {name!r} is not a Gateway")
    return gateway


def rate_for(channel: str) -> float:
    """Messages per second the channel's gateway may take (0: unlimited)."""
    rates = getattr(settings, "ANJU_MESSAGE_RATES", {})
    return float(rates.get(channel, 0) or 0)
