"""Where a webhook may be sent (INT-2, SSRF).

A target is an ``http``/``https`` URL with a host name or IPv4 address, an optional port and
no user:password part (``TARGET_URL_PATTERN``, which the API schema states). Unless
``settings.ANJU_WEBHOOK_ALLOW_PRIVATE_TARGETS`` (on under pytest and with ANJU_DEBUG=1, off in
production; docs/operations.md), it must not reach a private, loopback, link-local,
multicast or reserved address: an address written in the URL is refused when the
subscription is saved, and every connection is checked again *after* DNS resolution, on
the socket's actual peer address — so a name that resolves (or re-resolves) to 127.0.0.1 or
169.254.169.254 is refused at sending time too.
"""

import ipaddress
import re
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError

LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


class ForbiddenTarget(OSError):
    """The connection would reach an address webhooks may not be sent to."""


def private_targets_allowed() -> bool:
    return bool(getattr(settings, "ANJU_WEBHOOK_ALLOW_PRIVATE_TARGETS", False))


def is_forbidden_address(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    if getattr(ip, "ipv4_mapped", None):
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


# What a target URL may look like: the API schema states this pattern and the service checks
# the very same one, so the two never disagree. ASCII only (a name in Chinese characters
# goes in its xn-- form), a DNS name or an IPv4 address, an optional port 1-65535, then any
# printable path and query. No user:password@ part.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PORT = (
    r"(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}"
    r"|[1-9][0-9]{0,3}))?"
)
TARGET_URL_PATTERN = rf"^[Hh][Tt][Tt][Pp][Ss]?://{_LABEL}(?:\.{_LABEL})*\.?{_PORT}(?:[/?#][!-~]*)?$"
_TARGET_URL = re.compile(TARGET_URL_PATTERN)


def check_target_url(url: str) -> str:
    """The URL, or ApplicationError (422, field ``target_url``)."""
    url = url or ""
    if not _TARGET_URL.fullmatch(url):
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme not in ("http", "https"):
            raise ApplicationError(
                _("Only http and https URLs can receive webhooks."),
                field="target_url",
                code="invalid_url_scheme",
            )
        if _has_credentials(url):
            raise ApplicationError(
                _("Leave the user name and password out of the URL; verify the signature instead."),
                field="target_url",
                code="invalid_url",
            )
        raise ApplicationError(
            _("Enter a valid http or https URL."), field="target_url", code="invalid_url"
        )
    host = (urlsplit(url).hostname or "").lower()
    if not private_targets_allowed() and _names_private_host(host):
        raise ApplicationError(
            _("Webhooks cannot be sent to a private, loopback or link-local address."),
            field="target_url",
            code="private_target",
        )
    return url


def _has_credentials(url: str) -> bool:
    try:
        return "@" in urlsplit(url).netloc
    except ValueError:
        return False


def _names_private_host(host: str) -> bool:
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False  # a name: checked on the connected socket at sending time
    return is_forbidden_address(host)


def guarded_create_connection(address, timeout=None, source_address=None, **kwargs):
    """``socket.create_connection`` that refuses a forbidden peer (after DNS, per attempt)."""
    sock = socket.create_connection(address, timeout, source_address, **kwargs)
    if not private_targets_allowed():
        peer = sock.getpeername()[0]
        if is_forbidden_address(peer):
            sock.close()
            raise ForbiddenTarget(f"the target resolves to a forbidden address ({peer})")
    return sock
