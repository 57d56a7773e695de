"""Hooks for capabilities that come later: sending the thank-you SMS (SAL-2), and the deal
flow taking over an opportunity closed as won (SAL-4 → subscription/signing, issue 9 item 7).

The reception app renders the SMS text and stores it on the follow-up task. Sending is not
its business: the messaging app, when it lands, registers a sender from its AppConfig.ready()::

    from anju.reception.hooks import register_sms_sender

    def send_followup_sms(task) -> bool:
        ...  # queue task.message to task.customer.phone
        return True  # True: sent (reception then marks the task done)

    register_sms_sender(send_followup_sms)

Senders run in a background task after the call's transaction commits
(``reception.tasks.offer_sms_task``). With no sender registered (the default) nothing is sent
and the task stays open on the consultant's list, with the text ready to copy.

Won opportunities: the deals app, when it lands, registers a handler from its
AppConfig.ready()::

    from anju.reception.hooks import register_won_handler

    def start_deal(*, by, opportunity) -> None:
        ...  # open the subscription for the won opportunity

    register_won_handler(start_deal)

Handlers run inside the closing transaction (an error rolls the close back). The event
``reception.opportunity_won`` is recorded either way, so event listeners and webhooks see it.

Panels on the visit page: a later app adds a small panel of its own (the club's one-click
"join at this visit", issue 11) without reception knowing it::

    from anju.reception.hooks import register_visit_panel

    def club_panel(request, visit) -> str:
        ...  # render_to_string(..., request=request); "" to show nothing
        return html

    register_visit_panel(club_panel)

A panel reads through its own selectors for ``request.user`` and decides itself whether
to show anything; the visit page renders the panels in registration order.
"""

from collections.abc import Callable

SmsSender = Callable[[object], bool]

_SMS_SENDERS: list[SmsSender] = []


def register_sms_sender(sender: SmsSender) -> None:
    if sender not in _SMS_SENDERS:
        _SMS_SENDERS.append(sender)


def unregister_sms_sender(sender: SmsSender) -> None:
    if sender in _SMS_SENDERS:
        _SMS_SENDERS.remove(sender)


def sms_senders() -> list[SmsSender]:
    return list(_SMS_SENDERS)


def send_sms_for_task(task) -> bool:
    """Offer the task's SMS to the registered senders; True if one of them sent it."""
    return any(sender(task) for sender in sms_senders())


WonHandler = Callable[..., None]

_WON_HANDLERS: list[WonHandler] = []


def register_won_handler(handler: WonHandler) -> None:
    if handler not in _WON_HANDLERS:
        _WON_HANDLERS.append(handler)


def unregister_won_handler(handler: WonHandler) -> None:
    if handler in _WON_HANDLERS:
        _WON_HANDLERS.remove(handler)


def opportunity_won(*, by, opportunity) -> None:
    """Hand a won opportunity to the deal flow: every registered handler, in order."""
    for handler in list(_WON_HANDLERS):
        handler(by=by, opportunity=opportunity)


VisitPanel = Callable[[object, object], str]

_VISIT_PANELS: list[VisitPanel] = []


def register_visit_panel(panel: VisitPanel) -> None:
    if panel not in _VISIT_PANELS:
        _VISIT_PANELS.append(panel)


def unregister_visit_panel(panel: VisitPanel) -> None:
    if panel in _VISIT_PANELS:
        _VISIT_PANELS.remove(panel)


def visit_panels(request, visit) -> list[str]:
    """The HTML of every registered panel for this visit page (empty ones left out)."""
    return [html for panel in list(_VISIT_PANELS) if (html := panel(request, visit))]
