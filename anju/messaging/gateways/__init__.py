"""Message gateways (MSG-5): one interface (``base.py``), chosen by settings (``registry.py``).

The development gateway is registered here for both channels; provider adapters register
their names the same way (``register_gateway(channel=…, name=…, factory=…)``).
"""

from .dev import DevGateway
from .registry import register_gateway

register_gateway(channel="sms", name="dev", factory=lambda: DevGateway("sms"))
register_gateway(channel="email", name="dev", factory=lambda: DevGateway("email"))


def _aliyun():
    from .aliyun import AliyunSmsGateway

    return AliyunSmsGateway()


def _smtp():
    from .smtp import SmtpEmailGateway

    return SmtpEmailGateway()


# Real providers (credentials from the environment, read when the worker builds the gateway).
register_gateway(channel="sms", name="aliyun", factory=_aliyun)
register_gateway(channel="email", name="smtp", factory=_smtp)
